"""Publishing a week (emails to those whose assignments changed), who's on now, and the roster's calendar files."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
import sqlalchemy as sa

from ismartsync.documents import ics
from ismartsync.errors import DomainError
from ismartsync.extensions import db
from ismartsync.models import AuditEntry, Branch, RosterAssignment
from ismartsync.services import roster_publishing as publishing
from ismartsync.services import roster_slots, rosters
from ismartsync.services.roster_slots import SlotValues
from tests import factories
from tests.rostering import FRIDAY, MONDAY, SATURDAY, TUESDAY, emails_to, karachi
from tests.selling import open_till
from tests.sql import statements_sent


def test_publish_emails_every_member_then_only_those_whose_assignments_changed(actor, branch, usual, sana, omar):
    rosters.assign_member(db.session, actor, usual["Morning"], MONDAY, sana)
    rosters.assign_member(db.session, actor, usual["Evening"], TUESDAY, omar)
    with pytest.raises(DomainError, match="nothing to publish"):
        publishing.publish_week(db.session, actor, branch, MONDAY + timedelta(weeks=1))

    first = publishing.publish_week(db.session, actor, branch, MONDAY, "http://localhost/rosters/me.ics")

    assert sorted(u.full_name for u in first.notified) == ["Omar Farooq", "Sana Iqbal"]
    [email] = emails_to(sana)
    assert email.subject == f"Your roster at Gulberg, week of {MONDAY:%d %b}"
    assert f"{MONDAY:%a %d %b}: Morning, 10:00–16:00" in email.body_text
    assert "http://localhost/rosters/me.ics" in email.body_text
    week = rosters.week_of(db.session, branch, MONDAY)
    assert week.published_at is not None and not week.changed_since_publishing

    # A double submit: nothing changed, nobody emailed again.
    again = publishing.publish_week(db.session, actor, branch, MONDAY)
    assert again.unchanged and again.notified == []

    rosters.assign_member(db.session, actor, usual["Evening"], FRIDAY, sana)
    assert week.changed_since_publishing
    second = publishing.publish_week(db.session, actor, branch, MONDAY)

    assert [u.full_name for u in second.notified] == ["Sana Iqbal"]
    assert len(emails_to(omar)) == 1
    changed = emails_to(sana)[-1]
    assert changed.subject.startswith("Changed: your roster at Gulberg")
    assert f"{FRIDAY:%a %d %b}: Evening, 16:00–22:00" in changed.body_text
    assert not week.changed_since_publishing


def test_a_member_taken_off_a_published_week_is_told(actor, branch, usual, sana, omar):
    rosters.assign_member(db.session, actor, usual["Morning"], MONDAY, sana)
    taken_off = rosters.assign_member(db.session, actor, usual["Morning"], MONDAY, omar)
    publishing.publish_week(db.session, actor, branch, MONDAY)
    rosters.unassign_member(db.session, actor, taken_off)

    result = publishing.publish_week(db.session, actor, branch, MONDAY)

    assert [u.full_name for u in result.notified] == ["Omar Farooq"]
    assert "You are no longer rostered at Gulberg" in emails_to(omar)[-1].body_text
    actions = db.session.scalars(sa.select(AuditEntry.action).where(AuditEntry.action.like("roster.%"))).all()
    assert {"roster.assign", "roster.unassign", "roster.publish"} <= set(actions)


def test_who_is_on_now_at_a_fixed_time_includes_an_overnight_shift_and_open_tills(
    actor, branch, counter, usual, night, sana, omar, manager
):
    rosters.assign_member(db.session, actor, night, FRIDAY, sana)  # Fri 22:00 to Sat 06:00
    rosters.assign_member(db.session, actor, usual["Weekend"], SATURDAY, omar)  # Sat 10:00 to 22:00
    publishing.publish_week(db.session, actor, branch, MONDAY)
    open_till(manager, sana, counter)

    at_two = publishing.on_now(db.session, branch, karachi(SATURDAY, 2))
    assert [(o.user.full_name, o.assignment.slot_name, o.till is not None) for o in at_two] == [
        ("Sana Iqbal", "Night", True)
    ]
    at_noon = publishing.on_now(db.session, branch, karachi(SATURDAY, 12))
    assert [(o.user.full_name, o.till) for o in at_noon] == [("Omar Farooq", None)]
    assert publishing.on_now(db.session, branch, karachi(SATURDAY, 6)) == []  # the Night slot has ended at 06:00


def test_who_is_on_now_takes_the_same_few_queries_however_many_are_on(
    actor, branch, counter, usual, sana, omar, manager
):
    for member in (sana, omar, manager):
        rosters.assign_member(db.session, actor, usual["Morning"], TUESDAY, member)
    publishing.publish_week(db.session, actor, branch, MONDAY)
    open_till(manager, sana, counter)
    open_till(manager, omar, factories.CounterFactory(branch=branch, name="Counter 2"))
    branch_id = branch.id
    db.session.commit()
    db.session.expunge_all()
    gulberg = db.session.get(Branch, branch_id)
    with statements_sent() as statements:
        shown = [
            (o.user.full_name, o.user.role.name, o.till.register.counter.name if o.till else None)
            for o in publishing.on_now(db.session, gulberg, karachi(TUESDAY, 11))
        ]

    assert shown == [
        ("Bilal Ahmed", "Manager", None),
        ("Omar Farooq", "Cashier", "Counter 2"),
        ("Sana Iqbal", "Cashier", "Counter 1"),
    ]
    # The shifts on now with their members and roles (a role brings its grants in one more), the open tills with
    # their counters: the same three for one member or thirty.
    assert len(statements) == 3 and sum("FROM shifts" in s for s in statements) == 1


def test_an_assignment_not_yet_published_is_not_on_now(actor, branch, usual, sana, omar):
    rosters.assign_member(db.session, actor, usual["Morning"], TUESDAY, sana)
    publishing.publish_week(db.session, actor, branch, MONDAY)
    rosters.assign_member(db.session, actor, usual["Morning"], TUESDAY, omar)
    assert [o.user.full_name for o in publishing.on_now(db.session, branch, karachi(TUESDAY, 11))] == ["Sana Iqbal"]


def _unfold(body: str) -> list[str]:
    """The content lines of an iCalendar text, as a client reads it back (RFC 5545 §3.1)."""
    assert body.endswith("\r\n") and "\n" not in body.replace("\r\n", "")
    physical = body.split("\r\n")[:-1]
    assert all(len(line.encode()) <= 75 for line in physical), "a line is longer than 75 octets"
    lines: list[str] = []
    for line in physical:
        if line.startswith(" "):
            lines[-1] += line[1:]
        else:
            lines.append(line)
    return lines


def _events(lines: list[str]) -> list[dict[str, str]]:
    events, current = [], None
    for line in lines:
        if line == "BEGIN:VEVENT":
            current = {}
        elif line == "END:VEVENT":
            events.append(current)
            current = None
        elif current is not None:
            name, _, value = line.partition(":")
            current[name] = value
    return events


def test_the_calendar_reads_back_line_by_line(actor, merchant, roles, sana):
    branch = factories.BranchFactory(merchant=merchant, name="Mall; Gate 2, Lahore", code="MLL")
    branch.address = "Shop 14, Emporium Mall, Johar Town, Lahore — near the food court on the second floor"
    sana.branches.append(branch)
    night = roster_slots.create_slot(db.session, actor, branch, SlotValues("Night", time(22), time(6)))
    assignment = rosters.assign_member(db.session, actor, night, FRIDAY, sana)
    stamp = datetime(2026, 12, 4, 10, 30, tzinfo=UTC)

    body = ics.calendar("Roster", publishing.calendar_events([assignment], with_names=False), stamp)
    lines = _unfold(body)

    assert lines[:3] == ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//iSmartSync//Staff rosters//EN"]
    assert lines[-1] == "END:VCALENDAR"
    [event] = _events(lines)
    assert event["UID"] == f"roster-assignment-{assignment.id}@ismartsync"
    assert event["DTSTAMP"] == "20261204T103000Z"
    assert event["DTSTART"] == f"{FRIDAY:%Y%m%d}T170000Z"  # 22:00 in Karachi
    assert event["DTEND"] == f"{SATURDAY:%Y%m%d}T010000Z"  # 06:00 the next morning
    assert event["SUMMARY"] == "Night\\, Mall\\; Gate 2\\, Lahore"
    assert event["LOCATION"].startswith("Mall\\; Gate 2\\, Lahore\\, Shop 14\\, Emporium Mall")
    assert event["LOCATION"].endswith("second floor")
    assert len(body.split("\r\n")) > len(lines) + 1, "the long location was folded"
    # The same assignment gives the same UID in a later export: a calendar updates it instead of doubling it.
    later = _events(_unfold(ics.calendar("Roster", publishing.calendar_events([assignment], with_names=True), stamp)))
    assert later[0]["UID"] == event["UID"]


def test_my_calendar_has_only_my_published_assignments_of_the_coming_weeks(actor, branch, usual, sana, omar):
    rosters.assign_member(db.session, actor, usual["Morning"], TUESDAY, sana)
    rosters.assign_member(db.session, actor, usual["Evening"], TUESDAY, omar)
    publishing.publish_week(db.session, actor, branch, MONDAY)
    rosters.assign_member(db.session, actor, usual["Evening"], FRIDAY, sana)  # not published yet
    far = MONDAY + timedelta(weeks=publishing.CALENDAR_WEEKS)
    rosters.assign_member(db.session, actor, usual["Morning"], far, sana)
    publishing.publish_week(db.session, actor, branch, far)

    mine = publishing.upcoming_of(db.session, sana)

    assert [(a.slot_name, a.work_date) for a in mine] == [("Morning", TUESDAY)]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(RosterAssignment)) == 4
