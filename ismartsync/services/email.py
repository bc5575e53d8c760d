"""Outgoing email: store the message, deliver it from a job after the commit, with its documents rendered then."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from flask import render_template
from sqlalchemy import select
from sqlalchemy.orm import Session

from ismartsync.documents.credit_notes import credit_note_pdf
from ismartsync.documents.invoices import sale_invoice_pdf
from ismartsync.models import EmailStatus, OutgoingEmail
from ismartsync.models.base import utcnow
from ismartsync.queue import enqueue_after_commit
from ismartsync.services.fiscal.documents import document_of_return, document_of_sale
from ismartsync.services.returns.reading import get_return
from ismartsync.services.sales import fiscal_document_for, sale_for_receipt

# After this many failed deliveries an email waits for a person to look at it.
MAX_ATTEMPTS = 8


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str  # "application/pdf"
    data: bytes


def queue_email(
    session: Session,
    to_address: str,
    subject: str,
    template: str,
    merchant_id: int | None,
    *,
    attachments: list[dict[str, Any]] | None = None,
    **context: object,
) -> OutgoingEmail:
    """Render `emails/<template>.txt` and queue it for delivery once the transaction commits.

    `attachments` name documents, e.g. `{"kind": "sale_invoice", "sale_id": 12, "filename": "GUL-C1-000012.pdf"}`:
    they are rendered when the email is sent (see `render_attachments`), so the row stays small.
    """
    email = OutgoingEmail(
        merchant_id=merchant_id,
        to_address=to_address,
        subject=subject,
        body_text=render_template(f"emails/{template}.txt", **context),
        attachments=attachments or None,
    )
    session.add(email)
    session.flush()
    enqueue_after_commit(session, "jobs.email.deliver_email", email.id, queue="email", timeout=60)
    return email


def requeue_stale_emails(session: Session, older_than: timedelta = timedelta(minutes=5)) -> int:
    """Enqueue again the emails still queued after `older_than` (Redis was down, or a worker died)."""
    stale = session.scalars(
        select(OutgoingEmail.id).where(
            OutgoingEmail.status != EmailStatus.SENT,
            OutgoingEmail.attempts < MAX_ATTEMPTS,
            OutgoingEmail.created_at < utcnow() - older_than,
        )
    ).all()
    for email_id in stale:
        enqueue_after_commit(session, "jobs.email.deliver_email", email_id, queue="email", timeout=60)
    return len(stale)


def render_attachments(session: Session, email: OutgoingEmail) -> list[Attachment]:
    """The email's documents, rendered now: a sale's tax invoice or a return's credit note, as the customer's copy
    (CNIC and phone masked).

    Raises LookupError for a document that is not the email's merchant's (or no longer exists).
    """
    rendered = []
    for spec in email.attachments or []:
        if spec.get("kind") == "credit_note" and email.merchant_id is not None:
            rendered.append(_credit_note(session, email, spec))
            continue
        if spec.get("kind") != "sale_invoice" or email.merchant_id is None:
            raise LookupError(f"email {email.id}: unknown attachment {spec!r}")
        sale = sale_for_receipt(session, email.merchant_id, int(spec["sale_id"]))
        if sale is None:
            raise LookupError(f"email {email.id}: sale {spec['sale_id']} is not the merchant's placed sale")
        pdf = sale_invoice_pdf(sale, fiscal_document_for(session, sale), masked=True)
        rendered.append(Attachment(spec["filename"], "application/pdf", pdf))
    return rendered


def _credit_note(session: Session, email: OutgoingEmail, spec: dict[str, Any]) -> Attachment:
    assert email.merchant_id is not None
    sale_return = get_return(session, email.merchant_id, int(spec["sale_return_id"]))
    if sale_return is None:
        raise LookupError(f"email {email.id}: return {spec['sale_return_id']} is not the merchant's")
    original = document_of_sale(session, sale_return.sale_id) if sale_return.sale_id else None
    pdf = credit_note_pdf(sale_return, document_of_return(session, sale_return.id), original, masked=True)
    return Attachment(spec["filename"], "application/pdf", pdf)
