"""Fiscal documents through their life: written at checkout, attempted, answered, retried, reconciled by a person.

Plain functions that flush and never commit. Sending happens between `start_attempt` and `finish_attempt`, outside
any transaction (`ismartsync/pipelines/fbr_report.py` runs the three steps). A document's USIN, POSID and request body
are fixed when it is written, so every resend is the same request; only a rejected one, which FBR did not record,
is rebuilt when a person sends it again after fixing what FBR refused.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from ismartsync.errors import DomainError
from ismartsync.fiscal.backends import Answer
from ismartsync.fiscal.payload import MissingPctCode, build_credit_note, build_invoice, build_online_document
from ismartsync.models import (
    AttemptOutcome,
    Counter,
    FiscalAttempt,
    FiscalDocument,
    FiscalStatus,
    InvoiceType,
    Merchant,
    OnlineInvoice,
    Sale,
    SaleReturn,
)
from ismartsync.queue import enqueue_after_commit
from ismartsync.services.audit import Actor, record_audit
from ismartsync.services.fiscal.settings import counter_reports_to_fbr, token_for

REPORT_JOB = "jobs.fiscal.report"
# Waits before the fiscal queue tries an unreachable FBR again (fbr.md §2.7): 30 s, 1, 2, 4, 8 min, then every 10 min.
RETRY_DELAYS = (30, 60, 120, 240, 480)
RETRY_EVERY = 600
# Credentials refused: nothing changes until a person fixes them (and "Send again" does not wait for this).
REFUSED_RETRY = timedelta(minutes=15)
OPEN_STATUSES = (FiscalStatus.PENDING, FiscalStatus.UNKNOWN, FiscalStatus.REJECTED)
FBR_NUMBER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9*\-]{5,63}$")


@dataclass(frozen=True)
class Ticket:
    """An attempt on its way: what to send, with which token, and which attempt row records the answer."""

    document_id: int
    attempt_id: int
    merchant_id: int
    number: int
    trigger: str
    body: dict
    token: str | None
    backend: str
    environment: str


def open_fiscal_document(session: Session, merchant: Merchant, counter: Counter, sale: Sale) -> FiscalDocument | None:
    """The pending document of a sale just placed at an FBR counter, with its exact request; None elsewhere.

    A sale with an item that has no PCT code (and no merchant default) still stands, but its document is written
    rejected and unsent, saying what to fix: a person sends it again from FBR reporting once the code is set.
    """
    if not counter_reports_to_fbr(merchant, counter):
        return None
    document = FiscalDocument(
        merchant_id=sale.merchant_id,
        sale_id=sale.id,
        counter_id=counter.id,
        invoice_type=InvoiceType.SALE,
        status=FiscalStatus.PENDING,
        attempts=0,
        usin=sale.usin,
        pos_id=counter.fbr_pos_id,
        environment=merchant.fiscal_environment,
        next_attempt_at=sale.placed_at,
    )
    try:
        document.request = _request(merchant, sale, document)
    except MissingPctCode as exc:
        document.status, document.next_attempt_at, document.last_error = FiscalStatus.REJECTED, None, exc.message
        document.offline_issued = True  # the receipt goes out without an FBR number
    session.add(document)
    return document


def open_credit_note(session: Session, merchant: Merchant, sale_return: SaleReturn) -> FiscalDocument | None:
    """The pending credit note of a return just recorded, when the sale it corrects was reported to FBR (fbr.md §2.6).

    Its own USIN (the return's, from the returning counter's gapless sequence), RefUSIN the sale's, and the POSID,
    counter (so its token) and environment the sale was reported under: FBR finds the invoice it corrects where it
    recorded it, whichever counter took the item back. Reported by the same pipeline with the same inline attempt,
    queue, backoff and "unknown" rules as a sale's document. A return without a receipt has no invoice to refer to
    and gets none (it is refunded as store credit or exchanged, never in money).
    """
    sale = sale_return.sale
    if sale is None or not merchant.reports_to_fbr:
        return None
    original = document_of_sale(session, sale.id)
    if original is None:
        return None
    document = FiscalDocument(
        merchant_id=sale_return.merchant_id,
        sale_id=sale.id,
        sale_return=sale_return,
        counter_id=original.counter_id,
        invoice_type=InvoiceType.CREDIT_NOTE,
        status=FiscalStatus.PENDING,
        attempts=0,
        usin=sale_return.usin,
        ref_usin=original.usin,
        pos_id=original.pos_id,
        environment=original.environment or merchant.fiscal_environment,
        next_attempt_at=sale_return.created_at,
    )
    try:
        document.request = _request(merchant, sale, document)
    except MissingPctCode as exc:
        document.status, document.next_attempt_at, document.last_error = FiscalStatus.REJECTED, None, exc.message
        document.offline_issued = True
    session.add(document)
    return document


def open_online_document(
    session: Session, merchant: Merchant, online_invoice: OnlineInvoice, original: FiscalDocument | None = None
) -> FiscalDocument | None:
    """The pending document of an online order's invoice (or, with `original` the invoice's document, of its credit
    note), reported under the online invoice's counter like a sale (or a return's credit note) at that counter.

    A credit note goes under the POSID, counter and environment its invoice was reported with, RefUSIN the invoice's
    USIN (as `open_credit_note`); an invoice only where its counter reports to FBR. None where nothing is reported.
    """
    counter = online_invoice.counter
    if online_invoice.is_credit_note:
        if original is None or not merchant.reports_to_fbr:
            return None
        counter_id, pos_id, environment = original.counter_id, original.pos_id, original.environment
        invoice_type, ref_usin = InvoiceType.CREDIT_NOTE, original.usin
    else:
        if not counter_reports_to_fbr(merchant, counter):
            return None
        counter_id, pos_id, environment = counter.id, counter.fbr_pos_id, merchant.fiscal_environment
        invoice_type, ref_usin = InvoiceType.SALE, None
    document = FiscalDocument(
        merchant_id=online_invoice.merchant_id,
        online_invoice=online_invoice,
        counter_id=counter_id,
        invoice_type=invoice_type,
        status=FiscalStatus.PENDING,
        attempts=0,
        usin=online_invoice.usin,
        ref_usin=ref_usin,
        pos_id=pos_id,
        environment=environment or merchant.fiscal_environment,
        next_attempt_at=online_invoice.created_at,
    )
    try:
        document.request = _request(merchant, None, document)
    except MissingPctCode as exc:
        document.status, document.next_attempt_at, document.last_error = FiscalStatus.REJECTED, None, exc.message
        document.offline_issued = True
    session.add(document)
    return document


def enqueue_report(session: Session, document_id: int) -> None:
    """Ask the fiscal queue to send the document once this transaction commits (once while it waits)."""
    enqueue_after_commit(session, REPORT_JOB, document_id, queue="fiscal", timeout=120, retries=0, unique=True)


def _request(merchant: Merchant, sale: Sale | None, document: FiscalDocument) -> dict:
    assert document.pos_id is not None
    if document.online_invoice is not None:
        return build_online_document(
            document.online_invoice,
            document,
            pos_id=document.pos_id,
            time_zone=merchant.time_zone,
            default_pct_code=merchant.default_pct_code,
        )
    assert sale is not None
    if document.sale_return is not None:
        return build_credit_note(
            document.sale_return,
            document,
            pos_id=document.pos_id,
            time_zone=merchant.time_zone,
            default_pct_code=merchant.default_pct_code,
        )
    return build_invoice(
        sale,
        document,
        pos_id=document.pos_id,
        time_zone=merchant.time_zone,
        default_pct_code=merchant.default_pct_code,
    )


def start_attempt(session: Session, document_id: int, trigger: str, now: datetime) -> Ticket | None:
    """Mark the document as being sent and record the attempt; None when it is not pending or already on its way.

    The claim is one conditional UPDATE, so two workers (or the counter and a worker) never send it at once.
    """
    attempts = session.execute(
        update(FiscalDocument)
        .where(
            FiscalDocument.id == document_id,
            FiscalDocument.status == FiscalStatus.PENDING,
            FiscalDocument.sending_since.is_(None),
        )
        .values(sending_since=now, last_attempt_at=now, attempts=FiscalDocument.attempts + 1)
        .returning(FiscalDocument.attempts)
        .execution_options(synchronize_session=False)
    ).scalar_one_or_none()
    if attempts is None:
        return None
    document = session.get(FiscalDocument, document_id, populate_existing=True)
    assert document is not None
    merchant, counter = document.merchant, document.counter
    attempt = FiscalAttempt(
        merchant_id=document.merchant_id, document=document, number=attempts, trigger=trigger, started_at=now
    )
    session.add(attempt)
    session.flush()
    return Ticket(
        document_id=document.id,
        attempt_id=attempt.id,
        merchant_id=document.merchant_id,
        number=attempts,
        trigger=trigger,
        body=dict(document.request or {}),
        token=token_for(merchant, counter),
        backend=merchant.fiscal_backend,
        environment=document.environment or merchant.fiscal_environment,
    )


def finish_attempt(session: Session, ticket: Ticket, answer: Answer, now: datetime) -> FiscalDocument:
    """Record FBR's answer on the attempt and move the document on: reported, rejected, unknown, or retry later."""
    document = session.get(FiscalDocument, ticket.document_id, populate_existing=True)
    attempt = session.get(FiscalAttempt, ticket.attempt_id)
    assert document is not None and attempt is not None
    attempt.finished_at, attempt.outcome, attempt.http_status = now, answer.outcome, answer.http_status
    attempt.response, attempt.error, attempt.elapsed_ms = answer.response, answer.error[:500], answer.elapsed_ms
    document.sending_since = None
    if ticket.trigger == "checkout" and answer.outcome != AttemptOutcome.REPORTED:
        document.offline_issued = True  # the customer's receipt went out without an FBR number
    # An answer that outlived its attempt (the sweeper gave it up as unknown) still brings FBR's number home.
    late_number = document.status == FiscalStatus.UNKNOWN and answer.outcome == AttemptOutcome.REPORTED
    if document.status != FiscalStatus.PENDING and not late_number:
        session.flush()  # settled meanwhile: the attempt keeps the answer, nothing else moves
        return document
    document.response = answer.response if isinstance(answer.response, dict) else {"text": answer.response}
    document.last_error = answer.error
    if answer.outcome == AttemptOutcome.REPORTED:
        document.status, document.fbr_number, document.reported_at = FiscalStatus.REPORTED, answer.fbr_number, now
        document.next_attempt_at, document.last_error = None, ""
    elif answer.outcome in (AttemptOutcome.REJECTED, AttemptOutcome.UNKNOWN):
        document.status, document.next_attempt_at = answer.outcome.value, None
    elif answer.outcome == AttemptOutcome.REFUSED:
        document.next_attempt_at = now + REFUSED_RETRY
    else:
        document.next_attempt_at = now + timedelta(seconds=retry_delay(ticket.number))
    session.flush()
    return document


