"""Shopify jobs: the catalog import (full through bulk exports, or incremental by `updated_at`), and its schedule;
the store's webhook subscriptions, checked at connect and daily; online orders, synced at connect and every
`ORDER_SYNC_MINUTES`."""

from __future__ import annotations

import logging
from datetime import timedelta

from flask import current_app

from ismartsync.extensions import db
from ismartsync.models.base import utcnow
from ismartsync.pipelines import catalog_import, order_sync, webhook_subscriptions
from ismartsync.services.online_orders import sync as order_syncs
from ismartsync.services.shopify_store import subscriptions
from ismartsync.services.shopify_store.locations import merchants_with_full_import, start_scheduled_import
from jobs import job

log = logging.getLogger(__name__)


@job
def run_catalog_import(run_id: int) -> None:
    """Run one queued import to the end, committing progress as it goes; failures are recorded on the run."""
    catalog_import.run_catalog_import(db.session, run_id)


@job
def schedule_incremental_imports() -> int:
    """Every minute: an incremental import for each connected merchant whose last import finished long enough ago
    (`SHOPIFY_INCREMENTAL_MINUTES`) after a successful full one. Returns how many were started."""
    every = timedelta(minutes=current_app.config["SHOPIFY_INCREMENTAL_MINUTES"])
    started = 0
    for merchant_id in merchants_with_full_import(db.session):
        try:
            if start_scheduled_import(db.session, merchant_id, every) is not None:
                started += 1
            db.session.commit()  # each merchant alone: one failing never holds back the others
        except Exception:
            db.session.rollback()
            log.exception("could not schedule an incremental import for merchant %s", merchant_id)
    return started


@job
def check_webhook_subscriptions(merchant_id: int) -> None:
    """Create what is missing of the store's subscriptions, delete what the sync no longer needs (retried while
    Shopify cannot be reached)."""
    address = subscriptions.webhook_address(current_app.config)
    webhook_subscriptions.check_subscriptions(db.session, merchant_id, address)


@job
def schedule_subscription_checks() -> int:
    """Every hour: a check for each connected store whose subscriptions were last checked a day ago or more."""
    due = subscriptions.due_checks(db.session, utcnow())
    for merchant_id in due:
        subscriptions.enqueue_check(db.session, merchant_id)
    db.session.commit()
    return len(due)


@job
def sync_orders(merchant_id: int) -> None:
    """Take in the online orders changed since the last run (the last 60 days the first time); nothing while another
    run of the merchant's is in progress. Retried while Shopify cannot be reached."""
    order_sync.sync_orders(db.session, merchant_id)


@job
def schedule_order_syncs() -> int:
    """Every minute: an order sync for each connected store whose last one finished `ORDER_SYNC_MINUTES` ago."""
    due = order_syncs.due_syncs(db.session, timedelta(minutes=current_app.config["ORDER_SYNC_MINUTES"]))
    for merchant_id in due:
        order_syncs.enqueue_sync(db.session, merchant_id)
    db.session.commit()
    return len(due)
