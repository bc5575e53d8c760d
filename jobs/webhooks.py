"""Shopify webhook jobs: one stored delivery processed (`ismartsync/pipelines/webhooks.py`)."""

from __future__ import annotations

from ismartsync.extensions import db
from ismartsync.pipelines import webhooks
from jobs import job


@job
def process_webhook(event_id: int) -> None:
    """Process one stored delivery once; a failure is recorded on the event and raised again, so RQ retries it."""
    webhooks.process_webhook(db.session, event_id)
