"""Our own work on online orders, beside Shopify's record of them: COD confirmation attempts (append-only; the latest
is the order's confirmation) and fulfilment order moves asked for here (claimed before Shopify hears of them)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ismartsync.models.base import Base, TenantMixin, utcnow
from ismartsync.models.merchant import Branch
from ismartsync.models.online_order import FulfilmentOrder, OnlineOrder
from ismartsync.models.staff import User


class ConfirmationOutcome(StrEnum):
    CONFIRMED = "confirmed"
    NO_ANSWER = "no_answer"
    CANCELLED_BY_CUSTOMER = "cancelled_by_customer"

    @property
    def label(self) -> str:
        return {
            "confirmed": "Confirmed",
            "no_answer": "No answer",
            "cancelled_by_customer": "Cancelled by customer",
        }[self.value]


class OrderConfirmation(TenantMixin, Base):
    """One attempt to confirm an order with its customer (a call or a WhatsApp message) and what came of it.
    Never changed once written; the newest attempt is the order's confirmation state."""

    __tablename__ = "order_confirmations"
    __table_args__ = (
        sa.UniqueConstraint("merchant_id", "request_key"),  # a double submit is one attempt
        sa.Index("ix_order_confirmations_order_id_id", "order_id", "id"),
    )

    order_id: Mapped[int] = mapped_column(sa.ForeignKey("online_orders.id", ondelete="CASCADE"))
    outcome: Mapped[str] = mapped_column(sa.String(32))  # ConfirmationOutcome
    note: Mapped[str] = mapped_column(sa.String(500), default="")
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    request_key: Mapped[str] = mapped_column(sa.String(64))  # the form's, one per form shown

    order: Mapped[OnlineOrder] = relationship()
    recorded_by: Mapped[User | None] = relationship()

    @property
    def outcome_label(self) -> str:
        return ConfirmationOutcome(self.outcome).label


class MoveStatus(StrEnum):
    PENDING = "pending"  # claimed, Shopify not (yet) told, or its answer not known
    DONE = "done"  # Shopify moved it; the order was read again
    REFUSED = "refused"  # Shopify said no (`message` says why)


class FulfilmentOrderMove(TenantMixin, Base):
    """A manager's request to move a fulfilment order to another branch's location, recorded before Shopify is
    asked (`pipelines/order_moves.py`), and Shopify's answer."""

    __tablename__ = "fulfilment_order_moves"
    __table_args__ = (
        sa.UniqueConstraint("merchant_id", "request_key"),
        sa.Index("ix_fulfilment_order_moves_fulfilment_order_id_id", "fulfilment_order_id", "id"),
    )

    fulfilment_order_id: Mapped[int] = mapped_column(sa.ForeignKey("fulfilment_orders.id", ondelete="CASCADE"))
    order_id: Mapped[int] = mapped_column(sa.ForeignKey("online_orders.id", ondelete="CASCADE"), index=True)
    fulfilment_order_shopify_id: Mapped[str] = mapped_column(sa.String(64))
    from_branch_id: Mapped[int | None] = mapped_column(sa.ForeignKey("branches.id", ondelete="SET NULL"))
    to_branch_id: Mapped[int | None] = mapped_column(sa.ForeignKey("branches.id", ondelete="SET NULL"))
    to_shopify_location_id: Mapped[str] = mapped_column(sa.String(64))
    status: Mapped[str] = mapped_column(sa.String(16), default=MoveStatus.PENDING)
    message: Mapped[str] = mapped_column(sa.String(500), default="")
    attempts: Mapped[int] = mapped_column(default=0)
    request_key: Mapped[str] = mapped_column(sa.String(64))
    requested_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]

    fulfilment_order: Mapped[FulfilmentOrder] = relationship()
    to_branch: Mapped[Branch | None] = relationship(foreign_keys=[to_branch_id])
    from_branch: Mapped[Branch | None] = relationship(foreign_keys=[from_branch_id])
    requested_by: Mapped[User | None] = relationship()
