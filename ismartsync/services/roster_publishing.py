"""Rosters as members hear of them: publishing a branch's week (emails to the members whose assignments changed),
who is on now, and assignments as calendar events."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from ismartsync.documents.ics import Event
from ismartsync.errors import DomainError
from ismartsync.models import Branch, Register, RosterAssignment, RosterWeek, Shift, ShiftStatus, User
from ismartsync.models.base import utcnow
from ismartsync.services.audit import Actor, record_audit
from ismartsync.services.email import queue_email
from ismartsync.services.rosters import assignments_of, hours_label, local_today, week_of, week_start, zone_of

CALENDAR_WEEKS = 8


def _told(assignments: Sequence[RosterAssignment], zone: ZoneInfo) -> dict[str, list[str]]:
    """Each member's assignments of the week as the email lists them."""
    lines: dict[str, list[str]] = {}
    for a in sorted(assignments, key=lambda a: a.starts_at):
        lines.setdefault(str(a.user_id), []).append(f"{a.work_date:%a %d %b}: {a.slot_name}, {hours_label(a, zone)}")
    return lines


@dataclass(frozen=True)
class PublishResult:
    notified: list[User]
    unchanged: bool  # already published and nothing changed since: nobody was emailed again


def publish_week(session: Session, actor: Actor, branch: Branch, monday: date, calendar_url: str = "") -> PublishResult:
    """Publish the week and email each member whose assignments differ from what they were last told (all of them the
    first time; a member taken off the week entirely hears that too). The week's row is locked, so a double
    submit sends one set of emails."""
    query = select(RosterWeek).where(RosterWeek.branch_id == branch.id, RosterWeek.week_start == monday)
    week = session.scalar(query.with_for_update())
    if week is not None and week.published_at is not None and week.changed_at is None:
        return PublishResult([], unchanged=True)
    assignments = assignments_of(session, week) if week else []
    if week is None or (not assignments and week.published_at is None):
        raise DomainError("Nobody is rostered this week yet, so there is nothing to publish.")
    zone = zone_of(session, branch.merchant_id)
    now_told, before = _told(assignments, zone), week.published_assignments or {}
    changed = sorted(uid for uid in set(now_told) | set(before) if now_told.get(uid, []) != before.get(uid, []))
    notified = []
    for uid in changed:
        user = session.get(User, int(uid))
        if user is None or not user.active:
            continue
        _email_member(session, actor, user, branch, monday, now_told.get(uid, []), bool(before), calendar_url)
        notified.append(user)
    for assignment in assignments:
        assignment.published = True
    first = week.published_at is None
    week.published_at, week.published_by_id, week.changed_at = utcnow(), actor.user.id, None
    week.published_assignments = now_told
    session.flush()
    record_audit(
        session,
        actor,
        "roster.publish",
        f"{'Published' if first else 'Published the changes to'} the week of {monday:%d %b %Y} at {branch.name}; "
        f"{len(notified)} member{'s' if len(notified) != 1 else ''} emailed",
        target=week,
        branch_id=branch.id,
        after={"week": monday.isoformat(), "emailed": [u.id for u in notified], "assignments": len(assignments)},
    )
    return PublishResult(notified, unchanged=False)


def _email_member(
    session: Session,
    actor: Actor,
    user: User,
    branch: Branch,
    monday: date,
    assignments: list[str],
    changed: bool,
    calendar_url: str,
) -> None:
    subject = f"{'Changed: your' if changed else 'Your'} roster at {branch.name}, week of {monday:%d %b}"
    queue_email(
        session,
        user.email,
        subject,
        "roster_published",
        branch.merchant_id,
        user=user,
        branch=branch,
        monday=monday,
        assignments=assignments,
        changed=changed,
        publisher=actor.user,
        calendar_url=calendar_url,
    )


# Who's on now, and calendars


@dataclass(frozen=True)
class OnNow:
    assignment: RosterAssignment
    till: Shift | None  # the member's open cash shift, wherever it is

    @property
    def user(self) -> User:
        return self.assignment.user


def on_now(session: Session, branch: Branch, now: datetime | None = None) -> list[OnNow]:
    """The members whose published assignment at the branch covers `now`, each with their open cash shift if any: two
    queries however many are on, with what the list shows (role, the till's counter) loaded."""
    now = now or utcnow()
    query = (
        select(RosterAssignment)
        .join(RosterAssignment.user)
        .where(
            RosterAssignment.branch_id == branch.id,
            RosterAssignment.published.is_(True),
            RosterAssignment.starts_at <= now,
            RosterAssignment.ends_at > now,
            User.active.is_(True),
        )
        .options(joinedload(RosterAssignment.user).joinedload(User.role))
        .order_by(User.full_name, RosterAssignment.starts_at)
    )
    assignments = list(session.scalars(query))
    tills = _open_tills(session, {a.user_id for a in assignments}) if assignments else {}
    return [OnNow(a, tills.get(a.user_id)) for a in assignments]


def _open_tills(session: Session, user_ids: set[int]) -> dict[int, Shift]:
    """Each member's open cash shift, wherever it is (one at most: the database allows no second)."""
    query = (
        select(Shift)
        .where(Shift.user_id.in_(user_ids), Shift.status == ShiftStatus.OPEN)
        .options(joinedload(Shift.register).joinedload(Register.counter))
    )
    return {shift.user_id: shift for shift in session.scalars(query)}


def week_assignments(session: Session, branch: Branch, monday: date) -> list[RosterAssignment]:
    week = week_of(session, branch, monday)
    return assignments_of(session, week) if week else []


def upcoming_of(session: Session, user: User, now: datetime | None = None) -> list[RosterAssignment]:
    """A member's published assignments from this week's Monday to eight weeks on."""
    monday = week_start(local_today(session, user.merchant_id, now))
    query = (
        select(RosterAssignment)
        .where(
            RosterAssignment.user_id == user.id,
            RosterAssignment.published.is_(True),
            RosterAssignment.work_date >= monday,
            RosterAssignment.work_date < monday + timedelta(weeks=CALENDAR_WEEKS),
        )
        .options(joinedload(RosterAssignment.branch))
        .order_by(RosterAssignment.starts_at)
    )
    return list(session.scalars(query))


def calendar_events(assignments: Sequence[RosterAssignment], *, with_names: bool) -> list[Event]:
    """One event per assignment, its UID fixed by the assignment, so a re-import updates instead of doubling."""
    return [
        Event(
            uid=f"roster-assignment-{a.id}@ismartsync",
            starts_at=a.starts_at,
            ends_at=a.ends_at,
            summary=f"{a.slot_name}: {a.user.full_name}" if with_names else f"{a.slot_name}, {a.branch.name}",
            location=", ".join(p for p in (a.branch.name, a.branch.address) if p),
            description=f"Rostered at {a.branch.name}" + ("" if a.published else " (not published yet)"),
        )
        for a in assignments
    ]
