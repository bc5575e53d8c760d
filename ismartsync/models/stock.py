"""The stock ledger: append-only movements and the per-branch level they add up to."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ismartsync.models.base import Base, TenantMixin, utcnow
from ismartsync.models.catalog import Variant
from ismartsync.models.merchant import Branch


class MovementKind(StrEnum):
    OPENING = "opening"  # stock found at a mapped Shopify location on import
    SALE = "sale"
    RETURN = "return"
    TRANSFER_OUT = "transfer_out"
    TRANSFER_IN = "transfer_in"
    ADJUSTMENT = "adjustment"
    COUNT = "count"
    FULFILMENT = "fulfilment"
    SHOPIFY = "shopify"  # a change made in Shopify, applied here; never pushed back


class StockLevel(TenantMixin, Base):
    """A cache of the movements' sum; only `record_movement` changes it, under a row lock."""

    __tablename__ = "stock_levels"
    __table_args__ = (sa.UniqueConstraint("variant_id", "branch_id"),)

    variant_id: Mapped[int] = mapped_column(sa.ForeignKey("variants.id", ondelete="CASCADE"))
    branch_id: Mapped[int] = mapped_column(sa.ForeignKey("branches.id", ondelete="CASCADE"), index=True)
    quantity: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    variant: Mapped[Variant] = relationship()
    branch: Mapped[Branch] = relationship()


class StockMovement(TenantMixin, Base):
    __tablename__ = "stock_movements"
    __table_args__ = (sa.Index("ix_stock_movements_variant_branch", "variant_id", "branch_id", "id"),)

    variant_id: Mapped[int] = mapped_column(sa.ForeignKey("variants.id", ondelete="CASCADE"))
    branch_id: Mapped[int] = mapped_column(sa.ForeignKey("branches.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(sa.String(16))
    delta: Mapped[int]
    quantity_after: Mapped[int]
    reason: Mapped[str] = mapped_column(sa.String(200), default="")
    # The document that caused it, as `gid://ismartsync/<Document>/<id>` (or Shopify's own gid).
    reference: Mapped[str] = mapped_column(sa.String(200), default="")
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    variant: Mapped[Variant] = relationship()
    branch: Mapped[Branch] = relationship()


@event.listens_for(StockMovement, "before_update")
@event.listens_for(StockMovement, "before_delete")
def _refuse_change(mapper: Any, connection: Any, target: StockMovement) -> None:
    raise RuntimeError("stock movements are append-only; record a correcting movement instead")
