"""The email sweeper: what a Redis outage or a dead worker left behind is enqueued again."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from ismartsync.extensions import db
from ismartsync.models import EmailStatus, OutgoingEmail
from ismartsync.models.base import utcnow
from ismartsync.services.email import MAX_ATTEMPTS, requeue_stale_emails


def _email(address: str, minutes_old: int, status: str = EmailStatus.QUEUED, attempts: int = 0) -> OutgoingEmail:
    email = OutgoingEmail(
        to_address=address,
        subject="Hello",
        body_text="Hello",
        status=status,
        attempts=attempts,
        created_at=utcnow() - timedelta(minutes=minutes_old),
    )
    db.session.add(email)
    db.session.flush()
    return email


def test_sweeper_sends_only_stale_unsent_emails_that_still_have_tries_left(run_jobs):
    _email("stale@example.pk", 10)
    _email("failed@example.pk", 10, EmailStatus.FAILED, attempts=2)
    _email("fresh@example.pk", 1)
    _email("sent@example.pk", 10, EmailStatus.SENT, attempts=1)
    _email("given-up@example.pk", 10, EmailStatus.FAILED, attempts=MAX_ATTEMPTS)
    assert requeue_stale_emails(db.session) == 2
    db.session.commit()
    run_jobs("email")
    db.session.expire_all()
    mine = select(OutgoingEmail.to_address, OutgoingEmail.status).where(OutgoingEmail.to_address.like("%@example.pk"))
    statuses = dict(db.session.execute(mine).all())
    assert statuses == {
        "stale@example.pk": "sent",
        "failed@example.pk": "sent",
        "fresh@example.pk": "queued",
        "sent@example.pk": "sent",
        "given-up@example.pk": "failed",
    }
