"""A branch's roster slots: the usual slots, adding, changing (which moves the members rostered on one from today
on, refused when a moved assignment would clash) and removing them. The week itself is `services.rosters`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload

from ismartsync.errors import DomainError
from ismartsync.models import Branch, Role, RosterAssignment, RosterSlot
from ismartsync.models.roster import DAY_NAMES, EVERY_DAY, MAX_COVERAGE, WEEKEND
from ismartsync.services.audit import Actor, record_audit
from ismartsync.services.rosters import (
    interval_label,
    local_interval,
    local_today,
    mark_changed,
    slots_of,
    zone_of,
)

# "Add the usual slots": the presets of the product (ismartsync-product.md §2.5).
PRESETS = (
    ("Morning", time(10), time(16), EVERY_DAY),
    ("Evening", time(16), time(22), EVERY_DAY),
    ("Weekend", time(10), time(22), WEEKEND),
)


@dataclass(frozen=True)
class SlotValues:
    name: str
    start_time: time
    end_time: time
    days: int = EVERY_DAY
    coverage_target: int | None = None
    coverage_role: Role | None = None


def _check_values(session: Session, branch: Branch, values: SlotValues, slot_id: int | None = None) -> str:
    name = values.name.strip()
    if not name:
        raise DomainError("Give the slot a name.", field="name")
    if values.start_time == values.end_time:
        raise DomainError("The slot must end at another time than it starts.", field="end_time")
    if not 0 < values.days <= EVERY_DAY:
        raise DomainError("Choose at least one day.", field="days")
    if values.coverage_target is not None and not 1 <= values.coverage_target <= MAX_COVERAGE:
        raise DomainError(f"Want between 1 and {MAX_COVERAGE} members, or leave it empty.", field="coverage_target")
    taken = select(RosterSlot.id).where(RosterSlot.branch_id == branch.id, func.lower(RosterSlot.name) == name.lower())
    if session.scalar(taken) not in (None, slot_id):
        raise DomainError(f"{branch.name} already has a slot named {name}.", field="name")
    return name


def _slot_snapshot(slot: RosterSlot) -> dict[str, object]:
    return {
        "name": slot.name,
        "hours": slot.hours_label,
        "days": slot.days,
        "coverage_target": slot.coverage_target,
        "coverage_role": slot.coverage_role.name if slot.coverage_role else None,
    }


def create_slot(session: Session, actor: Actor, branch: Branch, values: SlotValues) -> RosterSlot:
    """A new roster slot for the branch; names are unique per branch (whatever their case)."""
    if branch.merchant_id != actor.merchant_id:
        raise ValueError("branch of another merchant")
    slot = RosterSlot(
        merchant_id=branch.merchant_id,
        branch=branch,
        name=_check_values(session, branch, values),
        start_time=values.start_time,
        end_time=values.end_time,
        days=values.days,
        coverage_target=values.coverage_target,
        coverage_role=values.coverage_role,
    )
    session.add(slot)
    session.flush()
    record_audit(
        session,
        actor,
        "roster.slot_create",
        f"Added the {slot.name} slot ({slot.hours_label}) at {branch.name}",
        target=slot,
        branch_id=branch.id,
        after=_slot_snapshot(slot),
    )
    return slot


def add_usual_slots(session: Session, actor: Actor, branch: Branch) -> list[RosterSlot]:
    """Morning, Evening and Weekend, each unless the branch already has a slot of that name."""
    existing = {t.name.lower() for t in slots_of(session, branch)}
    return [
        create_slot(session, actor, branch, SlotValues(name, start, end, days))
        for name, start, end, days in PRESETS
        if name.lower() not in existing
    ]


def update_slot(session: Session, actor: Actor, slot: RosterSlot, values: SlotValues) -> None:
    """Change a slot; members rostered on it from today on get its new times (and hear of them when the
    week is published again). Refused, changing nothing, when one of those assignments would fall on a day the
    slot is no longer worked or overlap another assignment of the same member."""
    name = _check_values(session, slot.branch, values, slot.id)
    zone = zone_of(session, slot.merchant_id)
    upcoming = _upcoming(session, slot)
    moved = {a.id: local_interval(a.work_date, values.start_time, values.end_time, zone) for a in upcoming}
    _refuse_dropped_days(slot, values, upcoming)
    _refuse_overlaps(session, slot, values, upcoming, moved, zone)
    before = _slot_snapshot(slot)
    slot.name = name
    slot.start_time, slot.end_time, slot.days = values.start_time, values.end_time, values.days
    slot.coverage_target, slot.coverage_role = values.coverage_target, values.coverage_role
    for assignment in upcoming:
        starts_at, ends_at = moved[assignment.id]
        if (assignment.slot_name, assignment.starts_at, assignment.ends_at) != (name, starts_at, ends_at):
            assignment.slot_name, assignment.starts_at, assignment.ends_at = name, starts_at, ends_at
            mark_changed(assignment.week)
    session.flush()
    record_audit(
        session,
        actor,
        "roster.slot_update",
        f"Changed the {slot.name} slot at {slot.branch.name}",
        target=slot,
        branch_id=slot.branch_id,
        before=before,
        after=_slot_snapshot(slot),
    )


Interval = tuple[datetime, datetime]


def _refuse_dropped_days(slot: RosterSlot, values: SlotValues, upcoming: list[RosterAssignment]) -> None:
    """A member rostered on a day the slot would no longer be worked: `assign_member` would refuse it too."""
    for assignment in sorted(upcoming, key=lambda a: a.work_date):
        day = assignment.work_date
        if not values.days & (1 << day.weekday()):
            raise DomainError(
                f"{assignment.user.full_name} is rostered on {slot.name} on {day:%a %d %b}. Take them off "
                f"it before the slot stops being worked on {DAY_NAMES[day.weekday()]}s.",
                field="days",
            )


def _refuse_overlaps(
    session: Session,
    slot: RosterSlot,
    values: SlotValues,
    upcoming: list[RosterAssignment],
    moved: dict[int, Interval],
    zone: ZoneInfo,
) -> None:
    """The overlap check of `assign_member`, made again on every assignment the new times move; the first clash (the
    earliest moved assignment, against its earliest overlapping one) is named."""
    moving = sorted((a for a in upcoming if moved[a.id] != (a.starts_at, a.ends_at)), key=lambda a: moved[a.id])
    if not moving:
        return
    # Each member's assignments as they would be: the moved ones at their new times, all others as they are.
    theirs: dict[int, list[tuple[RosterAssignment, Interval]]] = {}
    for a in upcoming:
        theirs.setdefault(a.user_id, []).append((a, moved[a.id]))
    for other in _others_around(session, moving, moved):
        theirs.setdefault(other.user_id, []).append((other, (other.starts_at, other.ends_at)))
    for assignment in moving:
        starts_at, ends_at = moved[assignment.id]
        clashes = [(o, span) for o, span in theirs[assignment.user_id] if o is not assignment]
        for other, (other_starts, other_ends) in sorted(clashes, key=lambda c: c[1]):
            if other_starts < ends_at and other_ends > starts_at:
                raise DomainError(
                    f"At {values.start_time:%H:%M}–{values.end_time:%H:%M}, {assignment.user.full_name}'s "
                    f"{slot.name} on {assignment.work_date:%a %d %b} would overlap their "
                    f"{other.slot_name} at {other.branch.name} on {other.work_date:%a %d %b} "
                    f"({interval_label(other_starts, other_ends, zone)}). Take them off one of the two first, "
                    "or choose other times.",
                    field="start_time",
                )


def _others_around(
    session: Session, moving: list[RosterAssignment], moved: dict[int, Interval]
) -> list[RosterAssignment]:
    """In one query: the moving members' other assignments that may meet the moved ones' new times."""
    query = (
        select(RosterAssignment)
        .where(
            RosterAssignment.user_id.in_({a.user_id for a in moving}),
            RosterAssignment.id.not_in(list(moved)),
            RosterAssignment.starts_at < max(moved[a.id][1] for a in moving),
            RosterAssignment.ends_at > min(moved[a.id][0] for a in moving),
        )
        .options(joinedload(RosterAssignment.branch))
    )
    return list(session.scalars(query))


def _upcoming(session: Session, slot: RosterSlot) -> list[RosterAssignment]:
    today = local_today(session, slot.merchant_id)
    query = select(RosterAssignment).where(RosterAssignment.slot_id == slot.id, RosterAssignment.work_date >= today)
    return list(session.scalars(query.options(joinedload(RosterAssignment.week))))


def delete_slot(session: Session, actor: Actor, slot: RosterSlot) -> None:
    """Remove a slot nobody is rostered on from today on; past rosters keep its name and times."""
    if upcoming := _upcoming(session, slot):
        raise DomainError(
            f"{len(upcoming)} assignment{'s are' if len(upcoming) != 1 else ' is'} on {slot.name} "
            "from today on. Remove them from the roster first."
        )
    record_audit(
        session,
        actor,
        "roster.slot_delete",
        f"Removed the {slot.name} slot at {slot.branch.name}",
        target=slot,
        branch_id=slot.branch_id,
        before=_slot_snapshot(slot),
    )
    session.delete(slot)
    session.flush()
