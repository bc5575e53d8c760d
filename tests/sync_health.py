"""Rows the sync health tests (the summary in tests/services/stock/, the screen in tests/views/) set up: outbox
changes, push batches, a connected store and webhook deliveries, as the pipelines would have left them."""

from __future__ import annotations

from datetime import timedelta
from itertools import count

from ismartsync.extensions import db
from ismartsync.models import SyncBatch, SyncOutboxEntry, WebhookEvent
from ismartsync.models.base import utcnow

_keys = count()


def outbox_entry(
    variant, branch, status: str, *, delta: int = -1, error: str = "", age: timedelta = timedelta()
) -> SyncOutboxEntry:
    """A stock change of `variant` at `branch` for Shopify, made `age` ago, in `status`."""
    row = SyncOutboxEntry(
        merchant_id=variant.merchant_id,
        variant_id=variant.id,
        branch_id=branch.id,
        inventory_item_id=variant.inventory_item_id,
        location_id="gid://shopify/Location/1",
        kind="sale",
        delta=delta,
        quantity_after=9,
        status=status,
        error=error,
        created_at=utcnow() - age,
    )
    db.session.add(row)
    db.session.flush()
    return row


def sync_batch(merchant, status: str, **values) -> SyncBatch:
    """A push of inventory changes to Shopify in `status` (`values`: attempts, error, sent_at, finished_at, …)."""
    row = SyncBatch(
        merchant_id=merchant.id,
        operation="InventoryAdjust",
        reason="correction",
        reference="gid://ismartsync/Sale/1",
        idempotency_key=f"key-{next(_keys)}",
        status=status,
        **values,
    )
    db.session.add(row)
    db.session.flush()
    return row


def webhook_deliveries(merchant, other_merchant, shop: str, topic: str, statuses: list[str]) -> object:
    """One delivery from `shop` per status, the first received two minutes ago and each next a minute earlier, and
    one of another merchant's that must not count; when the latest arrived."""
    received = utcnow() - timedelta(minutes=2)
    for n, status in enumerate(statuses):
        db.session.add(
            WebhookEvent(
                merchant_id=merchant.id,
                shop_domain=shop,
                topic=topic,
                webhook_id=f"hook-{n}",
                payload="{}",
                status=status,
                received_at=received - timedelta(minutes=n),
            )
        )
    db.session.add(
        WebhookEvent(
            merchant_id=other_merchant.id,
            shop_domain="theirs.myshopify.com",
            topic=topic,
            webhook_id="theirs",
            payload="{}",
        )
    )
    db.session.flush()
    return received
