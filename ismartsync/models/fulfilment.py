"""Fulfilment at the branches: how a merchant's online orders leave a branch (the workflow), what left in one
dispatch (its lines, courier and tracking, and the `fulfillmentCreate` that tells Shopify), and the Shopify
fulfilment lines we have taken in (what each accounts for). The rule that keeps branch stock and Shopify's
on_hand in step is in docs/online-orders-and-stock.md.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ismartsync.models.base import Base, TenantMixin, utcnow
from ismartsync.models.catalog import Variant
from ismartsync.models.merchant import Branch
from ismartsync.models.online_order import FulfilmentOrder, FulfilmentOrderLine, OnlineOrder
from ismartsync.models.staff import User


class FulfilmentWorkflow(StrEnum):
    SMART = "smart"  # picked, packed and dispatched in iSmartSync; we tell Shopify (fulfillmentCreate)
    MANUAL = "manual"  # staff record what left; a person fulfils it in Shopify
    BRANCH_SYNC = "branch_sync"  # fulfilled in Shopify; its arrival moves the branch stock


WORKFLOW_LABELS = {
    FulfilmentWorkflow.SMART: "Smart Fulfilment",
    FulfilmentWorkflow.MANUAL: "Manual Fulfilment",
    FulfilmentWorkflow.BRANCH_SYNC: "Branch Sync",
}


class DispatchStatus(StrEnum):
    QUEUED = "queued"  # Smart: recorded, fulfillmentCreate not yet sent
    SENDING = "sending"  # Smart: fulfillmentCreate on its way (or to be retried under the same key)
    FAILED = "failed"  # Smart: Shopify refused it (`error`); a person sends it again or fulfils it in Shopify
    AWAITING = "awaiting"  # Manual: waiting for the fulfilment made in Shopify to show on the order
    DONE = "done"  # Shopify shows these units fulfilled; the branch's in-flight entries are settled


OPEN_DISPATCH = (DispatchStatus.QUEUED, DispatchStatus.SENDING, DispatchStatus.FAILED, DispatchStatus.AWAITING)


class Dispatch(TenantMixin, Base):
    """What physically left a branch for one fulfilment order: its lines, the courier and tracking number, who and
    when. A Smart dispatch carries the `fulfillmentCreate` request and its idempotency key (stored before sending)."""

    __tablename__ = "dispatches"
    __table_args__ = (
        sa.UniqueConstraint("merchant_id", "key"),
        sa.Index("ix_dispatches_merchant_status", "merchant_id", "status"),
    )

    key: Mapped[str] = mapped_column(sa.String(64))  # from the form: a double submit is one dispatch
    branch_id: Mapped[int] = mapped_column(sa.ForeignKey("branches.id", ondelete="CASCADE"), index=True)
    order_id: Mapped[int] = mapped_column(sa.ForeignKey("online_orders.id", ondelete="CASCADE"), index=True)
    fulfilment_order_id: Mapped[int] = mapped_column(
        sa.ForeignKey("fulfilment_orders.id", ondelete="CASCADE"), index=True
    )
    workflow: Mapped[str] = mapped_column(sa.String(16))
    status: Mapped[str] = mapped_column(sa.String(16))
    courier: Mapped[str] = mapped_column(sa.String(32), default="")
    tracking_number: Mapped[str] = mapped_column(sa.String(64), default="")
    tracking_url: Mapped[str] = mapped_column(sa.String(500), default="")
    dispatched_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    dispatched_at: Mapped[datetime] = mapped_column(default=utcnow)
    # fulfillmentCreate: the key and exact variables stored before sending; a retry sends the same under the same key.
    idempotency_key: Mapped[str] = mapped_column(sa.String(64), default="")
    request: Mapped[str] = mapped_column(sa.Text, default="")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None]
    shopify_fulfillment_id: Mapped[str] = mapped_column(sa.String(64), default="")
    error: Mapped[str] = mapped_column(sa.Text, default="")
    settled_at: Mapped[datetime | None]

    branch: Mapped[Branch] = relationship()
    order: Mapped[OnlineOrder] = relationship()
    fulfilment_order: Mapped[FulfilmentOrder] = relationship()
    dispatched_by: Mapped[User | None] = relationship()
    lines: Mapped[list[DispatchLine]] = relationship(
        back_populates="dispatch", cascade="all, delete-orphan", order_by="DispatchLine.id"
    )

    @property
    def units(self) -> int:
        return sum(line.quantity for line in self.lines)


class DispatchLine(TenantMixin, Base):
    """Units of one fulfilment order line that left in a dispatch, the `fulfilment` movement that took them off the
    branch, and how many of them Shopify shows fulfilled so far."""

    __tablename__ = "dispatch_lines"

    dispatch_id: Mapped[int] = mapped_column(sa.ForeignKey("dispatches.id", ondelete="CASCADE"), index=True)
    fulfilment_order_line_id: Mapped[int] = mapped_column(
        sa.ForeignKey("fulfilment_order_lines.id", ondelete="CASCADE"), index=True
    )
    order_line_id: Mapped[int | None] = mapped_column(sa.ForeignKey("online_order_lines.id", ondelete="SET NULL"))
    variant_id: Mapped[int | None] = mapped_column(sa.ForeignKey("variants.id", ondelete="SET NULL"))
    quantity: Mapped[int]
    movement_id: Mapped[int | None] = mapped_column(sa.ForeignKey("stock_movements.id", ondelete="SET NULL"))
    shopify_quantity: Mapped[int] = mapped_column(default=0)  # units Shopify shows fulfilled for this line

    dispatch: Mapped[Dispatch] = relationship(back_populates="lines")
    fulfilment_order_line: Mapped[FulfilmentOrderLine] = relationship()
    variant: Mapped[Variant | None] = relationship()


class FulfilmentArrival(TenantMixin, Base):
    """A Shopify fulfilment line (`FulfillmentLineItem`) as we took it in, once: the units of it our dispatches
    account for, and the units Branch Sync took off the branch for the rest (by comparison, so 0 when a stock
    refresh had already taken Shopify's lower on_hand in)."""

    __tablename__ = "fulfilment_arrivals"
    __table_args__ = (sa.UniqueConstraint("merchant_id", "shopify_id"),)

    shopify_id: Mapped[str] = mapped_column(sa.String(64))  # gid://shopify/FulfillmentLineItem/…
    shopify_fulfillment_id: Mapped[str] = mapped_column(sa.String(64))
    order_id: Mapped[int] = mapped_column(sa.ForeignKey("online_orders.id", ondelete="CASCADE"), index=True)
    order_line_id: Mapped[int | None] = mapped_column(sa.ForeignKey("online_order_lines.id", ondelete="SET NULL"))
    branch_id: Mapped[int | None] = mapped_column(sa.ForeignKey("branches.id", ondelete="SET NULL"))
    quantity: Mapped[int]
    fulfilled_at: Mapped[datetime | None]  # Shopify's createdAt of the fulfilment
    accounted: Mapped[int] = mapped_column(default=0)  # by our dispatches
    taken: Mapped[int] = mapped_column(default=0)  # off the branch by Branch Sync
    movement_id: Mapped[int | None] = mapped_column(sa.ForeignKey("stock_movements.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # When what no dispatch accounts for was compared and taken (or found already taken): None = still to do.
    taken_at: Mapped[datetime | None]

    @property
    def to_take(self) -> int:
        return 0 if self.taken_at is not None else self.quantity - self.accounted
