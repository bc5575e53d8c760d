"""A branch's shift templates: the usual shifts, adding, changing (which moves the shifts rostered on it from today
on, refused when a moved shift would clash) and removing them. The week itself is `services.rosters`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload

from ismartsync.errors import DomainError
from ismartsync.models import Branch, Role, RosterAssignment, ShiftTemplate
from ismartsync.models.roster import DAY_NAMES, EVERY_DAY, MAX_COVERAGE, WEEKEND
from ismartsync.services.audit import Actor, record_audit
from ismartsync.services.rosters import (
    interval_label,
    local_interval,
    local_today,
    mark_changed,
    templates_of,
    zone_of,
)

# "Add the usual shifts": the presets of the product (ismartsync-product.md §2.5).
PRESETS = (
    ("Morning", time(10), time(16), EVERY_DAY),
    ("Evening", time(16), time(22), EVERY_DAY),
    ("Weekend", time(10), time(22), WEEKEND),
)


@dataclass(frozen=True)
class TemplateValues:
    name: str
    start_time: time
    end_time: time
    days: int = EVERY_DAY
    coverage_target: int | None = None
    coverage_role: Role | None = None


def _check_values(session: Session, branch: Branch, values: TemplateValues, template_id: int | None = None) -> str:
    name = values.name.strip()
    if not name:
        raise DomainError("Give the shift a name.", field="name")
    if values.start_time == values.end_time:
        raise DomainError("The shift must end at another time than it starts.", field="end_time")
    if not 0 < values.days <= EVERY_DAY:
        raise DomainError("Choose at least one day.", field="days")
    if values.coverage_target is not None and not 1 <= values.coverage_target <= MAX_COVERAGE:
        raise DomainError(f"Want between 1 and {MAX_COVERAGE} members, or leave it empty.", field="coverage_target")
    taken = select(ShiftTemplate.id).where(
        ShiftTemplate.branch_id == branch.id, func.lower(ShiftTemplate.name) == name.lower()
    )
    if session.scalar(taken) not in (None, template_id):
        raise DomainError(f"{branch.name} already has a shift named {name}.", field="name")
    return name


def _template_snapshot(template: ShiftTemplate) -> dict[str, object]:
    return {
        "name": template.name,
        "hours": template.hours_label,
        "days": template.days,
        "coverage_target": template.coverage_target,
        "coverage_role": template.coverage_role.name if template.coverage_role else None,
    }


def create_template(session: Session, actor: Actor, branch: Branch, values: TemplateValues) -> ShiftTemplate:
    """A new shift template for the branch; names are unique per branch (whatever their case)."""
    if branch.merchant_id != actor.merchant_id:
        raise ValueError("branch of another merchant")
    template = ShiftTemplate(
        merchant_id=branch.merchant_id,
        branch=branch,
        name=_check_values(session, branch, values),
        start_time=values.start_time,
        end_time=values.end_time,
        days=values.days,
        coverage_target=values.coverage_target,
        coverage_role=values.coverage_role,
    )
    session.add(template)
    session.flush()
    record_audit(
        session,
        actor,
        "roster.template_create",
        f"Added the {template.name} shift ({template.hours_label}) at {branch.name}",
        target=template,
        branch_id=branch.id,
        after=_template_snapshot(template),
    )
    return template


def add_usual_templates(session: Session, actor: Actor, branch: Branch) -> list[ShiftTemplate]:
    """Morning, Evening and Weekend, each unless the branch already has a shift of that name."""
    existing = {t.name.lower() for t in templates_of(session, branch)}
    return [
        create_template(session, actor, branch, TemplateValues(name, start, end, days))
        for name, start, end, days in PRESETS
        if name.lower() not in existing
    ]


def update_template(session: Session, actor: Actor, template: ShiftTemplate, values: TemplateValues) -> None:
    """Change a template; members rostered on it from today on get its new times (and hear of them when the
    week is published again). Refused, changing nothing, when one of those shifts would fall on a day the
    template is no longer worked or overlap another shift of the same member."""
    name = _check_values(session, template.branch, values, template.id)
    zone = zone_of(session, template.merchant_id)
    upcoming = _upcoming(session, template)
    moved = {a.id: local_interval(a.work_date, values.start_time, values.end_time, zone) for a in upcoming}
    _refuse_dropped_days(template, values, upcoming)
    _refuse_overlaps(session, template, values, upcoming, moved, zone)
    before = _template_snapshot(template)
    template.name = name
    template.start_time, template.end_time, template.days = values.start_time, values.end_time, values.days
    template.coverage_target, template.coverage_role = values.coverage_target, values.coverage_role
    for assignment in upcoming:
        starts_at, ends_at = moved[assignment.id]
        if (assignment.shift_name, assignment.starts_at, assignment.ends_at) != (name, starts_at, ends_at):
            assignment.shift_name, assignment.starts_at, assignment.ends_at = name, starts_at, ends_at
            mark_changed(assignment.week)
    session.flush()
    record_audit(
        session,
        actor,
        "roster.template_update",
        f"Changed the {template.name} shift at {template.branch.name}",
        target=template,
        branch_id=template.branch_id,
        before=before,
        after=_template_snapshot(template),
    )


Interval = tuple[datetime, datetime]


def _refuse_dropped_days(template: ShiftTemplate, values: TemplateValues, upcoming: list[RosterAssignment]) -> None:
    """A member rostered on a day the shift would no longer be worked: `assign_member` would refuse it too."""
    for assignment in sorted(upcoming, key=lambda a: a.work_date):
        day = assignment.work_date
        if not values.days & (1 << day.weekday()):
            raise DomainError(
                f"{assignment.user.full_name} is rostered on {template.name} on {day:%a %d %b}. Take them off "
                f"it before the shift stops being worked on {DAY_NAMES[day.weekday()]}s.",
                field="days",
            )


def _refuse_overlaps(
    session: Session,
    template: ShiftTemplate,
    values: TemplateValues,
    upcoming: list[RosterAssignment],
    moved: dict[int, Interval],
    zone: ZoneInfo,
) -> None:
    """The overlap check of `assign_member`, made again on every shift the new times move; the first clash (the
    earliest moved shift, against its earliest overlapping shift) is named."""
    moving = sorted((a for a in upcoming if moved[a.id] != (a.starts_at, a.ends_at)), key=lambda a: moved[a.id])
    if not moving:
        return
    # Each member's shifts as they would be: the moved ones at their new times, all others as they are.
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
                    f"{template.name} shift on {assignment.work_date:%a %d %b} would overlap their "
                    f"{other.shift_name} at {other.branch.name} on {other.work_date:%a %d %b} "
                    f"({interval_label(other_starts, other_ends, zone)}). Take them off one of the two first, "
                    "or choose other times.",
                    field="start_time",
                )


def _others_around(
    session: Session, moving: list[RosterAssignment], moved: dict[int, Interval]
) -> list[RosterAssignment]:
    """In one query: the moving members' other shifts that may meet the moved ones' new times."""
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


def _upcoming(session: Session, template: ShiftTemplate) -> list[RosterAssignment]:
    today = local_today(session, template.merchant_id)
    query = select(RosterAssignment).where(
        RosterAssignment.template_id == template.id, RosterAssignment.work_date >= today
    )
    return list(session.scalars(query.options(joinedload(RosterAssignment.week))))


def delete_template(session: Session, actor: Actor, template: ShiftTemplate) -> None:
    """Remove a template nobody is rostered on from today on; past rosters keep its name and times."""
    if upcoming := _upcoming(session, template):
        raise DomainError(
            f"{len(upcoming)} member shift{'s are' if len(upcoming) != 1 else ' is'} rostered on {template.name} "
            "from today on. Remove them from the roster first."
        )
    record_audit(
        session,
        actor,
        "roster.template_delete",
        f"Removed the {template.name} shift at {template.branch.name}",
        target=template,
        branch_id=template.branch_id,
        before=_template_snapshot(template),
    )
    session.delete(template)
    session.flush()
