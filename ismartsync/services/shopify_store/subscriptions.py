"""Which webhooks the sync needs from a store, and our record of each subscription (per connection and topic):
created, declared in the app configuration, refused, or impossible to verify; when it was checked and when its
last delivery arrived. The Shopify calls are `pipelines/webhook_subscriptions.py`."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ismartsync.models import ShopifyConnection, SubscriptionStatus, WebhookSubscription
from ismartsync.models.shopify import ConnectionStatus
from ismartsync.queue import enqueue_after_commit

# Every topic a handler in `pipelines/webhooks.py` acts on (bulk_operations/finish aside: an import polls its own
# bulk operation). `shopify.app.toml` declares the same list for our app; a test keeps the three equal.
SYNC_TOPICS: tuple[str, ...] = (
    "app/uninstalled",
    "customers/create",
    "customers/update",
    "customers/delete",
    "fulfillment_orders/cancelled",
    "fulfillment_orders/hold_released",
    "fulfillment_orders/merged",
    "fulfillment_orders/moved",
    "fulfillment_orders/order_routing_complete",
    "fulfillment_orders/placed_on_hold",
    "fulfillment_orders/rescheduled",
    "fulfillment_orders/scheduled_fulfillment_order_ready",
    "fulfillment_orders/split",
    "fulfillments/create",
    "fulfillments/update",
    "inventory_items/create",
    "inventory_items/update",
    "inventory_items/delete",
    "inventory_levels/connect",
    "inventory_levels/update",
    "inventory_levels/disconnect",
    "locations/create",
    "locations/update",
    "locations/delete",
    "orders/create",
    "orders/updated",
    "orders/cancelled",
    "products/create",
    "products/update",
    "products/delete",
)
CHECK_JOB = "jobs.shopify.check_webhook_subscriptions"
CHECK_EVERY = timedelta(days=1)
UNVERIFIABLE = (
    "Not subscribed: without the app's API secret key iSmartSync could not tell Shopify's deliveries from forged "
    "ones. Add the key in Settings → Shopify."
)


def webhook_address(config: Mapping[str, Any]) -> str:
    """Where Shopify delivers our webhooks: `SHOPIFY_WEBHOOK_URL`, else `BASE_URL` + /webhooks/shopify."""
    return config.get("SHOPIFY_WEBHOOK_URL") or str(config["BASE_URL"]).rstrip("/") + "/webhooks/shopify"


def subscriptions_of(session: Session, connection: ShopifyConnection) -> dict[str, WebhookSubscription]:
    """Our rows for the connection, by topic."""
    rows = session.scalars(select(WebhookSubscription).where(WebhookSubscription.connection_id == connection.id))
    return {row.topic: row for row in rows}


def _row(session: Session, connection: ShopifyConnection, topic: str) -> WebhookSubscription:
    row = session.scalar(
        select(WebhookSubscription).where(
            WebhookSubscription.connection_id == connection.id, WebhookSubscription.topic == topic
        )
    )
    if row is None:
        row = WebhookSubscription(merchant_id=connection.merchant_id, connection_id=connection.id, topic=topic)
        session.add(row)
    return row


def record_state(
    session: Session,
    connection: ShopifyConnection,
    topic: str,
    status: SubscriptionStatus,
    *,
    now: datetime,
    shopify_id: str | None = None,
    callback_url: str | None = None,
    created: bool = False,
    error: str = "",
) -> WebhookSubscription:
    """What a check found (or did) for one topic: its status, Shopify id and address, and the error if any."""
    row = _row(session, connection, topic)
    row.status, row.checked_at, row.last_error = status, now, error[:2000]
    if shopify_id is not None:
        row.shopify_id = shopify_id
    if callback_url is not None:
        row.callback_url = callback_url
    if created:
        row.created_at = now
    session.flush()
    return row


def record_declared(session: Session, connection: ShopifyConnection, callback_url: str, now: datetime) -> None:
    """An install of our app: Shopify delivers what shopify.app.toml declares; nothing is created per shop."""
    for topic in SYNC_TOPICS:
        record_state(
            session, connection, topic, SubscriptionStatus.DECLARED, now=now, shopify_id="", callback_url=callback_url
        )


def record_unverifiable(session: Session, connection: ShopifyConnection, now: datetime) -> None:
    for topic in SYNC_TOPICS:
        record_state(session, connection, topic, SubscriptionStatus.UNVERIFIABLE, now=now, error=UNVERIFIABLE)


def drop_rows(session: Session, rows: list[WebhookSubscription]) -> None:
    for row in rows:
        session.delete(row)
    session.flush()


def note_delivery(session: Session, merchant_id: int, topic: str, at: datetime) -> None:
    """A verified delivery of `topic` reached us: its subscription's last delivery time."""
    session.execute(
        update(WebhookSubscription)
        .where(WebhookSubscription.merchant_id == merchant_id, WebhookSubscription.topic == topic)
        .values(last_delivery_at=at)
    )


def enqueue_check(session: Session, merchant_id: int) -> None:
    """Check (create, recreate, remove) the merchant's subscriptions after the commit, in a job that is retried."""
    enqueue_after_commit(session, CHECK_JOB, merchant_id, queue="shopify", timeout=300, retries=3, unique=True)


def due_checks(session: Session, now: datetime, every: timedelta = CHECK_EVERY) -> list[int]:
    """Connected merchants whose subscriptions were last checked longer than `every` ago (or never)."""
    due = []
    connections = session.scalars(
        select(ShopifyConnection).where(ShopifyConnection.status == ConnectionStatus.CONNECTED)
    )
    for connection in connections:
        checked = [row.checked_at for row in subscriptions_of(session, connection).values()]
        if not checked or any(at is None or at < now - every for at in checked):
            due.append(connection.merchant_id)
    return due


def topic_label(topic: str) -> str:
    """`inventory_levels/update` → "Inventory levels: update" for the sync health screen."""
    resource, _, event = topic.partition("/")
    return f"{resource.replace('_', ' ').capitalize()}: {event.replace('_', ' ')}"


def last_checked(rows: list[WebhookSubscription]) -> datetime | None:
    times = [row.checked_at for row in rows if row.checked_at is not None]
    return min(times) if times else None
