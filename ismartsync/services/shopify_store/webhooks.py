"""Shopify webhook deliveries: stored once per webhook id before they are acknowledged, then handed to a job;
their bookkeeping (processed, ignored, failed), the sweeper's look-up of lost ones, and pruning."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from ismartsync.models import ShopifyConnection, WebhookEvent, WebhookStatus
from ismartsync.models.base import utcnow
from ismartsync.models.shopify import ConnectionStatus
from ismartsync.queue import enqueue_after_commit
from ismartsync.services.shopify_store.subscriptions import note_delivery
from ismartsync.shopify.times import parse_shopify_time

PROCESS_JOB = "jobs.webhooks.process_webhook"
# Acted on inside the request itself (the view revokes the connection), so stored as processed with no job.
HANDLED_IN_REQUEST = frozenset({"app/uninstalled"})
DONE = (WebhookStatus.PROCESSED, WebhookStatus.IGNORED)
GRACE = timedelta(seconds=30)  # a delivery still received after this lost its job
RETENTION = timedelta(days=7)  # settled deliveries are deleted after this (their payloads hold customer data)


def parse_triggered_at(value: str | None) -> datetime | None:
    """`X-Shopify-Triggered-At` as an aware UTC datetime; None when missing or unreadable: a delivery is stored
    whatever its header says (without the time, its handler reads Shopify again instead of trusting an older read)."""
    try:
        return parse_shopify_time(value)
    except ValueError:
        return None


def _merchant_of(session: Session, shop: str) -> int | None:
    return session.scalar(
        select(ShopifyConnection.merchant_id)
        .where(ShopifyConnection.shop_domain == shop, ShopifyConnection.status == ConnectionStatus.CONNECTED)
        .limit(1)
    )


def store_delivery(
    session: Session,
    *,
    shop: str,
    topic: str,
    webhook_id: str,
    event_id: str,
    api_version: str,
    triggered_at: str | None,
    payload: str,
) -> WebhookEvent | None:
    """Store one verified delivery; None when this webhook id was stored before (Shopify retries, duplicates).

    A new delivery for a connected shop is queued for `jobs.webhooks.process_webhook` (after the commit); one for
    a shop no merchant has connected is kept as ignored, so a person can see what arrived.
    """
    merchant_id = _merchant_of(session, shop)
    now = utcnow()
    if merchant_id is None:
        status, error, processed_at = WebhookStatus.IGNORED, "No connected iSmartSync account has this shop.", now
    elif topic in HANDLED_IN_REQUEST:
        status, error, processed_at = WebhookStatus.PROCESSED, "", now
    else:
        status, error, processed_at = WebhookStatus.RECEIVED, "", None
    values = {
        "merchant_id": merchant_id,
        "shop_domain": shop[:255],
        "topic": topic[:64],
        "webhook_id": webhook_id[:120],
        "event_id": event_id[:120],
        "api_version": api_version[:16],
        "triggered_at": parse_triggered_at(triggered_at),
        "payload": payload,
        "status": status,
        "attempts": 0,
        "error": error,
        "received_at": now,
        "processed_at": processed_at,
    }
    # ON CONFLICT DO NOTHING: of two copies arriving together, the second waits for the first and inserts nothing.
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    new_id = session.scalar(
        insert(WebhookEvent)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["shop_domain", "topic", "webhook_id"])
        .returning(WebhookEvent.id)
    )
    if new_id is None:
        return None
    if merchant_id is not None:
        note_delivery(session, merchant_id, topic, now)
    if status == WebhookStatus.RECEIVED:
        enqueue_webhook(session, new_id)
    return session.get(WebhookEvent, new_id)


def enqueue_webhook(session: Session, event_id: int) -> None:
    """Process the event after the commit (also what the sweeper calls for lost or failed ones)."""
    enqueue_after_commit(session, PROCESS_JOB, event_id, queue="shopify", timeout=300, retries=3, unique=True)


def finish_event(event: WebhookEvent, status: WebhookStatus, note: str = "") -> None:
    """Mark the event processed or ignored (`note` says why it was ignored); the caller commits."""
    event.status, event.error, event.processed_at = status, note, utcnow()
    event.attempts += 1


def fail_event(session: Session, event_id: int, error: str) -> None:
    """Record a failed attempt on a fresh read of the row (the caller has rolled its work back)."""
    event = session.get(WebhookEvent, event_id)
    if event is not None:
        event.status, event.error = WebhookStatus.FAILED, error[:2000]
        event.attempts += 1
        session.flush()


def stale_event_ids(session: Session, *, older_than: datetime, max_attempts: int = 8) -> list[int]:
    """Events whose job was lost (still received: Redis was down) or that failed fewer than `max_attempts` times,
    received before `older_than`, oldest first; the sweeper queues them again."""
    return list(
        session.scalars(
            select(WebhookEvent.id)
            .where(
                WebhookEvent.received_at < older_than,
                or_(
                    WebhookEvent.status == WebhookStatus.RECEIVED,
                    (WebhookEvent.status == WebhookStatus.FAILED) & (WebhookEvent.attempts < max_attempts),
                ),
            )
            .order_by(WebhookEvent.id)
        )
    )


def prune_events(session: Session, before: datetime) -> int:
    """Delete processed and ignored events received before `before` (payloads hold customer data); returns how many.
    Failed ones stay for a person to look at."""
    result = session.execute(
        delete(WebhookEvent).where(WebhookEvent.received_at < before, WebhookEvent.status.in_(DONE))
    )
    return result.rowcount or 0


def sweep_deliveries(session: Session, now: datetime) -> None:
    """Queue again the deliveries whose job was lost or failed, and delete the settled ones past their retention."""
    for event_id in stale_event_ids(session, older_than=now - GRACE):
        enqueue_webhook(session, event_id)
    prune_events(session, before=now - RETENTION)
