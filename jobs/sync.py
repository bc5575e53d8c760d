"""Stock sync jobs: push the outbox, compare with Shopify, schedule comparisons, and sweep up what was left behind.

The push and the comparison commit between network steps, so their work is `ismartsync/pipelines/`; these are the
RQ entry points (`services/stock/sync_outbox.py` and `services/stock/reconciliation.py` enqueue them by path).
"""

from __future__ import annotations

import logging
from datetime import timedelta

from flask import current_app

from ismartsync.extensions import db
from ismartsync.models.base import utcnow
from ismartsync.pipelines import reconciliation, stock_push
from ismartsync.services.shopify_store import webhooks
from ismartsync.services.stock import push
from ismartsync.services.stock.reconciliation import due_reconciliations, start_reconciliation
from ismartsync.services.stock.sync_outbox import enqueue_push
from jobs import job

log = logging.getLogger(__name__)


@job
def push_stock(merchant_id: int) -> None:
    """Send the merchant's outbox to Shopify, batch after batch, until nothing is due."""
    stock_push.push_stock(db.session, merchant_id)


@job
def run_reconciliation(reconciliation_id: int) -> None:
    """Compare every mapped level of the merchant with Shopify's on_hand, branch by branch."""
    reconciliation.run_reconciliation(db.session, reconciliation_id)


@job
def schedule_reconciliations() -> None:
    """Start a scheduled reconciliation for each connected merchant whose last one is older than the interval (the
    shorter one for a store whose webhooks cannot be verified)."""
    interval = timedelta(minutes=int(current_app.config.get("RECONCILE_INTERVAL_MINUTES") or 60))
    unverified = timedelta(minutes=int(current_app.config.get("RECONCILE_UNVERIFIED_MINUTES") or 10))
    for merchant_id in due_reconciliations(db.session, utcnow(), interval, unverified):
        try:
            start_reconciliation(db.session, merchant_id, trigger="scheduled")
            db.session.commit()
        except Exception:  # one merchant's trouble must not stop the others' comparisons
            db.session.rollback()
            log.exception("could not start the scheduled reconciliation of merchant %s", merchant_id)


@job
def sweep() -> None:
    """Re-enqueue what a dead worker or a Redis outage left behind: outbox pushes, due retries, batches whose worker
    was killed (known from RQ's heartbeat) or that went stale, webhooks."""
    now = utcnow()
    merchants = push.merchants_left_behind(
        db.session, now, stale_after=stock_push.stale_after(), sender_gone=stock_push.sender_gone
    )
    for merchant_id in merchants:
        enqueue_push(db.session, merchant_id)
    webhooks.sweep_deliveries(db.session, now)
    db.session.commit()
    if merchants:
        log.info("sweeper re-enqueued stock pushes", extra={"fields": {"merchants": len(merchants)}})
