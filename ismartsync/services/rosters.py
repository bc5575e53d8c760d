"""Staff rosters: a branch's shift templates and who is rostered on each shift and day (publishing the week, who is
on now and calendars are `services.roster_publishing`).

Scheduling only: the cash drawer's shifts are `services.registers` and `services.cash`. An assignment keeps its
shift's times as UTC instants worked out from the branch-local times, so an overnight shift is one interval and
overlaps, "who's on now" and calendars need no arithmetic on local clocks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload

from ismartsync.errors import DomainError
from ismartsync.models import Branch, Merchant, Role, RosterAssignment, RosterWeek, ShiftTemplate, User
from ismartsync.models.base import utcnow
from ismartsync.models.roster import EVERY_DAY, WEEKEND
from ismartsync.models.staff import user_branches
from ismartsync.services.audit import Actor, record_audit

# "Add the usual shifts": the presets of the product (ismartsync-product.md §2.5).
PRESETS = (
    ("Morning", time(10), time(16), EVERY_DAY),
    ("Evening", time(16), time(22), EVERY_DAY),
    ("Weekend", time(10), time(22), WEEKEND),
)
DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MAX_COVERAGE = 50


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


def shift_times(template: ShiftTemplate, day: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The shift on `day` as UTC instants; it ends the next day when its end is not after its start."""
    starts = datetime.combine(day, template.start_time, tzinfo=zone)
    end_day = day + timedelta(days=1) if template.overnight else day
    return starts, datetime.combine(end_day, template.end_time, tzinfo=zone)


# Shift templates


@dataclass(frozen=True)
class TemplateValues:
    name: str
    start_time: time
    end_time: time
    days: int = EVERY_DAY
    coverage_target: int | None = None
    coverage_role: Role | None = None


def templates_of(session: Session, branch: Branch) -> list[ShiftTemplate]:
    query = select(ShiftTemplate).where(ShiftTemplate.branch_id == branch.id)
    return list(session.scalars(query.order_by(ShiftTemplate.start_time, ShiftTemplate.name)))


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
    week is published again)."""
    before = _template_snapshot(template)
    template.name = _check_values(session, template.branch, values, template.id)
    template.start_time, template.end_time, template.days = values.start_time, values.end_time, values.days
    template.coverage_target, template.coverage_role = values.coverage_target, values.coverage_role
    zone = zone_of(session, template.merchant_id)
    for assignment in _upcoming(session, template):
        starts_at, ends_at = shift_times(template, assignment.work_date, zone)
        if (assignment.shift_name, assignment.starts_at, assignment.ends_at) != (template.name, starts_at, ends_at):
            assignment.shift_name, assignment.starts_at, assignment.ends_at = template.name, starts_at, ends_at
            _mark_changed(assignment.week)
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


def _mark_changed(week: RosterWeek) -> None:
    if week.published_at is not None and week.changed_at is None:
        week.changed_at = utcnow()


def _overlapping(session: Session, user: User, starts_at: datetime, ends_at: datetime) -> RosterAssignment | None:
    query = select(RosterAssignment).where(
        RosterAssignment.user_id == user.id,
        RosterAssignment.starts_at < ends_at,
        RosterAssignment.ends_at > starts_at,
    )
    return session.scalar(query.order_by(RosterAssignment.starts_at).limit(1))


def _check_assignable(session: Session, template: ShiftTemplate, day: date, user: User) -> None:
    if user.merchant_id != template.merchant_id:
        raise ValueError("member of another merchant")
    if not user.active or user.id not in {m.id for m in members_for(session, template.branch)}:
        raise DomainError(f"{user.full_name} does not work at {template.branch.name}.", field="user_id")
    if not template.works_on(day):
        raise DomainError(f"{template.name} is not worked on {DAY_NAMES[day.weekday()]}s.", field="user_id")


def assign_member(session: Session, actor: Actor, template: ShiftTemplate, day: date, user: User) -> RosterAssignment:
    """Roster `user` on `template` on `day`; refused when they are already on a shift that overlaps it."""
    if template.merchant_id != actor.merchant_id:
        raise ValueError("template of another merchant")
    _check_assignable(session, template, day, user)
    starts_at, ends_at = shift_times(template, day, zone_of(session, template.merchant_id))
    if clash := _overlapping(session, user, starts_at, ends_at):
        same = clash.template_id == template.id and clash.work_date == day
        raise DomainError(
            f"{user.full_name} is already on this shift."
            if same
            else f"{user.full_name} is already on {clash.shift_name} at {clash.branch.name} on "
            f"{clash.work_date:%a %d %b} ({hours_label(clash, zone_of(session, template.merchant_id))}), "
            f"which overlaps {template.name}.",
            field="user_id",
        )
    week = week_of(session, template.branch, week_start(day), create=True)
    assert week is not None
    assignment = RosterAssignment(
        merchant_id=template.merchant_id,
        branch_id=template.branch_id,
        week=week,
        template=template,
        user=user,
        work_date=day,
        shift_name=template.name,
        starts_at=starts_at,
        ends_at=ends_at,
        created_by_id=actor.user.id,
    )
    try:
        with session.begin_nested():
            session.add(assignment)
            session.flush()
    except IntegrityError as exc:  # the same member added twice at the same moment
        raise DomainError(f"{user.full_name} is already on this shift.", field="user_id") from exc
    _mark_changed(week)
    record_audit(
        session,
        actor,
        "roster.assign",
        f"Rostered {user.full_name} on {template.name}, {day:%a %d %b %Y} at {template.branch.name}",
        target=assignment,
        branch_id=template.branch_id,
        after={"user_id": user.id, "shift": template.name, "date": day.isoformat()},
    )
    return assignment


def unassign_member(session: Session, actor: Actor, assignment: RosterAssignment) -> None:
    _mark_changed(assignment.week)
    record_audit(
        session,
        actor,
        "roster.unassign",
        f"Took {assignment.user.full_name} off {assignment.shift_name}, {assignment.work_date:%a %d %b %Y} "
        f"at {assignment.branch.name}",
        target=assignment,
        branch_id=assignment.branch_id,
        before={"user_id": assignment.user_id, "shift": assignment.shift_name, "date": str(assignment.work_date)},
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
    the branch, a removed shift, an overlap)."""
    source = week_of(session, branch, monday - timedelta(days=7))
    if source is None or not (previous := assignments_of(session, source)):
        raise DomainError("Nobody was rostered last week, so there is nothing to copy.")
    copied = already = 0
    skipped: list[str] = []
    for old in previous:
        day = old.work_date + timedelta(days=7)
        template = old.template
        if template is None:
            skipped.append(f"{old.user.full_name}: {old.shift_name} no longer exists")
            continue
        exists = select(RosterAssignment.id).where(
            RosterAssignment.template_id == template.id,
            RosterAssignment.work_date == day,
            RosterAssignment.user_id == old.user_id,
        )
        if session.scalar(exists) is not None:
            already += 1
            continue
        try:
            with session.begin_nested():
                assign_member(session, actor, template, day, old.user)
            copied += 1
        except DomainError as exc:
            skipped.append(exc.message)
    return CopyResult(copied, already, skipped)


