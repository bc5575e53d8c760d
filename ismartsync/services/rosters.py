"""Staff rosters: a branch's week, who is rostered on each slot and day, and the dates and times both it and the
roster slots work with (the slots themselves are `services.roster_slots`; publishing the week, who is
on now and calendars are `services.roster_publishing`).

Scheduling only: the cash drawer's shifts are in `services.cash` (`registers`, `drawer`). An assignment keeps its
slot's times as UTC instants worked out from the branch-local times, so an overnight slot is one interval and
overlaps, "who's on now" and calendars need no arithmetic on local clocks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload

from ismartsync.errors import DomainError
from ismartsync.models import Branch, Merchant, Role, RosterAssignment, RosterSlot, RosterWeek, User
from ismartsync.models.base import utcnow
from ismartsync.models.roster import DAY_NAMES
from ismartsync.models.staff import user_branches
from ismartsync.services.audit import Actor, record_audit


def week_start(day: date) -> date:
    """The Monday of the week `day` is in."""
    return day - timedelta(days=day.weekday())


def week_days(monday: date) -> list[date]:
    return [monday + timedelta(days=n) for n in range(7)]


def zone_of(session: Session, merchant_id: int) -> ZoneInfo:
    merchant = session.get(Merchant, merchant_id)
    assert merchant is not None
    return ZoneInfo(merchant.time_zone)


def local_today(session: Session, merchant_id: int, now: datetime | None = None) -> date:
    return (now or utcnow()).astimezone(zone_of(session, merchant_id)).date()


def local_interval(day: date, start: time, end: time, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """Local times on `day` as instants; the end is the next day when it is not after the start."""
    end_day = day + timedelta(days=1) if end <= start else day
    return datetime.combine(day, start, tzinfo=zone), datetime.combine(end_day, end, tzinfo=zone)


def slot_times(slot: RosterSlot, day: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The slot on `day` as instants."""
    return local_interval(day, slot.start_time, slot.end_time, zone)


def interval_label(starts_at: datetime, ends_at: datetime, zone: ZoneInfo) -> str:
    starts, ends = starts_at.astimezone(zone), ends_at.astimezone(zone)
    later = " next day" if ends.date() != starts.date() else ""
    return f"{starts:%H:%M}–{ends:%H:%M}{later}"


def hours_label(assignment: RosterAssignment, zone: ZoneInfo) -> str:
    return interval_label(assignment.starts_at, assignment.ends_at, zone)


def slots_of(session: Session, branch: Branch) -> list[RosterSlot]:
    """The branch's roster slots in the grid's order (by start time)."""
    query = select(RosterSlot).where(RosterSlot.branch_id == branch.id)
    return list(session.scalars(query.order_by(RosterSlot.start_time, RosterSlot.name)))


# The week's roster


def members_for(session: Session, branch: Branch) -> list[User]:
    """The active members who work at the branch: theirs by branch, or every branch's."""
    at_branch = select(user_branches.c.user_id).where(user_branches.c.branch_id == branch.id)
    query = (
        select(User)
        .join(User.role)
        .where(User.merchant_id == branch.merchant_id, User.active.is_(True))
        .where(or_(User.all_branches.is_(True), Role.is_owner.is_(True), User.id.in_(at_branch)))
    )
    return list(session.scalars(query.order_by(User.full_name, User.id)))


def week_of(session: Session, branch: Branch, monday: date, *, create: bool = False) -> RosterWeek | None:
    query = select(RosterWeek).where(RosterWeek.branch_id == branch.id, RosterWeek.week_start == monday)
    week = session.scalar(query)
    if week is not None or not create:
        return week
    week = RosterWeek(merchant_id=branch.merchant_id, branch_id=branch.id, week_start=monday)
    try:
        with session.begin_nested():
            session.add(week)
            session.flush()
    except IntegrityError:  # another manager's first change of the week came first
        week = session.scalar(query)
    return week


def mark_changed(week: RosterWeek) -> None:
    """Note the first change to a published week, so the next publish tells the members."""
    if week.published_at is not None and week.changed_at is None:
        week.changed_at = utcnow()


def _overlapping(session: Session, user: User, starts_at: datetime, ends_at: datetime) -> RosterAssignment | None:
    query = select(RosterAssignment).where(
        RosterAssignment.user_id == user.id,
        RosterAssignment.starts_at < ends_at,
        RosterAssignment.ends_at > starts_at,
    )
    return session.scalar(query.order_by(RosterAssignment.starts_at).limit(1))


def _check_assignable(session: Session, slot: RosterSlot, day: date, user: User) -> None:
    if user.merchant_id != slot.merchant_id:
        raise ValueError("member of another merchant")
    if not user.active or user.id not in {m.id for m in members_for(session, slot.branch)}:
        raise DomainError(f"{user.full_name} does not work at {slot.branch.name}.", field="user_id")
    if not slot.works_on(day):
        raise DomainError(f"{slot.name} is not worked on {DAY_NAMES[day.weekday()]}s.", field="user_id")


