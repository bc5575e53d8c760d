"""Outgoing email: store the message, deliver it from a job after the commit."""

from __future__ import annotations

from flask import render_template
from sqlalchemy.orm import Session

from ismartsync.models import OutgoingEmail
from ismartsync.queue import enqueue_after_commit


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
