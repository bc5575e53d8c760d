"""An online order's cancellation asked from iSmartSync: who asked, why, and how sending `orderCancel` went.

One per order (a double submit finds the first); the claim is on record before Shopify is asked, and the order itself
says it is cancelled only once it is read back from Shopify (`OnlineOrder.cancelled_at`).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ismartsync.models.base import Base, TenantMixin, utcnow
from ismartsync.models.online_order import OnlineOrder
from ismartsync.models.staff import User


class CancelReason(StrEnum):
    """Why the order is cancelled, as the manager picks it; the value is Shopify's `OrderCancelReason`."""

    CUSTOMER = "CUSTOMER"
    INVENTORY = "INVENTORY"
    DECLINED = "DECLINED"
    OTHER = "OTHER"

    @property
    def label(self) -> str:
        return {
            "CUSTOMER": "The customer changed or cancelled the order",
            "INVENTORY": "Items unavailable",
            "DECLINED": "Payment declined or the order refused on the phone",
            "OTHER": "Other",
        }[self.value]


class CancellationStatus(StrEnum):
    PENDING = "pending"  # asked, not yet sent (or to be sent again)
    SENDING = "sending"  # claimed: orderCancel may be on its way
    SENT = "sent"  # Shopify took it (its job may still be running); the order's re-read says when it is done
    REFUSED = "refused"  # Shopify said no (something was dispatched meanwhile, already cancelled elsewhere…)


class OrderCancellation(TenantMixin, Base):
    __tablename__ = "order_cancellations"
    __table_args__ = (sa.UniqueConstraint("order_id"),)

    order_id: Mapped[int] = mapped_column(sa.ForeignKey("online_orders.id", ondelete="CASCADE"))
    reason: Mapped[str] = mapped_column(sa.String(16))
    staff_note: Mapped[str] = mapped_column(sa.String(255), default="")
    status: Mapped[str] = mapped_column(sa.String(16), default=CancellationStatus.PENDING)
    requested_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    attempts: Mapped[int] = mapped_column(default=0)
    sent_at: Mapped[datetime | None]
    shopify_job_id: Mapped[str] = mapped_column(sa.String(64), default="")
    last_error: Mapped[str] = mapped_column(sa.Text, default="")

    order: Mapped[OnlineOrder] = relationship()
    requested_by: Mapped[User | None] = relationship()
