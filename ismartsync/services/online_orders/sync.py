"""The incremental order sync's record per merchant: its cursor, the run in progress and how the last one ended.

A run reads the orders changed since the cursor less an overlap (Shopify's `updated_at` search is known to miss
orders near the edge: shared/reference/shopify.md §2.6), or, the first time, those created in the last 60 days (what
read_orders reads). The cursor is the newest `updatedAt` a run took in, Shopify's clock, never ours. One run per
merchant at a time: a run claims the record; a claim older than STALE_RUN is a dead worker's and is taken over.
The Shopify calls are `pipelines/order_sync.py`.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ismartsync.models import ShopifyConnection
from ismartsync.models.base import utcnow
from ismartsync.models.online_order import OrderSync, OrderSyncStatus
from ismartsync.models.shopify import ConnectionStatus
from ismartsync.queue import enqueue_after_commit
from ismartsync.shopify import orders as wire

SYNC_JOB = "jobs.shopify.sync_orders"
OVERLAP = timedelta(minutes=5)
STALE_RUN = timedelta(minutes=30)


def sync_of(session: Session, merchant_id: int, *, lock: bool = False) -> OrderSync:
    """The merchant's record, created when missing."""
    query = select(OrderSync).where(OrderSync.merchant_id == merchant_id)
    row = session.scalar(query.with_for_update() if lock else query)
    if row is not None:
        return row
    try:
        with session.begin_nested():
            row = OrderSync(merchant_id=merchant_id)
            session.add(row)
    except IntegrityError:
        row = session.scalar(query.with_for_update() if lock else query)
        if row is None:
            raise
    return row


def claim_run(session: Session, merchant_id: int, now: datetime | None = None) -> OrderSync | None:
    """Mark a run started; None when another run is in progress (and not yet stale)."""
    now = now or utcnow()
    row = sync_of(session, merchant_id, lock=True)
    if row.status == OrderSyncStatus.RUNNING and row.started_at and row.started_at > now - STALE_RUN:
        return None
    row.status, row.started_at, row.orders_read, row.last_error = OrderSyncStatus.RUNNING, now, 0, ""
    session.flush()
    return row


def search_query(row: OrderSync, now: datetime | None = None) -> str:
    """What the run asks Shopify for: changed since the cursor less the overlap, or created in the last 60 days."""
    if row.cursor is None:
        return wire.created_since_query((now or utcnow()) - timedelta(days=wire.FIRST_SYNC_DAYS))
    return wire.changed_since_query(row.cursor - OVERLAP)


def advance(row: OrderSync, seen_updated_at: datetime | None, read: int) -> None:
    """Note progress: the cursor moves to the newest `updatedAt` taken in (never back)."""
    if seen_updated_at is not None and (row.cursor is None or seen_updated_at > row.cursor):
        row.cursor = seen_updated_at
    row.orders_read += read


def finish_run(row: OrderSync, started_at: datetime, now: datetime | None = None) -> None:
    """The run read everything: a first run that found no order still sets the cursor (to its start), so the next
    one asks only for what changed since."""
    if row.cursor is None:
        row.cursor = started_at
    row.status, row.finished_at = OrderSyncStatus.IDLE, now or utcnow()


def fail_run(session: Session, merchant_id: int, message: str) -> None:
    row = sync_of(session, merchant_id)
    row.status, row.finished_at, row.last_error = OrderSyncStatus.FAILED, utcnow(), message[:2000]
    session.flush()


def enqueue_sync(session: Session, merchant_id: int) -> None:
    """Sync the merchant's orders after the commit (once however often asked while it waits)."""
    enqueue_after_commit(session, SYNC_JOB, merchant_id, queue="shopify", timeout=1800, retries=3, unique=True)


def due_syncs(session: Session, every: timedelta, now: datetime | None = None) -> list[int]:
    """Connected merchants whose last order sync finished `every` ago or more (or never ran)."""
    now = now or utcnow()
    rows = session.execute(
        select(ShopifyConnection.merchant_id, OrderSync.status, OrderSync.finished_at, OrderSync.started_at)
        .outerjoin(OrderSync, OrderSync.merchant_id == ShopifyConnection.merchant_id)
        .where(ShopifyConnection.status == ConnectionStatus.CONNECTED)
        .order_by(ShopifyConnection.merchant_id)
    )
    due = []
    for merchant_id, status, finished_at, started_at in rows:
        if status == OrderSyncStatus.RUNNING and started_at and started_at > now - STALE_RUN:
            continue
        if finished_at is None or finished_at <= now - every:
            due.append(merchant_id)
    return due
