"""Sign-in sessions: one row per signed-in browser or tablet, so signing out or locking holds on the server."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ismartsync.models.base import Base, TenantMixin, utcnow
from ismartsync.models.device import Device
from ismartsync.models.staff import User


class SignInSession(TenantMixin, Base):
    """What the session cookie points at. Deleting the row ends the session, whatever copies of the cookie exist."""

    __tablename__ = "sign_in_sessions"

    # SHA-256 of the random id the (signed) session cookie carries: a copy of this table is no use as a cookie.
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # A PIN session belongs to the paired tablet it was opened on; a password session to no device.
    device_id: Mapped[int | None] = mapped_column(sa.ForeignKey("devices.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Pushed forward while the session is used; past it the row is dead and swept away.
    expires_at: Mapped[datetime] = mapped_column(index=True)
    locked_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()
    device: Mapped[Device | None] = relationship()

    @property
    def is_pin_session(self) -> bool:
        return self.device_id is not None

    @property
    def is_locked(self) -> bool:
        return self.locked_at is not None

    def __repr__(self) -> str:
        return f"<SignInSession {self.id} user={self.user_id} device={self.device_id}>"
