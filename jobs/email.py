"""Email delivery jobs: the stored message, with its documents rendered at sending time."""

from __future__ import annotations

from ismartsync.extensions import db
from ismartsync.pipelines import email
from jobs import job


@job
def deliver_email(email_id: int) -> None:
    """Send one queued email (`ismartsync/pipelines/email.py`); a failure is recorded and raised, so RQ retries it."""
    email.deliver_email(db.session, email_id)
