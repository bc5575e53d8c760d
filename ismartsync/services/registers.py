"""Starting a register on a counter and opening cashiers' shifts inside it: what selling needs first.

One open register per counter and one open shift per cashier are kept by partial unique indexes, so two tablets
pressing "Start" at once end with one register and a clear message, never two. Closing and cash management come
with the registers issue.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ismartsync.errors import DomainError
from ismartsync.models import Counter, Register, RegisterStatus, Shift, ShiftStatus, User
from ismartsync.services.audit import Actor, record_audit

MAX_FLOAT_MINOR = 10_000_000_00  # Rs 10 million: above that it is a typing slip, not a float


def open_register(session: Session, counter: Counter) -> Register | None:
    return session.scalar(
        select(Register).where(Register.counter_id == counter.id, Register.status == RegisterStatus.OPEN)
    )


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
    """Open the acting cashier's shift in the counter's open register; their open shift there is returned as is."""
    register = open_register(session, counter)
    if register is None:
        raise DomainError(f"Start the register on {counter.label} before opening a shift.")
    shift = current_shift(session, actor.user)
    if shift is not None:
        if shift.register_id == register.id:
            return shift
        raise DomainError("You have a shift open at another counter. Close it there first.")
    shift = Shift(merchant_id=register.merchant_id, register_id=register.id, user_id=actor.user.id)
    try:
        with session.begin_nested():
            session.add(shift)
            session.flush()
    except IntegrityError as exc:  # the same cashier on two tablets at once
        raise DomainError("You have a shift open at another counter. Close it there first.") from exc
    record_audit(
        session, actor, "shift.open", f"Opened a shift on {counter.label}", target=shift, branch_id=counter.branch_id
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
        return shift
    shift = current_shift(session, user)
    register = open_register(session, counter)
    if register is None:
        raise DomainError(f"Start the register on {counter.label} to sell.")
    if shift is None or shift.register_id != register.id:
        raise DomainError("Open your shift on this counter to sell.")
    return shift
