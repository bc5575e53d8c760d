"""Online orders: Shopify orders as we last read them, their lines, and their fulfilment orders (what Shopify
asks one location to ship) with the branch each is assigned to; and the per-merchant cursor of the order sync.

Everything here is Shopify's record, copied in by `services/online_orders/intake.py` (never edited by hand): a read
that is older than what we hold never overwrites it (`shopify_updated_at`).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ismartsync.models.base import Base, TenantMixin, utcnow
from ismartsync.models.catalog import Customer, Variant
from ismartsync.models.merchant import Branch


class OnlineOrder(TenantMixin, Base):
    """A Shopify order (web store, draft order, another sales channel): the customer, where it goes, how it is paid
    and Shopify's own financial and fulfilment status."""

    __tablename__ = "online_orders"
    __table_args__ = (
        sa.UniqueConstraint("merchant_id", "shopify_id"),
        sa.Index("ix_online_orders_merchant_created", "merchant_id", "shopify_created_at"),
        sa.Index("ix_online_orders_merchant_name", "merchant_id", "name"),
        sa.Index("ix_online_orders_merchant_phone", "merchant_id", "phone_key"),
    )

    shopify_id: Mapped[str] = mapped_column(sa.String(64))  # gid://shopify/Order/…
    legacy_id: Mapped[int | None] = mapped_column(sa.BigInteger)
    name: Mapped[str] = mapped_column(sa.String(64), default="")  # "#1001"
    source_name: Mapped[str] = mapped_column(sa.String(64), default="")  # web, pos, shopify_draft_order, an app
    shopify_created_at: Mapped[datetime]
    shopify_updated_at: Mapped[datetime]
    cancelled_at: Mapped[datetime | None]
    cancel_reason: Mapped[str] = mapped_column(sa.String(32), default="")
    closed_at: Mapped[datetime | None]
    # Our customer when the catalog import has brought them in; the name, email and phone as on the order always.
    customer_id: Mapped[int | None] = mapped_column(sa.ForeignKey("customers.id", ondelete="SET NULL"), index=True)
    shopify_customer_id: Mapped[str] = mapped_column(sa.String(64), default="")
    customer_name: Mapped[str] = mapped_column(sa.String(255), default="")
    email: Mapped[str] = mapped_column(sa.String(254), default="")
    phone: Mapped[str] = mapped_column(sa.String(40), default="")
    # The phone as searched: 03001234567 for a Pakistani mobile (however it was typed), else its digits.
    phone_key: Mapped[str] = mapped_column(sa.String(40), default="")
    shipping_address: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    gateway_names: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    cod: Mapped[bool] = mapped_column(default=False)  # paid in cash at the door (`services/online_orders/cod.py`)
    financial_status: Mapped[str] = mapped_column(sa.String(32), default="")  # PENDING, PAID, REFUNDED, VOIDED…
    fulfilment_status: Mapped[str] = mapped_column(sa.String(32), default="")  # UNFULFILLED, FULFILLED…
    currency: Mapped[str] = mapped_column(sa.String(3), default="PKR")
    subtotal_minor: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    shipping_minor: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    tax_minor: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    total_minor: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    note: Mapped[str] = mapped_column(sa.Text, default="")
    tags: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    synced_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Ours, not Shopify's (intake never touches it): the outcome of the newest COD confirmation attempt, "" when
    # never asked, kept by `services/online_orders/confirmation.py` so the Smart Orders filters read a column.
    confirmation: Mapped[str] = mapped_column(sa.String(32), default="", server_default="")

    customer: Mapped[Customer | None] = relationship()
    lines: Mapped[list[OnlineOrderLine]] = relationship(
        back_populates="order", cascade="all, delete-orphan", order_by="OnlineOrderLine.id"
    )
    fulfilment_orders: Mapped[list[FulfilmentOrder]] = relationship(
        back_populates="order", cascade="all, delete-orphan", order_by="FulfilmentOrder.id"
    )

    @property
    def is_cancelled(self) -> bool:
        return self.cancelled_at is not None


