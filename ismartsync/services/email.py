"""Outgoing email: store the message, deliver it from a job after the commit."""

from __future__ import annotations

from datetime import timedelta

from flask import render_template
from sqlalchemy import select
from sqlalchemy.orm import Session

from ismartsync.models import EmailStatus, OutgoingEmail
from ismartsync.models.base import utcnow
from ismartsync.queue import enqueue_after_commit

# After this many failed deliveries an email waits for a person to look at it.
MAX_ATTEMPTS = 8


def queue_email(
    session: Session, to_address: str, subject: str, template: str, merchant_id: int | None, **context: object
) -> OutgoingEmail:
    """Render `emails/<template>.txt` and queue it for delivery once the transaction commits."""
    email = OutgoingEmail(
        merchant_id=merchant_id,
        to_address=to_address,
        subject=subject,
        body_text=render_template(f"emails/{template}.txt", **context),
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
