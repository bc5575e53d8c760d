"""The branch's business day (its UTC bounds, its registers) and its close: what closing the day would fix and what
still stops it, the close itself, and reopening today's close (an owner's call, with a reason) so registers can start
again.

A reopened close is kept as the day's history, marked reopened; one standing close per branch and day is kept by a
partial unique index. Closing the day again writes a new close over every register started that day, before and
after the reopen, so the day report and the close always add up to the same registers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ismartsync.errors import DomainError
from ismartsync.models import Branch, DayClose, Register, Shift, ShiftStatus
from ismartsync.models.base import utcnow
from ismartsync.models.register import DAY_CLOSE_TEXT_LENGTH
from ismartsync.money import format_money
from ismartsync.services.audit import Actor, record_audit


def business_day_bounds(day: date, zone: str) -> tuple[datetime, datetime]:
    """The UTC instants a branch-local business day starts and ends at."""
    start = datetime.combine(day, time.min, tzinfo=ZoneInfo(zone))
    return start, start + timedelta(days=1)


def registers_of_day(session: Session, branch: Branch, day: date) -> list[Register]:
    """The branch's registers started on that local day."""
    start, end = business_day_bounds(day, branch.merchant.time_zone)
    return list(
        session.scalars(
            select(Register)
            .where(Register.branch_id == branch.id, Register.opened_at >= start, Register.opened_at < end)
            .order_by(Register.opened_at)
        )
    )


def branch_today(branch: Branch) -> date:
    """The branch's business day now (its merchant's time zone)."""
    return utcnow().astimezone(ZoneInfo(branch.merchant.time_zone)).date()


def reopenable(branch: Branch, day: date) -> bool:
    """Only today's close reopens: registers only ever start on today's date, so an earlier day would open nothing."""
    return day == branch_today(branch)


def day_close_of(session: Session, branch_id: int, day: date) -> DayClose | None:
    """The day's standing close, if the day is closed (a reopened close does not count)."""
    return session.scalar(
        select(DayClose).where(
            DayClose.branch_id == branch_id, DayClose.business_date == day, DayClose.reopened_at.is_(None)
        )
    )


def day_history(session: Session, branch_id: int, day: date) -> list[DayClose]:
    """Every close of the day, the reopened ones included, in the order they were made."""
    return list(
        session.scalars(
            select(DayClose)
            .where(DayClose.branch_id == branch_id, DayClose.business_date == day)
            .order_by(DayClose.closed_at, DayClose.id)
        )
    )


@dataclass(frozen=True)
class DayCloseCheck:
    """What closing the day would do: the registers it covers, the cash it fixes, and what stops it for now."""

    branch: Branch
    day: date
    registers: list[Register]
    open_shifts: dict[int, Shift]  # register id → the shift holding its drawer
    closed: DayClose | None  # the standing close, when the day is closed already

    @property
    def open_registers(self) -> list[Register]:
        return [r for r in self.registers if r.is_open]

    @property
    def blockers(self) -> list[str]:
        """Why the day cannot close now, each a sentence a manager acts on; empty when it can."""
        if not self.registers:
            return [f"No register was started at {self.branch.name} on {self.day:%d %b %Y}."]
        return [_still_open(r, self.open_shifts.get(r.id)) for r in self.open_registers]

    @property
    def expected_minor(self) -> int:
        return sum(r.expected_minor or 0 for r in self.registers)

    @property
    def counted_minor(self) -> int:
        return sum(r.counted_minor or 0 for r in self.registers)

    @property
    def over_short_minor(self) -> int:
        return self.counted_minor - self.expected_minor


def _still_open(register: Register, shift: Shift | None) -> str:
    if shift is not None:
        return (
            f"The register on {register.counter.name} is still open, and {shift.user.full_name}'s shift in it: "
            "count and close the shift, then the register."
        )
    return f"The register on {register.counter.name} is still open: close it first."


def check_day_close(session: Session, branch: Branch, day: date) -> DayCloseCheck:
    """The registers of the day (started that day, branch-local), the shifts still holding a drawer, the close."""
    registers = registers_of_day(session, branch, day)
    open_ids = [r.id for r in registers if r.is_open]
    shifts = (
        session.scalars(select(Shift).where(Shift.register_id.in_(open_ids), Shift.status == ShiftStatus.OPEN))
        if open_ids
        else []
    )
    holders = {s.register_id: s for s in shifts}
    return DayCloseCheck(branch, day, registers, holders, day_close_of(session, branch.id, day))


def close_day(session: Session, actor: Actor, branch: Branch, day: date, note: str = "") -> DayClose:
    """Close the branch's business day once every register started that day is closed; a repeat returns it."""
    if branch.merchant_id != actor.merchant_id:
        raise ValueError("branch of another merchant")
    check = check_day_close(session, branch, day)
    if check.closed is not None:
        return check.closed
    if check.blockers:
        raise DomainError(" ".join(check.blockers))
    closed = DayClose(
        merchant_id=branch.merchant_id,
        branch_id=branch.id,
        business_date=day,
        closed_by_id=actor.user.id,
        expected_minor=check.expected_minor,
        counted_minor=check.counted_minor,
        note=note.strip()[:DAY_CLOSE_TEXT_LENGTH],
    )
    try:
        with session.begin_nested():
            session.add(closed)
            session.flush()
    except IntegrityError:  # closed on another screen a moment ago
        found = day_close_of(session, branch.id, day)
        assert found is not None
        return found
    record_audit(
        session,
        actor,
        "day.close",
        f"Closed the day {day:%d %b %Y} at {branch.name}: {len(check.registers)} register(s), "
        f"expected {format_money(closed.expected_minor)}, counted {format_money(closed.counted_minor)}",
        target=closed,
        branch_id=branch.id,
        after={"expected_minor": closed.expected_minor, "counted_minor": closed.counted_minor},
    )
    return closed


def reopen_day(session: Session, actor: Actor, branch: Branch, day: date, reason: str) -> DayClose:
    """Reopen today's close at the branch, saying why: registers can start again, and the close is kept as history.

    Only today's (`reopenable`). A second reopen (a double tap, another screen) finds the day open and returns the
    close it reopened.
    """
    if branch.merchant_id != actor.merchant_id:
        raise ValueError("branch of another merchant")
    reason = reason.strip()
    closed = session.scalar(
        select(DayClose)
        .where(DayClose.branch_id == branch.id, DayClose.business_date == day, DayClose.reopened_at.is_(None))
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if closed is None:
        history = day_history(session, branch.id, day)
        if history and history[-1].is_reopened:
            return history[-1]
        raise DomainError(f"The day {day:%d %b %Y} at {branch.name} is not closed.")
    if not reopenable(branch, day):
        raise DomainError(
            f"Only today's close can be reopened: registers start on today's date, not on {day:%d %b %Y}."
        )
    if not reason:
        raise DomainError("Say why the day is reopened: it goes into the day report and the audit log.", field="reason")
    closed.reopened_at = utcnow()
    closed.reopened_by_id = actor.user.id
    closed.reopen_reason = reason[:DAY_CLOSE_TEXT_LENGTH]
    session.flush()
    record_audit(
        session,
        actor,
        "day.reopen",
        f"Reopened the day {day:%d %b %Y} at {branch.name}: {closed.reopen_reason}",
        target=closed,
        branch_id=branch.id,
        before={
            "closed_at": closed.closed_at.isoformat(),
            "closed_by_id": closed.closed_by_id,
            "expected_minor": closed.expected_minor,
            "counted_minor": closed.counted_minor,
        },
        after={"reason": closed.reopen_reason},
    )
    return closed
