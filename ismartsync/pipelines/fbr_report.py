"""Reporting one fiscal document to FBR: claim the attempt, commit, send it outside any transaction, record the answer.

The attempt is on record before FBR sees the request, and no row is locked while waiting for FBR. The counter calls
`report_after_checkout` right after the sale's commit with a short timeout; the fiscal queue (`jobs/fiscal.py`)
and FBR reporting's "Send again" call `report_document` with a longer one. The document's steps in the database
are `services/fiscal/documents.py`; FBR's wire is `ismartsync/fiscal/` (backends, and the circuit that decides
whether to try at all while FBR is failing).
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from flask import current_app
from redis import Redis
from sqlalchemy.orm import Session

from ismartsync.fiscal import circuit
from ismartsync.fiscal.backends import Answer, FiscalBackend, backend_for
from ismartsync.models import AttemptOutcome, FiscalDocument
from ismartsync.models.base import utcnow
from ismartsync.queue import redis_connection
from ismartsync.services.fiscal import documents

log = logging.getLogger(__name__)

# How the circuit reads an outcome: FBR silent, or FBR answered. REFUSED (the gateway turned our credentials away)
# says neither.
SILENT = (AttemptOutcome.UNREACHABLE, AttemptOutcome.UNKNOWN)
ANSWERED = (AttemptOutcome.REPORTED, AttemptOutcome.REJECTED)
# A probe is held for its timeout and this long after, so a process that died while probing blocks no one for good.
PROBE_MARGIN_SECONDS = 10


def report_after_checkout(session: Session, document_id: int) -> FiscalDocument | None:
    """The counter's one inline attempt, right after the sale's commit; skipped while FBR mostly fails (the queue
    sends it, or probes FBR with it)."""
    target = _target(session, document_id)
    if target is not None and not circuit.allows_inline(redis_connection(), target.url):
        documents.record_skipped(session, document_id, "FBR did not answer just now; queued.", utcnow())
        documents.enqueue_report(session, document_id)
        session.commit()
        return session.get(FiscalDocument, document_id, populate_existing=True)
    return report_document(
        session, document_id, trigger="checkout", timeout=float(current_app.config["FBR_INLINE_TIMEOUT_SECONDS"])
    )


def report_document(session: Session, document_id: int, *, trigger: str, timeout: float) -> FiscalDocument | None:
    """One attempt at the document; None when it was not pending, someone else is sending it, or (the queue) FBR is
    failing and another attempt is finding out whether it is back."""
    redis, admission = redis_connection(), circuit.GO
    held = _target(session, document_id) if trigger == "queue" else None
    if held is not None:
        admission = circuit.admit_queued(redis, held.url, sending_seconds=timeout + PROBE_MARGIN_SECONDS)
        if not admission.go:
            documents.hold_back(session, document_id, utcnow() + timedelta(seconds=admission.wait_seconds))
            session.commit()
            return None
    ticket = documents.start_attempt(session, document_id, trigger, utcnow())
    session.commit()  # the attempt is on record before FBR sees anything
    if ticket is None:
        if held is not None and admission.probe:
            circuit.release_probe(redis, held.url)
        return None
    target = _backend(ticket.backend, ticket.environment) if ticket.backend != "off" else None
    answer = _send(target, ticket, timeout)
    document = documents.finish_attempt(session, ticket, answer, utcnow())
    if target is not None:
        _note(session, redis, target.url, ticket, answer, probe=admission.probe)
    session.commit()
    _log(document, ticket.number, answer)
    return document


def _target(session: Session, document_id: int) -> FiscalBackend | None:
    """Where the document goes: its merchant's FBR backend, None when the merchant reports to no one (or it is gone)."""
    document = session.get(FiscalDocument, document_id)
    if document is None or not document.merchant.reports_to_fbr:
        return None
    return _backend(document.merchant.fiscal_backend, document.environment or document.merchant.fiscal_environment)


def _backend(backend_kind: str, environment: str) -> FiscalBackend:
    """FBR as the merchant reports to it (the sandbox when `FBR_API_BASE` says so)."""
    return backend_for(backend_kind, environment, api_base=current_app.config.get("FBR_API_BASE"))


def _send(target: FiscalBackend | None, ticket: documents.Ticket, timeout: float) -> Answer:
    if target is None:
        return Answer(AttemptOutcome.REFUSED, error="FBR reporting is switched off for this business.")
    if not ticket.token:
        return Answer(AttemptOutcome.REFUSED, error="No FBR token is saved for this counter or the business.")
    return target.report(ticket.body, token=ticket.token, timeout=timeout)


def _note(
    session: Session, redis: Redis | None, url: str, ticket: documents.Ticket, answer: Answer, *, probe: bool
) -> None:
    """Tell the circuit how FBR answered; when it did, whatever waits out a backoff for this merchant goes now."""
    if answer.outcome in ANSWERED or answer.outcome in SILENT:
        probe_seconds = float(current_app.config["FBR_PROBE_SECONDS"])
        circuit.record(redis, url, answered=answer.outcome in ANSWERED, probe=probe, probe_seconds=probe_seconds)
    elif probe:
        circuit.release_probe(redis, url)
    if answer.outcome == AttemptOutcome.REPORTED:
        for waiting in documents.wake_pending(session, ticket.merchant_id, ticket.environment, utcnow()):
            documents.enqueue_report(session, waiting)


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
