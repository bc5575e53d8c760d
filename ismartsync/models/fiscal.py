"""Fiscal documents: what is reported to FBR for each sale (and later each credit note), and FBR's answer."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ismartsync.models.base import Base, TenantMixin, utcnow
from ismartsync.models.sale import Sale


class FiscalStatus(StrEnum):
    PENDING = "pending"
    REPORTED = "reported"
    REJECTED = "rejected"
    UNKNOWN = "unknown"  # sent, no answer: FBR may have recorded it, so it is reconciled, never blindly resent


class InvoiceType(StrEnum):
    SALE = "1"
    CREDIT_NOTE = "3"


class FiscalDocument(TenantMixin, Base):
    """One per sale, written pending in the checkout transaction; its USIN is never reissued."""

    __tablename__ = "fiscal_documents"
    __table_args__ = (sa.UniqueConstraint("merchant_id", "usin"),)

    sale_id: Mapped[int] = mapped_column(sa.ForeignKey("sales.id", ondelete="CASCADE"), index=True)
    counter_id: Mapped[int] = mapped_column(sa.ForeignKey("counters.id", ondelete="CASCADE"), index=True)
    invoice_type: Mapped[str] = mapped_column(sa.String(2), default=InvoiceType.SALE)
    usin: Mapped[str] = mapped_column(sa.String(40))
    ref_usin: Mapped[str | None] = mapped_column(sa.String(40))
    status: Mapped[str] = mapped_column(sa.String(12), default=FiscalStatus.PENDING)
    fbr_number: Mapped[str | None] = mapped_column(sa.String(64))
    attempts: Mapped[int] = mapped_column(default=0)
    request: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    response: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    reported_at: Mapped[datetime | None]

    sale: Mapped[Sale] = relationship()
