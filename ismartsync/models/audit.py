"""The append-only audit log of approvals and sensitive changes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ismartsync.models.base import Base, TenantMixin, utcnow
from ismartsync.models.merchant import Branch, Counter
from ismartsync.models.staff import User


class AuditEntry(TenantMixin, Base):
    __tablename__ = "audit_entries"
    __table_args__ = (sa.Index("ix_audit_entries_merchant_created", "merchant_id", "created_at"),)

    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    action: Mapped[str] = mapped_column(sa.String(60), index=True)
    summary: Mapped[str] = mapped_column(sa.String(300))
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    approver_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    branch_id: Mapped[int | None] = mapped_column(sa.ForeignKey("branches.id"))
    counter_id: Mapped[int | None] = mapped_column(sa.ForeignKey("counters.id"))
    target_type: Mapped[str] = mapped_column(sa.String(40), default="")
    target_id: Mapped[int | None]
    before: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    ip_address: Mapped[str] = mapped_column(sa.String(45), default="")

    actor: Mapped[User | None] = relationship(foreign_keys=[actor_id], lazy="joined")
    approver: Mapped[User | None] = relationship(foreign_keys=[approver_id], lazy="joined")
    branch: Mapped[Branch | None] = relationship(lazy="joined")
    counter: Mapped[Counter | None] = relationship(lazy="joined")


@event.listens_for(AuditEntry, "before_update")
@event.listens_for(AuditEntry, "before_delete")
def _refuse_change(mapper: Any, connection: Any, target: AuditEntry) -> None:
    raise RuntimeError("audit entries are append-only")