def assign_member(session: Session, actor: Actor, slot: RosterSlot, day: date, user: User) -> RosterAssignment:
    """Roster `user` on `slot` on `day`; refused when they are already on a slot that overlaps it."""
    if slot.merchant_id != actor.merchant_id:
        raise ValueError("slot of another merchant")
    _check_assignable(session, slot, day, user)
    starts_at, ends_at = slot_times(slot, day, zone_of(session, slot.merchant_id))
    if clash := _overlapping(session, user, starts_at, ends_at):
        same = clash.slot_id == slot.id and clash.work_date == day
        raise DomainError(
            f"{user.full_name} is already on this slot."
            if same
            else f"{user.full_name} is already on {clash.slot_name} at {clash.branch.name} on "
            f"{clash.work_date:%a %d %b} ({hours_label(clash, zone_of(session, slot.merchant_id))}), "
            f"which overlaps {slot.name}.",
            field="user_id",
        )
    week = week_of(session, slot.branch, week_start(day), create=True)
    assert week is not None
    assignment = RosterAssignment(
        merchant_id=slot.merchant_id,
        branch_id=slot.branch_id,
        week=week,
        slot=slot,
        user=user,
        work_date=day,
        slot_name=slot.name,
        starts_at=starts_at,
        ends_at=ends_at,
        created_by_id=actor.user.id,
    )
    try:
        with session.begin_nested():
            session.add(assignment)
            session.flush()
    except IntegrityError as exc:  # the same member added twice at the same moment
        raise DomainError(f"{user.full_name} is already on this slot.", field="user_id") from exc
    mark_changed(week)
    record_audit(
        session,
        actor,
        "roster.assign",
        f"Rostered {user.full_name} on {slot.name}, {day:%a %d %b %Y} at {slot.branch.name}",
        target=assignment,
        branch_id=slot.branch_id,
        after={"user_id": user.id, "slot": slot.name, "date": day.isoformat()},
    )
    return assignment


def unassign_member(session: Session, actor: Actor, assignment: RosterAssignment) -> None:
    mark_changed(assignment.week)
    record_audit(
        session,
        actor,
        "roster.unassign",
        f"Took {assignment.user.full_name} off {assignment.slot_name}, {assignment.work_date:%a %d %b %Y} "
        f"at {assignment.branch.name}",
        target=assignment,
        branch_id=assignment.branch_id,
        before={"user_id": assignment.user_id, "slot": assignment.slot_name, "date": str(assignment.work_date)},
    )
    session.delete(assignment)
    session.flush()


@dataclass(frozen=True)
class CopyResult:
    copied: int
    already_there: int
    skipped: list[str]  # why the others were not copied, one line each


def copy_previous_week(session: Session, actor: Actor, branch: Branch, monday: date) -> CopyResult:
    """Roster this week as last week was, skipping what is already there and what cannot be (a member who left
    the branch, a removed slot, an overlap)."""
    source = week_of(session, branch, monday - timedelta(days=7))
    if source is None or not (previous := assignments_of(session, source)):
        raise DomainError("Nobody was rostered last week, so there is nothing to copy.")
    copied = already = 0
    skipped: list[str] = []
    for old in previous:
        day = old.work_date + timedelta(days=7)
        slot = old.slot
        if slot is None:
            skipped.append(f"{old.user.full_name}: {old.slot_name} no longer exists")
            continue
        exists = select(RosterAssignment.id).where(
            RosterAssignment.slot_id == slot.id,
            RosterAssignment.work_date == day,
            RosterAssignment.user_id == old.user_id,
        )
        if session.scalar(exists) is not None:
            already += 1
            continue
        try:
            with session.begin_nested():
                assign_member(session, actor, slot, day, old.user)
            copied += 1
        except DomainError as exc:
            skipped.append(exc.message)
    return CopyResult(copied, already, skipped)


def assignments_of(session: Session, week: RosterWeek) -> list[RosterAssignment]:
    query = (
        select(RosterAssignment)
        .where(RosterAssignment.week_id == week.id)
        .options(joinedload(RosterAssignment.user), joinedload(RosterAssignment.slot))
        .order_by(RosterAssignment.starts_at, RosterAssignment.id)
    )
    return list(session.scalars(query))


@dataclass
class Cell:
    slot: RosterSlot
    day: date
    assignments: list[RosterAssignment] = field(default_factory=list)

    @property
    def works(self) -> bool:
        return self.slot.works_on(self.day)

    @property
    def covered(self) -> int:
        """The members that count towards the target (those of its role, when it names one)."""
        role_id = self.slot.coverage_role_id
        return sum(1 for a in self.assignments if role_id is None or a.user.role_id == role_id)

    @property
    def short(self) -> bool:
        target = self.slot.coverage_target
        return self.works and target is not None and self.covered < target


@dataclass
class WeekRoster:
    branch: Branch
    monday: date
    week: RosterWeek | None
    slots: list[RosterSlot]
    cells: dict[tuple[int, date], Cell]

    @property
    def days(self) -> list[date]:
        return week_days(self.monday)

    def cell(self, slot: RosterSlot, day: date) -> Cell:
        return self.cells[(slot.id, day)]

    @property
    def assigned(self) -> int:
        return sum(len(c.assignments) for c in self.cells.values())


def week_roster(session: Session, branch: Branch, monday: date) -> WeekRoster:
    """The week as its grid shows it: each slot's row, each day's cell with who is rostered."""
    slots = slots_of(session, branch)
    cells = {(t.id, d): Cell(t, d) for t in slots for d in week_days(monday)}
    week = week_of(session, branch, monday)
    for assignment in assignments_of(session, week) if week else []:
        if (cell := cells.get((assignment.slot_id or 0, assignment.work_date))) is not None:
            cell.assignments.append(assignment)
    for cell in cells.values():
        cell.assignments.sort(key=lambda a: a.user.full_name.lower())
    return WeekRoster(branch, monday, week, slots, cells)
