"""The drawer's cash: cash in and out with a reason, the drawer limit, and counting a shift closed (blind or not).
Starting registers and opening shifts is `registers`; the business day and its close are `day_close`.

Every figure the drawer equation needs is kept on the shift in the transaction that changes it, under the shift's
row lock, so a cash log, a sale and the close never miss one another: a sale or a log that comes after the close
finds the shift closed and is refused.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ismartsync.errors import DomainError
from ismartsync.models import (
    CashDirection,
    CashLog,
    CashReason,
    Merchant,
    Register,
    Shift,
    ShiftStatus,
)
from ismartsync.models.base import utcnow
from ismartsync.models.register import DENOMINATIONS, MAX_PIECES
from ismartsync.money import format_money
from ismartsync.permissions import Effect, Permission
from ismartsync.services.audit import Actor, record_audit

MAX_CASH_LOG_MINOR = 100_000_000_00  # Rs 100 million: beyond that it is a typing slip


class ShiftClosed(DomainError):
    """The shift was closed (on another tablet, or by a manager) before this reached it."""


def lock_open_shift(session: Session, shift_id: int) -> Shift:
    """The shift under its row lock; refused if it is no longer open."""
    shift = session.scalar(
        select(Shift).where(Shift.id == shift_id).with_for_update().execution_options(populate_existing=True)
    )
    if shift is None or not shift.is_open:
        raise ShiftClosed("This shift is closed. Open a new shift to go on.")
    return shift


def record_cash_log(
    session: Session,
    actor: Actor,
    shift: Shift,
    *,
    uuid: str,
    direction: CashDirection,
    reason: CashReason,
    amount_minor: int,
    note: str = "",
) -> CashLog:
    """Put cash into or take it out of the shift's drawer; Expected changes at once. A repeated `uuid` is one log."""
    if shift.merchant_id != actor.merchant_id:
        raise ValueError("shift of another merchant")
    existing = session.scalar(select(CashLog).where(CashLog.merchant_id == shift.merchant_id, CashLog.uuid == uuid))
    if existing is not None:
        return existing
    if direction not in reason.directions:
        raise DomainError(f"{reason.label} is never a {direction.label.lower()}.", field="reason")
    if not 0 < amount_minor <= MAX_CASH_LOG_MINOR:
        raise DomainError("Enter an amount above Rs 0.", field="amount")
    note = note.strip()
    if reason in (CashReason.CORRECTION, CashReason.PETTY_CASH, CashReason.VENDOR_PAYMENT) and not note:
        raise DomainError(f"Say what the {reason.label.lower()} was for.", field="note")
    shift = lock_open_shift(session, shift.id)
    if direction is CashDirection.OUT and amount_minor > shift.expected_cash_minor:
        merchant = session.get(Merchant, shift.merchant_id)
        held = "less" if merchant and merchant.blind_close else format_money(shift.expected_cash_minor)
        raise DomainError(f"The drawer should hold {held}; more cannot be taken out.", field="amount")
    register = session.get(Register, shift.register_id)
    assert register is not None
    log = CashLog(
        merchant_id=shift.merchant_id,
        uuid=uuid,
        branch_id=register.branch_id,
        counter_id=register.counter_id,
        register_id=register.id,
        shift_id=shift.id,
        user_id=actor.user.id,
        approver_id=actor.approver.id if actor.approver else None,
        direction=direction,
        reason=reason,
        amount_minor=amount_minor,
        note=note[:200],
    )
    try:
        with session.begin_nested():
            session.add(log)
            session.flush()
    except IntegrityError:  # the same form sent twice at once: the other request recorded it
        found = session.scalar(select(CashLog).where(CashLog.merchant_id == shift.merchant_id, CashLog.uuid == uuid))
        assert found is not None
        return found
    if direction is CashDirection.IN:
        shift.cash_in_minor += amount_minor
    else:
        shift.cash_out_minor += amount_minor
    session.flush()
    record_audit(
        session,
        actor,
        f"cash.{direction.value}",
        f"{direction.label} {format_money(amount_minor)}: {reason.label}" + (f" ({note})" if note else ""),
        target=log,
        branch_id=register.branch_id,
        after={"amount_minor": amount_minor, "reason": reason.value, "note": note},
    )
    return log


def drawer_over_limit(merchant: Merchant, shift: Shift) -> int:
    """How much a safe drop should take to bring the drawer back to its opening float (at least under the limit,
    when the float itself was above it); 0 while under the limit."""
    expected = shift.expected_cash_minor
    if merchant.drawer_limit_minor <= 0 or expected <= merchant.drawer_limit_minor:
        return 0
    return max(expected - shift.opening_float_minor, expected - merchant.drawer_limit_minor)


@dataclass(frozen=True)
class Count:
    """A drawer count: the total, and how it was made up when counted note by note (rupees → pieces)."""

    total_minor: int
    pieces: dict[int, int] | None = None

    @classmethod
    def of_pieces(cls, pieces: dict[int, int]) -> Count:
        for value, n in pieces.items():
            if value not in DENOMINATIONS:
                raise DomainError(f"Rs {value} is not a Pakistani note or coin.", field="denominations")
            if not 0 <= n <= MAX_PIECES:
                raise DomainError(f"Enter 0 to {MAX_PIECES:,} for Rs {value}.", field=f"d{value}")
        kept = {v: n for v, n in pieces.items() if n}
        return cls(sum(v * 100 * n for v, n in kept.items()), kept)


def over_tolerance(merchant: Merchant, shift: Shift, counted_minor: int) -> bool:
    """Whether a count misses what the shift expects by more than the merchant's tolerance."""
    return abs(counted_minor - shift.expected_cash_minor) > merchant.cash_tolerance_minor