def record_skipped(session: Session, document_id: int, reason: str, now: datetime) -> None:
    """The counter did not try FBR (it was unreachable a moment ago): the receipt goes out offline, the queue sends."""
    session.execute(
        update(FiscalDocument)
        .where(FiscalDocument.id == document_id, FiscalDocument.status == FiscalStatus.PENDING)
        .values(offline_issued=True, last_error=reason, next_attempt_at=now)
        .execution_options(synchronize_session=False)
    )


def hold_back(session: Session, document_id: int, until: datetime) -> None:
    """The queue did not send the document (FBR is failing and another attempt is finding out whether it is back):
    due again at `until`, or sooner if FBR answers meanwhile (`wake_pending`)."""
    session.execute(
        update(FiscalDocument)
        .where(
            FiscalDocument.id == document_id,
            FiscalDocument.status == FiscalStatus.PENDING,
            FiscalDocument.sending_since.is_(None),
            or_(FiscalDocument.next_attempt_at.is_(None), FiscalDocument.next_attempt_at < until),
        )
        .values(next_attempt_at=until)
        .execution_options(synchronize_session=False)
    )


def retry_delay(attempt_number: int) -> int:
    """Seconds to wait after the `attempt_number`-th attempt found FBR unreachable."""
    return RETRY_DELAYS[attempt_number - 1] if attempt_number <= len(RETRY_DELAYS) else RETRY_EVERY


