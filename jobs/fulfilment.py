"""Fulfilment jobs: a Smart dispatch's `fulfillmentCreate` (enqueued after the dispatch commits), and the sweep that
sends again what a lost job or a passing Shopify outage left behind."""

from __future__ import annotations

import logging

from ismartsync.extensions import db
from ismartsync.models.base import utcnow
from ismartsync.pipelines import fulfilment_push
from ismartsync.queue import enqueue_after_commit
from jobs import job

log = logging.getLogger(__name__)


@job
def push_dispatch(dispatch_id: int) -> None:
    """Tell Shopify of one dispatch (once: its key is stored; a retry is the same fulfilment)."""
    try:
        fulfilment_push.push_dispatch(db.session, dispatch_id)
    except fulfilment_push.SendLater as exc:
        log.info("%s", exc)  # the sweep sends it again when it is due


@job
def sweep() -> int:
    """Send the dispatches that are due again; returns how many were queued."""
    due = fulfilment_push.dispatches_due(db.session, utcnow())
    for dispatch_id in due:
        enqueue_after_commit(
            db.session,
            "jobs.fulfilment.push_dispatch",
            dispatch_id,
            queue="shopify",
            timeout=120,
            retries=0,
            unique=True,
        )
    db.session.commit()
    return len(due)
