"""The figures of the sync health screen: what waits for Shopify, what it refused, the rate limit, webhooks, and the
last comparison with Shopify."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from redis import Redis
from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload

from ismartsync.models import (
    BatchStatus,
    DriftStatus,
    OutboxStatus,
    Reconciliation,
    StockDrift,
    SyncBatch,
    SyncOutboxEntry,
    Variant,
    WebhookEvent,
    WebhookStatus,
    WebhookSubscription,
)
from ismartsync.models.base import utcnow
from ismartsync.services.shopify_store.connection import connection_of
from ismartsync.services.stock.reconciliation import latest_reconciliation
from ismartsync.shopify.bucket import cost_bucket

SHOWN = 20  # failed, skipped and retrying rows listed; the counts cover all of them


@dataclass(frozen=True)
class Throttle:
    """Shopify's query-cost bucket for the shop, as last reported and restored since."""

    available: float
    maximum: float
    restore_rate: float


@dataclass(frozen=True)
class SyncHealth:
    as_of: datetime
    pending: int
    oldest_pending_at: datetime | None
    sending: int
    failed: int
    failed_entries: list[SyncOutboxEntry]
    skipped: int
    skipped_entries: list[SyncOutboxEntry]
    last_push_at: datetime | None
    last_error: str
    last_error_at: datetime | None
    retrying: list[SyncBatch]
    throttle: Throttle | None
    webhooks_waiting: int
    webhooks_failed: int
    last_webhook_at: datetime | None
    reconciliation: Reconciliation | None
    open_drifts: int
    # The store's webhook subscriptions (one per topic the sync needs), and whether its deliveries can be verified
    # (None: no connected store).
    subscriptions: list[WebhookSubscription]
    webhooks_verifiable: bool | None

    @property
    def oldest_pending_age(self) -> timedelta | None:
        return self.as_of - self.oldest_pending_at if self.oldest_pending_at else None


def summary(session: Session, merchant_id: int, redis: Redis | None) -> SyncHealth:
    """Everything the sync health screen shows for one merchant, read in one go."""
    counts, oldest = _outbox_counts(session, merchant_id)
    last_error = _last_error(session, merchant_id)
    waiting, failed_hooks, last_hook = _webhooks(session, merchant_id)
    connection = connection_of(session, merchant_id)
    connected = connection is not None and connection.is_connected
    return SyncHealth(
        as_of=utcnow(),
        pending=counts.get(OutboxStatus.PENDING, 0),
        oldest_pending_at=oldest,
        sending=counts.get(OutboxStatus.SENDING, 0),
        failed=counts.get(OutboxStatus.FAILED, 0),
        failed_entries=_latest_entries(session, merchant_id, OutboxStatus.FAILED),
        skipped=counts.get(OutboxStatus.SKIPPED, 0),
        skipped_entries=_latest_entries(session, merchant_id, OutboxStatus.SKIPPED),
        last_push_at=session.scalar(
            select(func.max(SyncBatch.finished_at)).where(
                SyncBatch.merchant_id == merchant_id, SyncBatch.status == BatchStatus.APPLIED
            )
        ),
        last_error=last_error.error if last_error else "",
        last_error_at=_batch_time(last_error) if last_error else None,
        retrying=list(
            session.scalars(
                select(SyncBatch)
                .where(SyncBatch.merchant_id == merchant_id, SyncBatch.status == BatchStatus.RETRY)
                .order_by(SyncBatch.next_attempt_at, SyncBatch.id)
                .limit(SHOWN)
            )
        ),
        throttle=_throttle(session, merchant_id, redis),
        webhooks_waiting=waiting,
        webhooks_failed=failed_hooks,
        last_webhook_at=last_hook,
        reconciliation=latest_reconciliation(session, merchant_id),
        open_drifts=session.scalar(
            select(func.count()).where(StockDrift.merchant_id == merchant_id, StockDrift.status == DriftStatus.OPEN)
        )
        or 0,
        subscriptions=list(
            session.scalars(
                select(WebhookSubscription)
                .where(WebhookSubscription.connection_id == connection.id)
                .order_by(WebhookSubscription.topic)
            )
        )
        if connected
        else [],
        webhooks_verifiable=connection.can_verify_webhooks if connected else None,
    )


def _outbox_counts(session: Session, merchant_id: int) -> tuple[dict[str, int], datetime | None]:
    """Entries per status (applied ones are not counted: they are history), and when the oldest pending was made."""
    rows = session.execute(
        select(SyncOutboxEntry.status, func.count(), func.min(SyncOutboxEntry.created_at))
        .where(SyncOutboxEntry.merchant_id == merchant_id, SyncOutboxEntry.status != OutboxStatus.APPLIED)
        .group_by(SyncOutboxEntry.status)
    ).all()
    oldest = next((first for status, _, first in rows if status == OutboxStatus.PENDING), None)
    return {status: count for status, count, _ in rows}, oldest


def _latest_entries(session: Session, merchant_id: int, status: OutboxStatus) -> list[SyncOutboxEntry]:
    return list(
        session.scalars(
            select(SyncOutboxEntry)
            .where(SyncOutboxEntry.merchant_id == merchant_id, SyncOutboxEntry.status == status)
            .options(
                joinedload(SyncOutboxEntry.variant).joinedload(Variant.product), joinedload(SyncOutboxEntry.branch)
            )
            .order_by(SyncOutboxEntry.id.desc())
            .limit(SHOWN)
        )
    )


def _batch_time(batch: SyncBatch) -> datetime:
    return batch.finished_at or batch.sent_at or batch.created_at


def _last_error(session: Session, merchant_id: int) -> SyncBatch | None:
    """The latest batch Shopify refused or that is waiting to be sent again, by when it last went wrong."""
    return session.scalar(
        select(SyncBatch)
        .where(
            SyncBatch.merchant_id == merchant_id,
            SyncBatch.status.in_([BatchStatus.FAILED, BatchStatus.RETRY]),
            SyncBatch.error != "",
        )
        .order_by(func.coalesce(SyncBatch.finished_at, SyncBatch.sent_at, SyncBatch.created_at).desc())
        .limit(1)
    )


def _webhooks(session: Session, merchant_id: int) -> tuple[int, int, datetime | None]:
    """Deliveries stored but not handled yet, those that failed, and when the last one arrived."""
    rows = dict(
        session.execute(
            select(WebhookEvent.status, func.count())
            .where(
                WebhookEvent.merchant_id == merchant_id,
                WebhookEvent.status.in_([WebhookStatus.RECEIVED, WebhookStatus.FAILED]),
            )
            .group_by(WebhookEvent.status)
        ).all()
    )
    last = session.scalar(select(func.max(WebhookEvent.received_at)).where(WebhookEvent.merchant_id == merchant_id))
    return rows.get(WebhookStatus.RECEIVED, 0), rows.get(WebhookStatus.FAILED, 0), last


def _throttle(session: Session, merchant_id: int, redis: Redis | None) -> Throttle | None:
    """The shop's cost bucket as every worker shares it (Redis), or as this process knows it; None before Shopify
    has reported it."""
    connection = connection_of(session, merchant_id)
    if connection is None or not connection.is_connected:
        return None
    state = cost_bucket(connection.shop_domain, redis).snapshot()
    if state is None:
        return None
    return Throttle(available=state["available"], maximum=state["maximum"], restore_rate=state["rate"])