def assignments_of(session: Session, week: RosterWeek) -> list[RosterAssignment]:
    query = (
        select(RosterAssignment)
        .where(RosterAssignment.week_id == week.id)
        .options(joinedload(RosterAssignment.user), joinedload(RosterAssignment.template))
        .order_by(RosterAssignment.starts_at, RosterAssignment.id)
    )
    return list(session.scalars(query))


@dataclass
class Cell:
    template: ShiftTemplate
    day: date
    assignments: list[RosterAssignment] = field(default_factory=list)

    @property
    def works(self) -> bool:
        return self.template.works_on(self.day)

    @property
    def covered(self) -> int:
        """The members that count towards the target (those of its role, when it names one)."""
        role_id = self.template.coverage_role_id
        return sum(1 for a in self.assignments if role_id is None or a.user.role_id == role_id)

    @property
    def short(self) -> bool:
        target = self.template.coverage_target
        return self.works and target is not None and self.covered < target


@dataclass
class WeekRoster:
    branch: Branch
    monday: date
    week: RosterWeek | None
    templates: list[ShiftTemplate]
    cells: dict[tuple[int, date], Cell]

    @property
    def days(self) -> list[date]:
        return week_days(self.monday)

    def cell(self, template: ShiftTemplate, day: date) -> Cell:
        return self.cells[(template.id, day)]

    @property
    def assigned(self) -> int:
        return sum(len(c.assignments) for c in self.cells.values())


def week_roster(session: Session, branch: Branch, monday: date) -> WeekRoster:
    """The week as its grid shows it: each template's row, each day's cell with who is rostered."""
    templates = templates_of(session, branch)
    cells = {(t.id, d): Cell(t, d) for t in templates for d in week_days(monday)}
    week = week_of(session, branch, monday)
    for assignment in assignments_of(session, week) if week else []:
        if (cell := cells.get((assignment.template_id or 0, assignment.work_date))) is not None:
            cell.assignments.append(assignment)
    for cell in cells.values():
        cell.assignments.sort(key=lambda a: a.user.full_name.lower())
    return WeekRoster(branch, monday, week, templates, cells)


def hours_label(assignment: RosterAssignment, zone: ZoneInfo) -> str:
    starts, ends = assignment.starts_at.astimezone(zone), assignment.ends_at.astimezone(zone)
    later = " next day" if ends.date() != starts.date() else ""
    return f"{starts:%H:%M}–{ends:%H:%M}{later}"