def wake_pending(session: Session, merchant_id: int, environment: str, now: datetime) -> list[int]:
    """FBR answered again: every pending document of the merchant waiting out a backoff is due now. Their ids."""
    waiting = list(
        session.scalars(
            select(FiscalDocument.id).where(
                FiscalDocument.merchant_id == merchant_id,
                FiscalDocument.environment == environment,
                FiscalDocument.status == FiscalStatus.PENDING,
                FiscalDocument.sending_since.is_(None),
                FiscalDocument.next_attempt_at > now,
            )
        )
    )
    if waiting:
        session.execute(
            update(FiscalDocument)
            .where(FiscalDocument.id.in_(waiting))
            .values(next_attempt_at=now)
            .execution_options(synchronize_session=False)
        )
    return waiting


def due_documents(session: Session, now: datetime, limit: int = 500) -> list[int]:
    """Pending documents whose next attempt is due and that nobody is sending, oldest first."""
    return list(
        session.scalars(
            select(FiscalDocument.id)
            .where(
                FiscalDocument.status == FiscalStatus.PENDING,
                FiscalDocument.next_attempt_at <= now,
                FiscalDocument.sending_since.is_(None),
            )
            .order_by(FiscalDocument.next_attempt_at, FiscalDocument.id)
            .limit(limit)
        )
    )