class OnlineOrderLine(TenantMixin, Base):
    """One line item of an online order: the variant when we know it, and the quantities Shopify reports."""

    __tablename__ = "online_order_lines"
    __table_args__ = (
        sa.UniqueConstraint("merchant_id", "shopify_id"),
        # Reserved stock at the counter (`services/online_orders/reserved.py`): a variant's lines still to ship, a
        # few, however many the variant sold online before.
        sa.Index(
            "ix_online_order_lines_unfulfilled_variant",
            "variant_id",
            postgresql_where=sa.text("unfulfilled_quantity > 0"),
            sqlite_where=sa.text("unfulfilled_quantity > 0"),
        ),
    )

    order_id: Mapped[int] = mapped_column(sa.ForeignKey("online_orders.id", ondelete="CASCADE"), index=True)
    shopify_id: Mapped[str] = mapped_column(sa.String(64))  # gid://shopify/LineItem/…
    variant_id: Mapped[int | None] = mapped_column(sa.ForeignKey("variants.id", ondelete="SET NULL"), index=True)
    shopify_variant_id: Mapped[str] = mapped_column(sa.String(64), default="")  # "" for a custom item
    sku: Mapped[str] = mapped_column(sa.String(255), default="")
    title: Mapped[str] = mapped_column(sa.String(255), default="")
    variant_title: Mapped[str] = mapped_column(sa.String(255), default="")
    quantity: Mapped[int] = mapped_column(default=0)  # as ordered
    current_quantity: Mapped[int] = mapped_column(default=0)  # after removals and refunds
    unfulfilled_quantity: Mapped[int] = mapped_column(default=0)  # still to ship
    unit_price_minor: Mapped[int] = mapped_column(sa.BigInteger, default=0)  # after line discounts

    order: Mapped[OnlineOrder] = relationship(back_populates="lines")
    variant: Mapped[Variant | None] = relationship()


class FulfilmentOrder(TenantMixin, Base):
    """What Shopify asks one location to ship of an order. It belongs to the branch linked to its assigned
    location (none when that location is not linked); a move in Shopify moves it to the new location's branch."""

    __tablename__ = "fulfilment_orders"
    __table_args__ = (
        sa.UniqueConstraint("merchant_id", "shopify_id"),
        # A branch's list: its open fulfilment orders, newest order first.
        sa.Index("ix_fulfilment_orders_branch_status_created", "branch_id", "status", "order_created_at"),
        # The Smart Orders list of one branch, newest first whatever the status (keyset pages).
        sa.Index("ix_fulfilment_orders_branch_created", "branch_id", "order_created_at", "order_id"),
    )

    order_id: Mapped[int] = mapped_column(sa.ForeignKey("online_orders.id", ondelete="CASCADE"), index=True)
    shopify_id: Mapped[str] = mapped_column(sa.String(64))  # gid://shopify/FulfillmentOrder/…
    shopify_location_id: Mapped[str] = mapped_column(sa.String(64), default="")  # the assigned location
    location_name: Mapped[str] = mapped_column(sa.String(255), default="")
    branch_id: Mapped[int | None] = mapped_column(sa.ForeignKey("branches.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(sa.String(32), default="")  # OPEN, IN_PROGRESS, ON_HOLD, CLOSED…
    request_status: Mapped[str] = mapped_column(sa.String(32), default="")
    supported_actions: Mapped[list[str]] = mapped_column(sa.JSON, default=list)  # CREATE_FULFILLMENT, MOVE, HOLD…
    hold_reasons: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    order_created_at: Mapped[datetime]  # the order's, copied for the branch list's index
    shopify_updated_at: Mapped[datetime | None]

    order: Mapped[OnlineOrder] = relationship(back_populates="fulfilment_orders")
    branch: Mapped[Branch | None] = relationship()
    lines: Mapped[list[FulfilmentOrderLine]] = relationship(
        back_populates="fulfilment_order", cascade="all, delete-orphan", order_by="FulfilmentOrderLine.id"
    )


class FulfilmentOrderLine(TenantMixin, Base):
    """A line item's share of a fulfilment order: how many it covers and how many are still to ship."""

    __tablename__ = "fulfilment_order_lines"
    __table_args__ = (sa.UniqueConstraint("merchant_id", "shopify_id"),)

    fulfilment_order_id: Mapped[int] = mapped_column(
        sa.ForeignKey("fulfilment_orders.id", ondelete="CASCADE"), index=True
    )
    order_line_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("online_order_lines.id", ondelete="CASCADE"), index=True
    )
    shopify_id: Mapped[str] = mapped_column(sa.String(64))  # gid://shopify/FulfillmentOrderLineItem/…
    total_quantity: Mapped[int] = mapped_column(default=0)
    remaining_quantity: Mapped[int] = mapped_column(default=0)

    fulfilment_order: Mapped[FulfilmentOrder] = relationship(back_populates="lines")
    order_line: Mapped[OnlineOrderLine | None] = relationship()


class OrderSyncStatus(StrEnum):
    IDLE = "idle"
    RUNNING = "running"
    FAILED = "failed"


class OrderSync(TenantMixin, Base):
    """The merchant's incremental order sync: the cursor (the newest `updatedAt` taken in) and the last run."""

    __tablename__ = "order_syncs"
    __table_args__ = (sa.UniqueConstraint("merchant_id"),)

    cursor: Mapped[datetime | None]  # None: never synced, the first run reads the last 60 days
    status: Mapped[str] = mapped_column(sa.String(16), default=OrderSyncStatus.IDLE)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    orders_read: Mapped[int] = mapped_column(default=0)  # by the last run
    last_error: Mapped[str] = mapped_column(sa.Text, default="")
