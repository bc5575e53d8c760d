"""Registers and shifts: start a counter's register, open, extend and hand over shifts, close the register.

One open register per counter, one open shift per cashier and one open shift per register are kept by partial unique
indexes, so two tablets pressing "Start" at once end with one register and a clear message, never two. One cashier
answers for a drawer at a time: the next shift opens with the cash the last one counted. Counting a shift closed is
in `drawer`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ismartsync.errors import DomainError
from ismartsync.models import Counter, Merchant, Register, RegisterStatus, Shift, ShiftStatus, User
from ismartsync.models.base import utcnow
from ismartsync.money import format_money
from ismartsync.services.audit import Actor, record_audit
from ismartsync.services.cash.day_close import branch_today, day_close_of

MAX_FLOAT_MINOR = 10_000_000_00  # Rs 10 million: above that it is a typing slip, not a float


def open_register(session: Session, counter: Counter, *, lock: bool = False) -> Register | None:
    query = select(Register).where(Register.counter_id == counter.id, Register.status == RegisterStatus.OPEN)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    return session.scalar(query)


def start_register(session: Session, actor: Actor, counter: Counter, opening_float_minor: int) -> Register:
    """Start the counter's register with its opening float; refused if one is already open there."""
    if counter.merchant_id != actor.merchant_id:
        raise ValueError("counter of another merchant")
    if not counter.active:
        raise DomainError(f"{counter.label} is switched off. Switch it on under Settings first.")
    if not 0 <= opening_float_minor <= MAX_FLOAT_MINOR:
        raise DomainError("Enter an opening float between Rs 0 and Rs 10,000,000.", field="opening_float")
    if open_register(session, counter) is not None:
        raise DomainError(f"{counter.label} already has an open register.")
    if day_close_of(session, counter.branch_id, branch_today(counter.branch)) is not None:
        raise DomainError(
            f"The day at {counter.branch.name} is closed. Registers start again tomorrow, or once an owner reopens "
            "the day."
        )
    register = Register(
        merchant_id=counter.merchant_id,
        counter_id=counter.id,
        branch_id=counter.branch_id,
        opening_float_minor=opening_float_minor,
        opened_by_id=actor.user.id,
    )
    try:
        with session.begin_nested():
            session.add(register)
            session.flush()
    except IntegrityError as exc:  # another tablet started it a moment ago
        raise DomainError(f"{counter.label} already has an open register.") from exc
    record_audit(
        session,
        actor,
        "register.start",
        f"Started the register on {counter.label}",
        target=register,
        branch_id=counter.branch_id,
        after={"opening_float_minor": opening_float_minor},
    )
    return register


def current_shift(session: Session, user: User) -> Shift | None:
    """The cashier's open shift, wherever it is."""
    return session.scalar(select(Shift).where(Shift.user_id == user.id, Shift.status == ShiftStatus.OPEN))


def open_shift(session: Session, actor: Actor, counter: Counter) -> Shift:
    """Open the acting cashier's shift in the counter's open register; their open shift there is returned as is.

    The shift is handed the drawer as the last shift left it (its count), or the register's float if it is the first;
    the owner's shift limit and grace start counting now.
    """
    register = open_register(session, counter, lock=True)  # a close of the register waits, or is waited for
    if register is None:
        raise DomainError(f"Start the register on {counter.label} before opening a shift.")
    shift = current_shift(session, actor.user)
    if shift is not None:
        if shift.register_id == register.id:
            return shift
        raise DomainError("You have a shift open at another counter. Close it there first.")
    holder = open_shift_of(session, register)
    if holder is not None:
        raise DomainError(
            f"{holder.user.full_name}'s shift is open on {counter.label}. It must close before yours opens."
        )
    merchant = session.get(Merchant, register.merchant_id)
    assert merchant is not None
    now = utcnow()
    shift = Shift(
        merchant_id=register.merchant_id,
        register_id=register.id,
        user_id=actor.user.id,
        opening_float_minor=_handed_over(session, register),
        opened_at=now,
    )
    _set_limit(shift, merchant, now + timedelta(minutes=merchant.max_shift_minutes))
    try:
        with session.begin_nested():
            session.add(shift)
            session.flush()
    except IntegrityError as exc:  # the same cashier on two tablets, or two cashiers on one drawer, at once
        raise DomainError("Another shift opened on this drawer a moment ago. Reload the counter.") from exc
    record_audit(
        session,
        actor,
        "shift.open",
        f"Opened a shift on {counter.label} with {format_money(shift.opening_float_minor)} in the drawer",
        target=shift,
        branch_id=counter.branch_id,
        after={"opening_float_minor": shift.opening_float_minor},
    )
    return shift


def open_shift_of(session: Session, register: Register) -> Shift | None:
    """The shift that has the register's drawer now, if any."""
    return session.scalar(select(Shift).where(Shift.register_id == register.id, Shift.status == ShiftStatus.OPEN))


def _handed_over(session: Session, register: Register) -> int:
    """The cash the last closed shift counted in the drawer; the register's float before its first shift."""
    counted = session.scalar(
        select(Shift.counted_minor)
        .where(Shift.register_id == register.id, Shift.status == ShiftStatus.CLOSED)
        .order_by(Shift.closed_at.desc(), Shift.id.desc())
        .limit(1)
    )
    return register.opening_float_minor if counted is None else counted


