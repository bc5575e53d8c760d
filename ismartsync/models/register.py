"""Registers and shifts: a register is started on a counter with an opening float; cashiers sell in shifts inside it."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ismartsync.models.base import Base, TenantMixin, utcnow
from ismartsync.models.merchant import Counter
from ismartsync.models.staff import User


class RegisterStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class Register(TenantMixin, Base):
    """One run of a counter's till, from its opening float to its close; at most one is open per counter."""

    __tablename__ = "registers"
    __table_args__ = (
        # The database itself refuses a second open register on a counter, whatever two tablets do at once.
        sa.Index(
            "uq_registers_open_counter",
            "counter_id",
            unique=True,
            postgresql_where=sa.text("status = 'open'"),
            sqlite_where=sa.text("status = 'open'"),
        ),
    )

    counter_id: Mapped[int] = mapped_column(sa.ForeignKey("counters.id", ondelete="CASCADE"), index=True)
    branch_id: Mapped[int] = mapped_column(sa.ForeignKey("branches.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(sa.String(16), default=RegisterStatus.OPEN)
    opening_float_minor: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    opened_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    opened_at: Mapped[datetime] = mapped_column(default=utcnow)
    closed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    closed_at: Mapped[datetime | None]

    counter: Mapped[Counter] = relationship()
    opened_by: Mapped[User] = relationship(foreign_keys=[opened_by_id])

    @property
    def is_open(self) -> bool:
        return self.status == RegisterStatus.OPEN


class ShiftStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class Shift(TenantMixin, Base):
    """A cashier's turn inside a register; a cashier has at most one open shift anywhere."""

    __tablename__ = "shifts"
    __table_args__ = (
        sa.Index(
            "uq_shifts_open_user",
            "user_id",
            unique=True,
            postgresql_where=sa.text("status = 'open'"),
            sqlite_where=sa.text("status = 'open'"),
        ),
    )

    register_id: Mapped[int] = mapped_column(sa.ForeignKey("registers.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    status: Mapped[str] = mapped_column(sa.String(16), default=ShiftStatus.OPEN)
    # Cash that sales left in the drawer (tendered minus change), kept by checkout in the sale's transaction.
    cash_sales_minor: Mapped[int] = mapped_column(sa.BigInteger, default=0, server_default="0")
    opened_at: Mapped[datetime] = mapped_column(default=utcnow)
    closed_at: Mapped[datetime | None]

    register: Mapped[Register] = relationship()
    user: Mapped[User] = relationship()

    @property
    def is_open(self) -> bool:
        return self.status == ShiftStatus.OPEN
