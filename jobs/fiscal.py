"""Fiscal queue jobs: send a document to FBR, and the sweeper that keeps the 24-hour promise (retries, alerts)."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select

from ismartsync.extensions import db
from ismartsync.fiscal.reporting import enqueue_report, report_document
from ismartsync.models import Merchant, User
from ismartsync.models.base import utcnow
from ismartsync.permissions import Permission
from ismartsync.services import fiscal
from ismartsync.services.email import queue_email
from jobs import job

log = logging.getLogger(__name__)

# An attempt is given up for dead this long after its timeout would have ended it.
STALE_MARGIN = timedelta(seconds=60)


@job
def report(document_id: int) -> None:
    """Send one fiscal document (with its USIN, the same request as before) and record FBR's answer."""
    report_document(db.session, document_id, trigger="queue", timeout=float(current_app.config["FBR_TIMEOUT_SECONDS"]))


@job
def sweep() -> None:
    """Every few seconds: attempts that died become unknown, due retries are queued, 12-hour-old ones alert."""
    now = utcnow()
    timeout = timedelta(seconds=float(current_app.config["FBR_TIMEOUT_SECONDS"]))
    expired = fiscal.expire_stale_attempts(db.session, now - timeout - STALE_MARGIN, now)
    due = fiscal.due_documents(db.session, now)
    for document_id in due:
        enqueue_report(db.session, document_id)
    alerted = _alert_overdue(now - timedelta(hours=int(current_app.config["FISCAL_ALERT_HOURS"])))
    db.session.commit()
    if expired or due or alerted:
        log.info(
            "fiscal sweep", extra={"fields": {"expired": expired, "queued": len(due), "alerted_documents": alerted}}
        )


def _alert_overdue(older_than: datetime) -> int:
    """Email each merchant's owners and FBR resolvers once about documents open since before `older_than`."""
    hours = int(current_app.config["FISCAL_ALERT_HOURS"])
    total = 0
    for merchant_id, documents in fiscal.overdue_to_alert(db.session, older_than).items():
        merchant = db.session.get(Merchant, merchant_id)
        for person in _resolvers(merchant_id):
            queue_email(
                db.session,
                person.email,
                f"{len(documents)} sale(s) not yet reported to FBR after {hours} hours",
                "fiscal_overdue",
                merchant_id,
                merchant=merchant,
                person=person,
                documents=documents,
                hours=hours,
            )
        for document in documents:
            document.alerted_at = utcnow()
        log.error(
            "FBR reports overdue",
            extra={"fields": {"merchant_id": merchant_id, "documents": len(documents), "hours": hours}},
        )
        total += len(documents)
    return total


def _resolvers(merchant_id: int) -> list[User]:
    users = db.session.scalars(select(User).where(User.merchant_id == merchant_id, User.active.is_(True)))
    return [u for u in users if u.role.is_owner or u.can(Permission.RESOLVE_FISCAL)]