def _set_limit(shift: Shift, merchant: Merchant, limit_at: datetime) -> None:
    if merchant.max_shift_minutes <= 0:
        shift.limit_at = shift.grace_until = None
        return
    shift.limit_at = limit_at
    shift.grace_until = limit_at + timedelta(minutes=merchant.shift_grace_minutes)


MAX_EXTENSION_MINUTES = 12 * 60


def extend_shift(session: Session, actor: Actor, shift: Shift, minutes: int) -> Shift:
    """Let a shift run until at least `minutes` from now (a manager's call, audited); pressing twice changes nothing.

    Under the owner's current limits: if they were switched off since the shift opened, it has no limit any more.
    """
    if shift.merchant_id != actor.merchant_id:
        raise ValueError("shift of another merchant")
    if not shift.is_open:
        raise DomainError("That shift is already closed.")
    if not 15 <= minutes <= MAX_EXTENSION_MINUTES:
        raise DomainError("Extend by 15 minutes to 12 hours.", field="minutes")
    merchant = session.get(Merchant, shift.merchant_id)
    assert merchant is not None
    before = {"limit_at": shift.limit_at.isoformat() if shift.limit_at else None}
    wanted = utcnow() + timedelta(minutes=minutes)
    # A repeat within the minute (a double tap, the form sent again) leaves the limit where the first one put it.
    if shift.limit_at is not None and wanted < shift.limit_at + timedelta(minutes=1):
        wanted = shift.limit_at
    _set_limit(shift, merchant, wanted)
    after = {"limit_at": shift.limit_at.isoformat() if shift.limit_at else None}
    session.flush()
    if after != before:
        record_audit(
            session,
            actor,
            "shift.extend",
            f"Extended {shift.user.full_name}'s shift by {minutes} min",
            target=shift,
            branch_id=shift.register.branch_id,
            before=before,
            after=after,
        )
    return shift


def selling_shift(session: Session, user: User, counter: Counter) -> Shift:
    """The shift a sale at this counter belongs to; selling without one is refused.

    One query on the hot path (every scan asks); the two that say what is missing only when something is.
    """
    shift = session.scalar(
        select(Shift)
        .join(Register, Register.id == Shift.register_id)
        .where(
            Shift.user_id == user.id,
            Shift.status == ShiftStatus.OPEN,
            Register.counter_id == counter.id,
            Register.status == RegisterStatus.OPEN,
        )
    )
    if shift is not None:
        if shift.past_grace(utcnow()):
            raise DomainError(
                "Your shift is past its limit and grace period. A manager extends it, or close it to hand over."
            )
        return shift
    shift = current_shift(session, user)
    register = open_register(session, counter)
    if register is None:
        raise DomainError(f"Start the register on {counter.label} to sell.")
    if shift is None or shift.register_id != register.id:
        raise DomainError("Open your shift on this counter to sell.")
    return shift


@dataclass(frozen=True)
class RegisterCloseCheck:
    """What closing a register would fix: its shifts, the cash the drawer should hold and the last count in it, and
    the shift that stops the close while it is open."""

    register: Register
    shifts: list[Shift]
    expected_minor: int
    counted_minor: int
    open_shift: Shift | None

    @property
    def over_short_minor(self) -> int:
        return self.counted_minor - self.expected_minor


def check_register_close(session: Session, register: Register) -> RegisterCloseCheck:
    """Expected = the float ± every shift's cash; counted = the last shift's count (the float before any shift)."""
    shifts = list(session.scalars(select(Shift).where(Shift.register_id == register.id).order_by(Shift.id)))
    effects = sum(s.expected_cash_minor - s.opening_float_minor for s in shifts)
    counted = next((s.counted_minor for s in reversed(shifts) if s.counted_minor is not None), None)
    return RegisterCloseCheck(
        register=register,
        shifts=shifts,
        expected_minor=register.opening_float_minor + effects,
        counted_minor=register.opening_float_minor if counted is None else counted,
        open_shift=next((s for s in shifts if s.is_open), None),
    )


def close_register(session: Session, actor: Actor, register: Register) -> Register:
    """Close the counter's register once every shift in it is closed, fixing its expected and counted cash."""
    if register.merchant_id != actor.merchant_id:
        raise ValueError("register of another merchant")
    register = (
        session.scalar(
            select(Register)
            .where(Register.id == register.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        or register
    )
    if not register.is_open:
        return register  # a second tap, or another tablet closed it: one close
    check = check_register_close(session, register)
    if check.open_shift is not None:
        raise DomainError(f"{check.open_shift.user.full_name}'s shift is still open. Close it first.")
    register.expected_minor = check.expected_minor
    register.counted_minor = check.counted_minor
    register.status = RegisterStatus.CLOSED
    register.closed_at = utcnow()
    register.closed_by_id = actor.user.id
    session.flush()
    record_audit(
        session,
        actor,
        "register.close",
        f"Closed the register on {register.counter.label}",
        target=register,
        branch_id=register.branch_id,
        after={"expected_minor": register.expected_minor, "counted_minor": register.counted_minor},
    )
    return register