class NeedsApproval(DomainError):
    """The close goes beyond the tolerance and nobody who may approve it has."""


def _may_close_over(actor: Actor) -> bool:
    return actor.approver is not None or actor.user.effect(Permission.CLOSE_OVER_TOLERANCE) is Effect.ALLOWED


def note_refused_count(session: Session, actor: Actor, shift: Shift, count: Count) -> None:
    """A blind count refused as beyond the tolerance is kept in the audit log, so recounts show in the Z report."""
    record_audit(
        session,
        actor,
        "shift.recount",
        f"A blind count of {format_money(count.total_minor)} was refused as beyond the tolerance",
        target=shift,
        branch_id=shift.register.branch_id,
        after={"counted_minor": count.total_minor, "expected_minor": shift.expected_cash_minor},
    )


def check_count(merchant: Merchant, shift: Shift, count: Count, note: str) -> None:
    """Refuse a count beyond the tolerance that comes without a reason (before anyone is asked to approve it)."""
    if not 0 <= count.total_minor <= MAX_CASH_LOG_MINOR:
        raise DomainError("Enter the cash counted in the drawer.", field="total")
    if over_tolerance(merchant, shift, count.total_minor) and not note.strip():
        off = count.total_minor - shift.expected_cash_minor
        if merchant.blind_close:  # the closer counts blind: say that it is off, not by how much
            raise DomainError(
                f"The count is off by more than the {format_money(merchant.cash_tolerance_minor)} tolerance. "
                "Count again, or say why; a manager approves it.",
                field="note",
            )
        raise DomainError(
            f"The count is {format_money(abs(off))} {'over' if off > 0 else 'short'}, beyond the "
            f"{format_money(merchant.cash_tolerance_minor)} tolerance. Say why.",
            field="note",
        )


def close_shift(session: Session, actor: Actor, shift: Shift, count: Count, *, note: str = "") -> Shift:
    """Count the shift's drawer closed: Expected is fixed now, over/short follows; a second close changes nothing.

    Beyond the merchant's tolerance a reason is required, and the view has had it approved (`actor.approver`)
    unless the closer may close over tolerance on their own.
    """
    if shift.merchant_id != actor.merchant_id:
        raise ValueError("shift of another merchant")
    locked = session.scalar(
        select(Shift).where(Shift.id == shift.id).with_for_update().execution_options(populate_existing=True)
    )
    assert locked is not None
    if not locked.is_open:
        return locked
    merchant = session.get(Merchant, locked.merchant_id)
    assert merchant is not None
    note = note.strip()
    check_count(merchant, locked, count, note)
    # Checked again under the lock: a sale that landed since the view looked can take the count beyond it.
    if over_tolerance(merchant, locked, count.total_minor) and not _may_close_over(actor):
        raise NeedsApproval("The count is now beyond the tolerance: a supervisor approves the close.")
    locked.expected_minor = locked.expected_cash_minor
    locked.counted_minor = count.total_minor
    locked.denominations = {str(v): n for v, n in count.pieces.items()} if count.pieces is not None else None
    locked.blind = merchant.blind_close
    locked.close_note = note[:300]
    locked.approved_by_id = actor.approver.id if actor.approver else None
    locked.status = ShiftStatus.CLOSED
    locked.closed_at = utcnow()
    locked.closed_by_id = actor.user.id
    session.flush()
    record_audit(
        session,
        actor,
        "shift.close",
        f"Closed {locked.user.full_name}'s shift: counted {format_money(locked.counted_minor)}, "
        f"expected {format_money(locked.expected_minor)}",
        target=locked,
        branch_id=locked.register.branch_id,
        after={"expected_minor": locked.expected_minor, "counted_minor": locked.counted_minor, "note": note},
    )
    return locked


def add_cash_sale(session: Session, shift: Shift, cash_minor: int) -> None:
    """Checkout's share: the cash a sale left in the drawer, refused once the shift is closed (one statement)."""
    done = session.execute(
        update(Shift)
        .where(Shift.id == shift.id, Shift.status == ShiftStatus.OPEN)
        .values(cash_sales_minor=Shift.cash_sales_minor + cash_minor)
    )
    if done.rowcount != 1:  # type: ignore[attr-defined]
        raise ShiftClosed("Your shift was closed before this sale. Open a new shift to sell.")


def take_cash_refund(session: Session, shift: Shift, cash_minor: int) -> None:
    """A return's share: cash paid back out of the drawer, in one statement that also holds the shift's row, refused
    once the shift is closed or when the drawer should hold less than that."""
    expected = (
        Shift.opening_float_minor + Shift.cash_sales_minor - Shift.cash_refunds_minor + Shift.cash_in_minor
    ) - Shift.cash_out_minor
    done = session.execute(
        update(Shift)
        .where(Shift.id == shift.id, Shift.status == ShiftStatus.OPEN, expected >= cash_minor)
        .values(cash_refunds_minor=Shift.cash_refunds_minor + cash_minor)
        .returning(Shift.id)
        .execution_options(synchronize_session=False)
    ).scalar_one_or_none()
    if done is not None:
        return
    locked = session.scalar(select(Shift).where(Shift.id == shift.id).execution_options(populate_existing=True))
    if locked is None or not locked.is_open:
        raise ShiftClosed("Your shift was closed before this refund. Open a new shift to refund in cash.")
    raise DomainError(
        f"The drawer should hold {format_money(max(locked.expected_cash_minor, 0))}, less than the "
        f"{format_money(cash_minor)} cash refund. Refund another way, or put cash in first.",
        field="refunds",
    )
