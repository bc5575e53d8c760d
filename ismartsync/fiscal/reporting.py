"""Reporting one fiscal document to FBR: claim it, send it outside any transaction, record the answer.

This commits between its steps on purpose (as the stock push does): the attempt is on record before FBR sees the
request, and no row is locked while waiting for FBR. The counter calls `report_after_checkout` right after the
sale's commit with a short timeout; the fiscal queue (`jobs/fiscal.py`) calls `report_document` with a longer one.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import current_app
from sqlalchemy.orm import Session

from ismartsync.fiscal import circuit
from ismartsync.fiscal.backends import Answer, FiscalBackend, backend_for
from ismartsync.models import AttemptOutcome, FiscalDocument
from ismartsync.models.base import utcnow
from ismartsync.queue import enqueue_after_commit, redis_connection
from ismartsync.services import fiscal

log = logging.getLogger(__name__)

REPORT_JOB = "jobs.fiscal.report"
# Outcomes that say FBR is not answering at all: the counter stops waiting on it for a while.
SILENT = (AttemptOutcome.UNREACHABLE, AttemptOutcome.UNKNOWN)


def enqueue_report(session: Session, document_id: int) -> None:
    """Ask the fiscal queue to send the document once this transaction commits (once while it waits)."""
    enqueue_after_commit(session, REPORT_JOB, document_id, queue="fiscal", timeout=120, retries=0, unique=True)


def backend(backend_kind: str, environment: str) -> FiscalBackend:
    return backend_for(backend_kind, environment, api_base=current_app.config.get("FBR_API_BASE"))


def report_document(session: Session, document_id: int, *, trigger: str, timeout: float) -> FiscalDocument | None:
    """One attempt at the document; None when it was not pending or someone else is sending it."""
    ticket = fiscal.start_attempt(session, document_id, trigger, utcnow())
    session.commit()  # the attempt is on record before FBR sees anything
    if ticket is None:
        return None
    target = backend(ticket.backend, ticket.environment) if ticket.backend != "off" else None
    answer = _send(target, ticket, timeout)
    document = fiscal.finish_attempt(session, ticket, answer, utcnow())
    redis = redis_connection()
    if target is not None and answer.outcome == AttemptOutcome.REPORTED:
        circuit.close(redis, target.url)
        # FBR is answering: whatever waits out a backoff for this merchant goes now.
        for waiting in fiscal.wake_pending(session, ticket.merchant_id, ticket.environment, utcnow()):
            enqueue_report(session, waiting)
    elif target is not None and answer.outcome in SILENT:
        circuit.trip(redis, target.url)
    session.commit()
    _log(document, ticket.number, answer)
    return document


def report_after_checkout(session: Session, document_id: int) -> FiscalDocument | None:
    """The counter's one inline attempt, right after the sale's commit; skipped while FBR is known to be down."""
    document = session.get(FiscalDocument, document_id)
    if document is None:
        return None
    merchant = document.merchant
    if merchant.reports_to_fbr:
        target = backend(merchant.fiscal_backend, document.environment or merchant.fiscal_environment)
        if circuit.is_open(redis_connection(), target.url):
            fiscal.record_skipped(session, document_id, "FBR did not answer just now; queued.", utcnow())
            session.commit()
            return session.get(FiscalDocument, document_id, populate_existing=True)
    return report_document(
        session, document_id, trigger="checkout", timeout=float(current_app.config["FBR_INLINE_TIMEOUT_SECONDS"])
    )


def _send(target: FiscalBackend | None, ticket: fiscal.Ticket, timeout: float) -> Answer:
    if target is None:
        return Answer(AttemptOutcome.REFUSED, error="FBR reporting is switched off for this business.")
    if not ticket.token:
        return Answer(AttemptOutcome.REFUSED, error="No FBR token is saved for this counter or the business.")
    return target.report(ticket.body, token=ticket.token, timeout=timeout)


def _log(document: FiscalDocument, attempt: int, answer: Answer) -> None:
    fields: dict[str, Any] = {
        "fiscal_document_id": document.id,
        "merchant_id": document.merchant_id,
        "usin": document.usin,
        "attempt": attempt,
        "outcome": answer.outcome.value,
        "http_status": answer.http_status,
        "elapsed_ms": answer.elapsed_ms,
        "status": document.status,
    }
    level = logging.INFO if answer.outcome == AttemptOutcome.REPORTED else logging.WARNING
    log.log(level, "FBR %s for %s: %s", answer.outcome.value, document.usin, answer.error, extra={"fields": fields})
