"""Two-way stock sync with Shopify: the outbox of our changes, the batches that carry them, the per-pair sync state,
stored webhook deliveries, and reconciliation runs with the drift they found."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ismartsync.models.base import Base, IdMixin, TenantMixin, utcnow
from ismartsync.models.catalog import Variant
from ismartsync.models.merchant import Branch


class OutboxStatus(StrEnum):
    PENDING = "pending"  # waiting for the push job
    SENDING = "sending"  # inside a batch that is on its way (or waiting to be retried)
    APPLIED = "applied"  # Shopify has it; never sent again
    SKIPPED = "skipped"  # Shopify cannot take it (untracked item, bundle); `error` says why
    FAILED = "failed"  # Shopify refused it; a person looks at it on the sync health screen
    # A fulfilment in flight: our `fulfilment` movement that Shopify takes off on_hand itself when the fulfilment is
    # made there (fulfillmentCreate, or a person in Shopify). Never pushed; APPLIED once Shopify shows it fulfilled.
    AWAITING = "awaiting"


# Not yet in Shopify: what Shopify's quantity lacks compared with ours.
UNSENT = (OutboxStatus.PENDING, OutboxStatus.SENDING, OutboxStatus.FAILED, OutboxStatus.AWAITING)


class SyncOutboxEntry(TenantMixin, Base):
    """One change Shopify must get at a mapped location: a stock movement, or a "push ours" drift correction."""

    __tablename__ = "sync_outbox"
    __table_args__ = (
        sa.UniqueConstraint("movement_id"),
        sa.Index("ix_sync_outbox_merchant_status", "merchant_id", "status", "id"),
        sa.Index("ix_sync_outbox_variant_branch_status", "variant_id", "branch_id", "status"),
    )

    movement_id: Mapped[int | None] = mapped_column(sa.ForeignKey("stock_movements.id", ondelete="CASCADE"))
    variant_id: Mapped[int] = mapped_column(sa.ForeignKey("variants.id", ondelete="CASCADE"))
    branch_id: Mapped[int] = mapped_column(sa.ForeignKey("branches.id", ondelete="CASCADE"))
    inventory_item_id: Mapped[str] = mapped_column(sa.String(64))
    location_id: Mapped[str] = mapped_column(sa.String(64))
    kind: Mapped[str] = mapped_column(sa.String(16))
    delta: Mapped[int]
    # For stock counts: the counted quantity, sent with compare-and-set instead of a delta.
    quantity_after: Mapped[int]
    reference: Mapped[str] = mapped_column(sa.String(200), default="")
    status: Mapped[str] = mapped_column(sa.String(16), default=OutboxStatus.PENDING)
    batch_id: Mapped[int | None] = mapped_column(sa.ForeignKey("sync_batches.id", ondelete="SET NULL"), index=True)
    error: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    applied_at: Mapped[datetime | None]

    variant: Mapped[Variant] = relationship()
    branch: Mapped[Branch] = relationship()
    batch: Mapped[SyncBatch | None] = relationship(back_populates="entries")

    @property
    def is_count(self) -> bool:
        return self.kind == "count"


class BatchStatus(StrEnum):
    SENDING = "sending"  # claimed by a worker, request on its way
    RETRY = "retry"  # the last attempt failed for a passing reason; sent again at `next_attempt_at`, same key
    APPLIED = "applied"
    FAILED = "failed"  # refused for good; its entries are failed or skipped


class SyncBatch(TenantMixin, Base):
    """One mutation to Shopify: up to 250 coalesced changes, with the idempotency key stored before sending."""

    __tablename__ = "sync_batches"
    __table_args__ = (sa.Index("ix_sync_batches_merchant_status", "merchant_id", "status"),)

    operation: Mapped[str] = mapped_column(sa.String(32))  # InventoryAdjust or InventorySet
    reason: Mapped[str] = mapped_column(sa.String(32))
    reference: Mapped[str] = mapped_column(sa.String(200))  # the referenceDocumentUri sent
    idempotency_key: Mapped[str] = mapped_column(sa.String(64))
    # The exact variables sent, stored with the key before sending: a retry sends the same bytes under the same key.
    request: Mapped[str] = mapped_column(sa.Text, default="")
    status: Mapped[str] = mapped_column(sa.String(16), default=BatchStatus.SENDING)
    changes: Mapped[int] = mapped_column(default=0)
    attempts: Mapped[int] = mapped_column(default=0)
    error: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
    next_attempt_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]

    entries: Mapped[list[SyncOutboxEntry]] = relationship(back_populates="batch", order_by="SyncOutboxEntry.id")


class InventorySyncState(TenantMixin, Base):
    """What we know of Shopify's quantity for one variant at one mapped branch.

    `version` goes up whenever our knowledge of Shopify's side changes (a batch applied, a Shopify-side change
    recorded), so a reader that saw version n before an API read knows nothing of ours moved while it read.
    """

    __tablename__ = "inventory_sync_states"
    __table_args__ = (sa.UniqueConstraint("variant_id", "branch_id"),)

    variant_id: Mapped[int] = mapped_column(sa.ForeignKey("variants.id", ondelete="CASCADE"))
    branch_id: Mapped[int] = mapped_column(sa.ForeignKey("branches.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(default=0)
    shopify_on_hand: Mapped[int | None]
    # Shopify's `available` as we last knew it: an inventory_levels/update announcing this same figure is the echo
    # of what we already know, and needs no read.
    shopify_available: Mapped[int | None]
    # When the last read of Shopify's quantity *started*: a webhook triggered before it says nothing new.
    read_at: Mapped[datetime | None]
    pushed_at: Mapped[datetime | None]


class WebhookStatus(StrEnum):
    RECEIVED = "received"
    PROCESSED = "processed"
    IGNORED = "ignored"  # nothing for us (unknown shop, unmapped location, a topic we do not use)
    FAILED = "failed"


class WebhookEvent(IdMixin, Base):
    """One delivery from Shopify, stored before it is acknowledged; the webhook id makes a repeat a no-op."""

    __tablename__ = "webhook_events"
    __table_args__ = (
        sa.UniqueConstraint("shop_domain", "topic", "webhook_id"),
        sa.Index("ix_webhook_events_merchant_status", "merchant_id", "status"),
    )

    merchant_id: Mapped[int | None] = mapped_column(sa.ForeignKey("merchants.id", ondelete="CASCADE"))
    shop_domain: Mapped[str] = mapped_column(sa.String(255))
    topic: Mapped[str] = mapped_column(sa.String(64))
    webhook_id: Mapped[str] = mapped_column(sa.String(120))
    event_id: Mapped[str] = mapped_column(sa.String(120), default="")
    api_version: Mapped[str] = mapped_column(sa.String(16), default="")
    triggered_at: Mapped[datetime | None]
    payload: Mapped[str] = mapped_column(sa.Text)
    status: Mapped[str] = mapped_column(sa.String(16), default=WebhookStatus.RECEIVED)
    attempts: Mapped[int] = mapped_column(default=0)
    error: Mapped[str] = mapped_column(sa.Text, default="")
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    processed_at: Mapped[datetime | None]


class ReconciliationStatus(StrEnum):
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class Reconciliation(TenantMixin, Base):
    """One comparison of every mapped level with Shopify's `on_hand`, scheduled or asked for."""

    __tablename__ = "reconciliations"

    trigger: Mapped[str] = mapped_column(sa.String(16))  # scheduled or manual
    status: Mapped[str] = mapped_column(sa.String(16), default=ReconciliationStatus.RUNNING)
    checked: Mapped[int] = mapped_column(default=0)
    drifted: Mapped[int] = mapped_column(default=0)
    busy: Mapped[int] = mapped_column(default=0)  # pairs changing while read: checked next time
    error: Mapped[str] = mapped_column(sa.Text, default="")
    started_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]


