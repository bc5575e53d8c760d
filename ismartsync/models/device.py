"""Counter devices: tablets paired to a counter with a long-lived signed cookie."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ismartsync.models.base import Base, TenantMixin, utcnow
from ismartsync.models.merchant import Counter
from ismartsync.models.staff import User


class Device(TenantMixin, Base):
    __tablename__ = "devices"

    counter_id: Mapped[int] = mapped_column(sa.ForeignKey("counters.id", ondelete="CASCADE"), index=True)
    label: Mapped[str] = mapped_column(sa.String(80))
    # SHA-256 of the random secret held in the device cookie; the cookie is also signed.
    secret_hash: Mapped[str] = mapped_column(sa.String(64))
    user_agent: Mapped[str] = mapped_column(sa.String(300), default="")
    paired_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    paired_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    revoked_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    counter: Mapped[Counter] = relationship(lazy="joined")
    paired_by: Mapped[User] = relationship(foreign_keys=[paired_by_id])

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    def __repr__(self) -> str:
        return f"<Device {self.id} counter={self.counter_id}>"
