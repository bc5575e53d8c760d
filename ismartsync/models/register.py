"""Registers, shifts and the drawer's cash: a register is started on a counter with an opening float, cashiers sell
in shifts inside it one at a time, cash logs record what is put in or taken out, and a count closes each shift."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ismartsync.models.base import Base, TenantMixin, utcnow
from ismartsync.models.merchant import Branch, Counter
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
    # At close, fixed for the report: the cash the drawer should hold (float ± every shift's cash) and what the last
    # shift counted in it; their difference is the sum of the shifts' over/short.
    expected_minor: Mapped[int | None] = mapped_column(sa.BigInteger)
    counted_minor: Mapped[int | None] = mapped_column(sa.BigInteger)

    counter: Mapped[Counter] = relationship()
    opened_by: Mapped[User] = relationship(foreign_keys=[opened_by_id])
    closed_by: Mapped[User | None] = relationship(foreign_keys=[closed_by_id])

    @property
    def is_open(self) -> bool:
        return self.status == RegisterStatus.OPEN

    @property
    def over_short_minor(self) -> int | None:
        if self.counted_minor is None or self.expected_minor is None:
            return None
        return self.counted_minor - self.expected_minor


class ShiftStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class Shift(TenantMixin, Base):
    """A cashier's turn at a register's drawer; a cashier has at most one open shift anywhere, a register one at a time.

    The drawer's running figures are kept here in the same transactions that change them (checkout, cash logs,
    refunds), so the counter knows what the drawer should hold without adding anything up.
    """

    __tablename__ = "shifts"
    __table_args__ = (
        sa.Index(
            "uq_shifts_open_user",
            "user_id",
            unique=True,
            postgresql_where=sa.text("status = 'open'"),
            sqlite_where=sa.text("status = 'open'"),
        ),
        # One cashier answers for the drawer at a time: a second open shift on a register is refused by the database.
        sa.Index(
            "uq_shifts_open_register",
            "register_id",
            unique=True,
            postgresql_where=sa.text("status = 'open'"),
            sqlite_where=sa.text("status = 'open'"),
        ),
    )

    register_id: Mapped[int] = mapped_column(sa.ForeignKey("registers.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    status: Mapped[str] = mapped_column(sa.String(16), default=ShiftStatus.OPEN)
    # The cash handed to this shift: the register's float for the first shift, the last count after that.
    opening_float_minor: Mapped[int] = mapped_column(sa.BigInteger, default=0, server_default="0")
    # Cash that sales left in the drawer (tendered minus change), kept by checkout in the sale's transaction.
    cash_sales_minor: Mapped[int] = mapped_column(sa.BigInteger, default=0, server_default="0")
    # Cash paid back to customers (the returns issue keeps it); the cash logs' sums in and out.
    cash_refunds_minor: Mapped[int] = mapped_column(sa.BigInteger, default=0, server_default="0")
    cash_in_minor: Mapped[int] = mapped_column(sa.BigInteger, default=0, server_default="0")
    cash_out_minor: Mapped[int] = mapped_column(sa.BigInteger, default=0, server_default="0")
    opened_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The owner's shift limit: past `limit_at` the cashier is warned, past `grace_until` selling stops (None: no limit).
    limit_at: Mapped[datetime | None]
    grace_until: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    closed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    # The close: expected fixed at that moment, what was counted (and how, note by note), and any approval.
    expected_minor: Mapped[int | None] = mapped_column(sa.BigInteger)
    counted_minor: Mapped[int | None] = mapped_column(sa.BigInteger)
    denominations: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    blind: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    close_note: Mapped[str] = mapped_column(sa.String(300), default="", server_default="")
    approved_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    register: Mapped[Register] = relationship()
    user: Mapped[User] = relationship(foreign_keys=[user_id])
    closed_by: Mapped[User | None] = relationship(foreign_keys=[closed_by_id])
    approved_by: Mapped[User | None] = relationship(foreign_keys=[approved_by_id])

    @property
    def is_open(self) -> bool:
        return self.status == ShiftStatus.OPEN

    @property
    def expected_cash_minor(self) -> int:
        """Opening + cash sales − cash refunds − change given ± cash logs (cash sales are already net of change)."""
        return (
            self.opening_float_minor
            + self.cash_sales_minor
            - self.cash_refunds_minor
            + self.cash_in_minor
            - self.cash_out_minor
        )

    @property
    def over_short_minor(self) -> int | None:
        if self.counted_minor is None or self.expected_minor is None:
            return None
        return self.counted_minor - self.expected_minor

    def past_limit(self, now: datetime) -> bool:
        return self.limit_at is not None and now >= self.limit_at

    def past_grace(self, now: datetime) -> bool:
        return self.grace_until is not None and now >= self.grace_until


# Pakistani notes and coins in circulation, largest first (rupees; Rs 10 is a note and a coin alike), as a count
# lists them; a count takes at most MAX_PIECES of each.
DENOMINATIONS: tuple[int, ...] = (5000, 1000, 500, 100, 50, 20, 10, 5, 2, 1)
MAX_PIECES = 100_000


class CashDirection(StrEnum):
    IN = "in"
    OUT = "out"

    @property
    def label(self) -> str:
        return {"in": "Cash in", "out": "Cash out"}[self.value]


class CashReason(StrEnum):
    """Why cash went in or out of a drawer; change given to customers is never one (it is in the sales already)."""

    FLOAT_TOP_UP = "float_top_up"
    SAFE_DROP = "safe_drop"
    BANK_DROP = "bank_drop"
    PETTY_CASH = "petty_cash"
    VENDOR_PAYMENT = "vendor_payment"
    STAFF_PAYOUT = "staff_payout"
    CORRECTION = "correction"

    @property
    def label(self) -> str:
        return {
            "float_top_up": "Float top-up",
            "safe_drop": "Safe drop",
            "bank_drop": "Bank deposit",
            "petty_cash": "Petty cash",
            "vendor_payment": "Vendor payment",
            "staff_payout": "Staff payout",
            "correction": "Correction",
        }[self.value]

    @property
    def directions(self) -> tuple[CashDirection, ...]:
        """Which way this reason moves cash: a top-up only goes in, drops and payments only go out."""
        if self is CashReason.FLOAT_TOP_UP:
            return (CashDirection.IN,)
        if self in (CashReason.PETTY_CASH, CashReason.CORRECTION):
            return (CashDirection.IN, CashDirection.OUT)
        return (CashDirection.OUT,)


class CashLog(TenantMixin, Base):
    """Cash put into or taken out of a drawer, outside a sale: append-only, attributed, tied to its shift."""

    __tablename__ = "cash_logs"
    __table_args__ = (
        sa.UniqueConstraint("merchant_id", "uuid"),
        sa.Index("ix_cash_logs_branch_created", "branch_id", "created_at"),
    )

    # Generated when the form is shown: a double tap records it once.
    uuid: Mapped[str] = mapped_column(sa.String(36))
    branch_id: Mapped[int] = mapped_column(sa.ForeignKey("branches.id", ondelete="CASCADE"))
    counter_id: Mapped[int] = mapped_column(sa.ForeignKey("counters.id", ondelete="CASCADE"))
    register_id: Mapped[int] = mapped_column(sa.ForeignKey("registers.id", ondelete="CASCADE"), index=True)
    shift_id: Mapped[int] = mapped_column(sa.ForeignKey("shifts.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    approver_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    direction: Mapped[str] = mapped_column(sa.String(4))
    reason: Mapped[str] = mapped_column(sa.String(20))
    amount_minor: Mapped[int] = mapped_column(sa.BigInteger)
    note: Mapped[str] = mapped_column(sa.String(200), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    branch: Mapped[Branch] = relationship()
    counter: Mapped[Counter] = relationship()
    shift: Mapped[Shift] = relationship()
    user: Mapped[User] = relationship(foreign_keys=[user_id])
    approver: Mapped[User | None] = relationship(foreign_keys=[approver_id])

    @property
    def signed_minor(self) -> int:
        return self.amount_minor if self.direction == CashDirection.IN else -self.amount_minor

    @property
    def reason_label(self) -> str:
        return CashReason(self.reason).label

    @property
    def direction_label(self) -> str:
        return CashDirection(self.direction).label


# The longest note of a day close, and reason for reopening one.
DAY_CLOSE_TEXT_LENGTH = 300


class DayClose(TenantMixin, Base):
    """A branch's business day closed: every register of the day closed, its figures fixed for the report.

    An owner may reopen today's close (with a reason): the row stays, marked reopened, as the day's history, and
    registers start again; closing the day once more writes a new close over every register of the day.
    """

    __tablename__ = "day_closes"
    __table_args__ = (
        # One standing close per branch and day, whatever two screens do at once; reopened ones are history.
        sa.Index(
            "uq_day_closes_standing",
            "branch_id",
            "business_date",
            unique=True,
            postgresql_where=sa.text("reopened_at IS NULL"),
            sqlite_where=sa.text("reopened_at IS NULL"),
        ),
        sa.Index("ix_day_closes_branch_day", "branch_id", "business_date"),
    )

    branch_id: Mapped[int] = mapped_column(sa.ForeignKey("branches.id", ondelete="CASCADE"))
    business_date: Mapped[date]
    closed_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    closed_at: Mapped[datetime] = mapped_column(default=utcnow)
    expected_minor: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    counted_minor: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    note: Mapped[str] = mapped_column(sa.String(DAY_CLOSE_TEXT_LENGTH), default="")
    reopened_at: Mapped[datetime | None]
    reopened_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    reopen_reason: Mapped[str] = mapped_column(sa.String(DAY_CLOSE_TEXT_LENGTH), default="", server_default="")

    branch: Mapped[Branch] = relationship()
    closed_by: Mapped[User] = relationship(foreign_keys=[closed_by_id])
    reopened_by: Mapped[User | None] = relationship(foreign_keys=[reopened_by_id])

    @property
    def over_short_minor(self) -> int:
        return self.counted_minor - self.expected_minor

    @property
    def is_reopened(self) -> bool:
        return self.reopened_at is not None
