"""Fiscal queue jobs: send a document to FBR, and the sweeper that keeps the 24-hour promise (retries, alerts)."""

from __future__ import annotations

import logging
from datetime import timedelta

from flask import current_app

from ismartsync.extensions import db
from ismartsync.models.base import utcnow
from ismartsync.pipelines.fbr_report import report_document
from ismartsync.services.fiscal import documents
from ismartsync.services.fiscal.overdue import alert_overdue
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
    expired = documents.expire_stale_attempts(db.session, now - timeout - STALE_MARGIN, now)
    due = documents.due_documents(db.session, now)
    for document_id in due:
        documents.enqueue_report(db.session, document_id)
    alerted = alert_overdue(db.session, now, int(current_app.config["FISCAL_ALERT_HOURS"]))
    db.session.commit()
    if expired or due or alerted:
        log.info(
            "fiscal sweep", extra={"fields": {"expired": expired, "queued": len(due), "alerted_documents": alerted}}
        )