class DriftStatus(StrEnum):
    OPEN = "open"
    ACCEPTED = "accepted"  # Shopify's quantity was taken as ours (a "shopify" movement)
    PUSHED = "pushed"  # ours was set in Shopify
    CLEARED = "cleared"  # a later reconciliation found the pair in step again


class StockDrift(TenantMixin, Base):
    """A variant at a branch whose level disagrees with Shopify beyond what is still on its way."""

    __tablename__ = "stock_drifts"
    __table_args__ = (sa.Index("ix_stock_drifts_merchant_status", "merchant_id", "status"),)

    reconciliation_id: Mapped[int | None] = mapped_column(sa.ForeignKey("reconciliations.id", ondelete="SET NULL"))
    variant_id: Mapped[int] = mapped_column(sa.ForeignKey("variants.id", ondelete="CASCADE"))
    branch_id: Mapped[int] = mapped_column(sa.ForeignKey("branches.id", ondelete="CASCADE"))
    local_quantity: Mapped[int]
    unsent: Mapped[int]  # the sum of our changes not yet in Shopify when compared
    shopify_on_hand: Mapped[int]
    # The pair's sync version when compared: if it moved since, the figures are stale and the drift is compared again.
    state_version: Mapped[int] = mapped_column(default=0)
    status: Mapped[str] = mapped_column(sa.String(16), default=DriftStatus.OPEN)
    detected_at: Mapped[datetime] = mapped_column(default=utcnow)
    resolved_at: Mapped[datetime | None]
    resolved_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    variant: Mapped[Variant] = relationship()
    branch: Mapped[Branch] = relationship()

    @property
    def drift(self) -> int:
        """Shopify's quantity minus what it would be if Shopify had exactly our changes."""
        return self.shopify_on_hand - (self.local_quantity - self.unsent)