def expire_stale_attempts(session: Session, older_than: datetime, now: datetime) -> int:
    """Attempts that never finished (their process died while waiting for FBR) may have been recorded: unknown."""
    stale = list(
        session.scalars(
            select(FiscalDocument).where(
                FiscalDocument.status == FiscalStatus.PENDING, FiscalDocument.sending_since < older_than
            )
        )
    )
    for document in stale:
        error = "The attempt never finished (the process sending it stopped); FBR may have recorded it."
        open_attempt = next((a for a in reversed(document.attempt_log) if a.finished_at is None), None)
        if open_attempt is not None:
            open_attempt.finished_at, open_attempt.outcome, open_attempt.error = now, AttemptOutcome.UNKNOWN, error
        document.status, document.sending_since, document.next_attempt_at = FiscalStatus.UNKNOWN, None, None
        document.last_error = error
    session.flush()
    return len(stale)


# --- what a person does ---------------------------------------------------------------------------------------------


def send_again(session: Session, actor: Actor, document: FiscalDocument, now: datetime) -> None:
    """Queue the document now with its USIN. An unknown one goes as the same bytes (FBR may hold it); a rejected
    one, which FBR did not record, is rebuilt so what was fixed (a PCT code, the merchant default) is sent."""
    if document.status == FiscalStatus.REPORTED:
        raise DomainError("FBR already has this invoice.")
    if document.sending_since is not None:
        raise DomainError("An attempt is on its way right now. Wait for its answer.")
    before = {"status": document.status}
    if document.status == FiscalStatus.REJECTED:
        document.request = _request(document.merchant, document.sale, document)  # MissingPctCode: still unfixed
    document.status, document.next_attempt_at = FiscalStatus.PENDING, now
    session.flush()
    record_audit(
        session,
        actor,
        "fiscal.send_again",
        f"Sent {document.usin} to FBR again (was {FiscalStatus(before['status']).label.lower()})",
        target=document,
        branch_id=document.counter.branch_id,
        before=before,
        after={"status": document.status},
    )


def settle_by_hand(
    session: Session, actor: Actor, document: FiscalDocument, fbr_number: str, note: str, now: datetime
) -> None:
    """Record the FBR number a person found for this USIN (in IRIS, or FBR's answer on paper): reported."""
    number = fbr_number.strip()
    if document.status == FiscalStatus.REPORTED:
        raise DomainError("FBR already has this invoice.")
    if document.sending_since is not None:
        raise DomainError("An attempt is on its way right now. Wait for its answer.")
    if not FBR_NUMBER.match(number):
        raise DomainError("Type the FBR number exactly as FBR shows it (6–64 letters or digits).", field="fbr_number")
    taken = session.scalar(
        select(FiscalDocument.usin).where(
            FiscalDocument.merchant_id == document.merchant_id,
            FiscalDocument.fbr_number == number,
            FiscalDocument.id != document.id,
        )
    )
    if taken:
        raise DomainError(f"That FBR number belongs to {taken}. Each invoice has its own.", field="fbr_number")
    before = {"status": document.status, "fbr_number": document.fbr_number}
    document.status, document.fbr_number, document.reported_at = FiscalStatus.REPORTED, number, now
    document.resolved_at, document.resolved_by_id = now, actor.user.id
    document.resolution_note, document.next_attempt_at = note.strip()[:300], None
    session.flush()
    record_audit(
        session,
        actor,
        "fiscal.settle",
        f"Entered FBR number {number} for {document.usin}",
        target=document,
        branch_id=document.counter.branch_id,
        before=before,
        after={"status": document.status, "fbr_number": number, "note": document.resolution_note},
    )


def document_of_sale(session: Session, sale_id: int) -> FiscalDocument | None:
    """The sale's own document (its credit notes share its `sale_id` and come after it)."""
    return session.scalar(
        select(FiscalDocument)
        .where(FiscalDocument.sale_id == sale_id, FiscalDocument.sale_return_id.is_(None))
        .order_by(FiscalDocument.id)
    )


def document_of_return(session: Session, sale_return_id: int) -> FiscalDocument | None:
    """The return's credit note, once recorded at an FBR counter."""
    return session.scalar(select(FiscalDocument).where(FiscalDocument.sale_return_id == sale_return_id))
