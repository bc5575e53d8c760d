"""Staff rosters: templates, overnight shifts, overlaps, copying a week, publishing (emails), who's on now, ICS."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
import sqlalchemy as sa

from ismartsync.documents import ics
from ismartsync.errors import DomainError
from ismartsync.extensions import db
from ismartsync.models import AuditEntry, Branch, OutgoingEmail, RosterAssignment
from ismartsync.models.roster import EVERY_DAY
from ismartsync.services import roster_publishing as publishing
from ismartsync.services import roster_templates, rosters
from ismartsync.services.audit import Actor
from ismartsync.services.roster_templates import TemplateValues
from tests import factories
from tests.selling import open_till

# A week in the future, so "from today on" always includes it.
MONDAY = rosters.week_start(date.today()) + timedelta(weeks=2)
TUESDAY, FRIDAY, SATURDAY = (MONDAY + timedelta(days=n) for n in (1, 4, 5))


@pytest.fixture
def actor(manager):
    return Actor(manager)


@pytest.fixture
def usual(actor, branch):
    """Morning 10–16, Evening 16–22 and Weekend 10–22 (Sat, Sun) at Gulberg."""
    return {t.name: t for t in roster_templates.add_usual_templates(db.session, actor, branch)}


@pytest.fixture
def night(actor, branch):
    return roster_templates.create_template(db.session, actor, branch, TemplateValues("Night", time(22), time(6)))


@pytest.fixture
def sana(cashier):
    return cashier


@pytest.fixture
def omar(merchant, roles, branch):
    return factories.UserFactory(merchant=merchant, role=roles["Cashier"], branches=[branch], full_name="Omar Farooq")


def _emails_to(user) -> list[OutgoingEmail]:
    return list(db.session.scalars(sa.select(OutgoingEmail).where(OutgoingEmail.to_address == user.email)))


def _utc(day: date, hour: int, minute: int = 0) -> datetime:
    """A Karachi wall-clock time (UTC+5, no daylight saving) as UTC."""
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC) - timedelta(hours=5)


# Templates


def test_the_usual_shifts_are_added_once_with_their_times_and_days(actor, branch, usual):
    assert [(t.name, t.hours_label, t.days_label) for t in rosters.templates_of(db.session, branch)] == [
        ("Morning", "10:00–16:00", "Every day"),
        ("Weekend", "10:00–22:00", "Sat, Sun"),
        ("Evening", "16:00–22:00", "Every day"),
    ]
    assert roster_templates.add_usual_templates(db.session, actor, branch) == []
    actions = db.session.scalars(sa.select(AuditEntry.action).where(AuditEntry.branch_id == branch.id)).all()
    assert actions.count("roster.template_create") == 3


@pytest.mark.parametrize(
    "values, field, message",
    [
        (TemplateValues("  ", time(10), time(16)), "name", "Give the shift a name"),
        (TemplateValues("morning", time(9), time(15)), "name", "Gulberg already has a shift named morning."),
        (TemplateValues("Split", time(10), time(10)), "end_time", "must end at another time"),
        (TemplateValues("Never", time(10), time(16), days=0), "days", "Choose at least one day"),
        (TemplateValues("Crowd", time(10), time(16), coverage_target=0), "coverage_target", "between 1 and 50"),
    ],
)
def test_a_bad_template_is_refused_beside_its_field(actor, branch, usual, values, field, message):
    with pytest.raises(DomainError, match=message) as refused:
        roster_templates.create_template(db.session, actor, branch, values)
    assert refused.value.field == field


def test_the_same_name_is_fine_at_another_branch(actor, merchant, usual):
    dha = factories.BranchFactory(merchant=merchant, name="DHA", code="DHA")
    assert roster_templates.create_template(db.session, actor, dha, TemplateValues("Morning", time(9), time(15))).id


# Assigning


def test_an_overnight_shift_ends_the_next_morning(actor, night, sana):
    assignment = rosters.assign_member(db.session, actor, night, FRIDAY, sana)
    assert night.overnight
    assert assignment.starts_at == _utc(FRIDAY, 22)
    assert assignment.ends_at == _utc(SATURDAY, 6)
    assert assignment.week.week_start == MONDAY


def test_a_member_on_overlapping_shifts_is_refused_with_the_clash_named(actor, usual, night, sana):
    rosters.assign_member(db.session, actor, usual["Weekend"], SATURDAY, sana)
    with pytest.raises(DomainError) as refused:
        rosters.assign_member(db.session, actor, usual["Morning"], SATURDAY, sana)
    assert refused.value.field == "user_id"
    assert refused.value.message == (
        f"Sana Iqbal is already on Weekend at Gulberg on {SATURDAY:%a %d %b} (10:00–22:00), which overlaps Morning."
    )
    # Friday's night shift runs into Saturday's early one: an overlap across midnight.
    dawn = roster_templates.create_template(db.session, actor, night.branch, TemplateValues("Dawn", time(5), time(9)))
    rosters.assign_member(db.session, actor, dawn, SATURDAY, sana)
    with pytest.raises(DomainError, match=r"already on Dawn at Gulberg on .* \(05:00–09:00\), which overlaps Night"):
        rosters.assign_member(db.session, actor, night, FRIDAY, sana)


def test_back_to_back_shifts_do_not_overlap(actor, usual, sana):
    rosters.assign_member(db.session, actor, usual["Morning"], TUESDAY, sana)
    assert rosters.assign_member(db.session, actor, usual["Evening"], TUESDAY, sana).id
    rosters.assign_member(db.session, actor, usual["Evening"], FRIDAY, sana)  # the other way round
    assert rosters.assign_member(db.session, actor, usual["Morning"], FRIDAY, sana).id


def test_an_overlap_at_another_branch_is_refused_too(actor, merchant, usual, manager):
    dha = factories.BranchFactory(merchant=merchant, name="DHA", code="DHA")
    dha_morning = roster_templates.create_template(db.session, actor, dha, TemplateValues("Morning", time(9), time(15)))
    rosters.assign_member(db.session, actor, usual["Morning"], TUESDAY, manager)
    with pytest.raises(DomainError, match="already on Morning at Gulberg"):
        rosters.assign_member(db.session, actor, dha_morning, TUESDAY, manager)


def test_the_same_member_twice_on_a_shift_is_refused(actor, usual, sana):
    rosters.assign_member(db.session, actor, usual["Morning"], TUESDAY, sana)
    with pytest.raises(DomainError, match=r"Sana Iqbal is already on this shift\."):
        rosters.assign_member(db.session, actor, usual["Morning"], TUESDAY, sana)


def test_only_active_members_of_the_branch_are_rostered(actor, merchant, roles, usual, sana):
    elsewhere = factories.BranchFactory(merchant=merchant, name="DHA", code="DHA")
    stranger = factories.UserFactory(merchant=merchant, role=roles["Cashier"], branches=[elsewhere], full_name="Zed")
    former = factories.UserFactory(merchant=merchant, role=roles["Cashier"], branches=[usual["Morning"].branch])
    former.active = False
    for member in (stranger, former):
        with pytest.raises(DomainError, match="does not work at Gulberg"):
            rosters.assign_member(db.session, actor, usual["Morning"], TUESDAY, member)
    with pytest.raises(DomainError, match="Weekend is not worked on Tuesdays"):
        rosters.assign_member(db.session, actor, usual["Weekend"], TUESDAY, sana)
    names = [m.full_name for m in rosters.members_for(db.session, usual["Morning"].branch)]
    assert "Sana Iqbal" in names and "Bilal Ahmed" in names and "Zed" not in names


def test_coverage_below_target_counts_only_the_role_named(actor, usual, roles, sana, manager):
    morning = usual["Morning"]
    values = TemplateValues("Morning", time(10), time(16), coverage_target=2, coverage_role=roles["Cashier"])
    roster_templates.update_template(db.session, actor, morning, values)
    rosters.assign_member(db.session, actor, morning, TUESDAY, sana)
    rosters.assign_member(db.session, actor, morning, TUESDAY, manager)
    cell = rosters.week_roster(db.session, morning.branch, MONDAY).cell(morning, TUESDAY)
    assert [a.user.full_name for a in cell.assignments] == ["Bilal Ahmed", "Sana Iqbal"]
    assert (cell.covered, cell.short) == (1, True)


def test_copy_last_week_copies_and_skips_what_is_there(actor, branch, usual, sana, omar):
    last_monday = MONDAY - timedelta(weeks=1)
    rosters.assign_member(db.session, actor, usual["Morning"], last_monday, sana)
    rosters.assign_member(db.session, actor, usual["Evening"], last_monday + timedelta(days=1), omar)
    rosters.assign_member(db.session, actor, usual["Morning"], MONDAY, sana)  # already there
    omar.active = False  # left since: not copied

    result = rosters.copy_previous_week(db.session, actor, branch, MONDAY)

    assert (result.copied, result.already_there) == (0, 1)
    assert result.skipped == ["Omar Farooq does not work at Gulberg."]
    omar.active = True
    result = rosters.copy_previous_week(db.session, actor, branch, MONDAY)
    assert (result.copied, result.already_there, result.skipped) == (1, 1, [])
    copied = publishing.week_assignments(db.session, branch, MONDAY)
    assert [(a.user.full_name, a.shift_name, a.work_date) for a in copied] == [
        ("Sana Iqbal", "Morning", MONDAY),
        ("Omar Farooq", "Evening", TUESDAY),
    ]
    with pytest.raises(DomainError, match="Nobody was rostered last week"):
        rosters.copy_previous_week(db.session, actor, branch, MONDAY + timedelta(weeks=5))


# Publishing


def test_publish_emails_every_member_then_only_those_whose_shifts_changed(actor, branch, usual, sana, omar):
    rosters.assign_member(db.session, actor, usual["Morning"], MONDAY, sana)
    rosters.assign_member(db.session, actor, usual["Evening"], TUESDAY, omar)
    with pytest.raises(DomainError, match="nothing to publish"):
        publishing.publish_week(db.session, actor, branch, MONDAY + timedelta(weeks=1))

    first = publishing.publish_week(db.session, actor, branch, MONDAY, "http://localhost/rosters/me.ics")

    assert sorted(u.full_name for u in first.notified) == ["Omar Farooq", "Sana Iqbal"]
    [email] = _emails_to(sana)
    assert email.subject == f"Your shifts at Gulberg, week of {MONDAY:%d %b}"
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
    assert len(_emails_to(omar)) == 1
    changed = _emails_to(sana)[-1]
    assert changed.subject.startswith("Changed: your shifts at Gulberg")
    assert f"{FRIDAY:%a %d %b}: Evening, 16:00–22:00" in changed.body_text
    assert not week.changed_since_publishing


def test_a_member_taken_off_a_published_week_is_told(actor, branch, usual, sana, omar):
    rosters.assign_member(db.session, actor, usual["Morning"], MONDAY, sana)
    taken_off = rosters.assign_member(db.session, actor, usual["Morning"], MONDAY, omar)
    publishing.publish_week(db.session, actor, branch, MONDAY)
    rosters.unassign_member(db.session, actor, taken_off)

    result = publishing.publish_week(db.session, actor, branch, MONDAY)

    assert [u.full_name for u in result.notified] == ["Omar Farooq"]
    assert "You are no longer rostered at Gulberg" in _emails_to(omar)[-1].body_text
    actions = db.session.scalars(sa.select(AuditEntry.action).where(AuditEntry.action.like("roster.%"))).all()
    assert {"roster.assign", "roster.unassign", "roster.publish"} <= set(actions)


# Who's on now


def test_who_is_on_now_at_a_fixed_time_includes_an_overnight_shift_and_open_tills(
    actor, branch, counter, usual, night, sana, omar, manager
):
    rosters.assign_member(db.session, actor, night, FRIDAY, sana)  # Fri 22:00 to Sat 06:00
    rosters.assign_member(db.session, actor, usual["Weekend"], SATURDAY, omar)  # Sat 10:00 to 22:00
    publishing.publish_week(db.session, actor, branch, MONDAY)
    open_till(manager, sana, counter)

    at_two = publishing.on_now(db.session, branch, _utc(SATURDAY, 2))
    assert [(o.user.full_name, o.assignment.shift_name, o.till is not None) for o in at_two] == [
        ("Sana Iqbal", "Night", True)
    ]
    at_noon = publishing.on_now(db.session, branch, _utc(SATURDAY, 12))
    assert [(o.user.full_name, o.till) for o in at_noon] == [("Omar Farooq", None)]
    assert publishing.on_now(db.session, branch, _utc(SATURDAY, 6)) == []  # the night shift has ended at 06:00


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
    statements: list[str] = []

    def record(conn, cursor, statement, *args):  # type: ignore[no-untyped-def]
        statements.append(statement)

    engine = db.session.get_bind()
    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        shown = [
            (o.user.full_name, o.user.role.name, o.till.register.counter.name if o.till else None)
            for o in publishing.on_now(db.session, gulberg, _utc(TUESDAY, 11))
        ]
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)

    assert shown == [
        ("Bilal Ahmed", "Manager", None),
        ("Omar Farooq", "Cashier", "Counter 2"),
        ("Sana Iqbal", "Cashier", "Counter 1"),
    ]
    # The shifts on now with their members and roles (a role brings its grants in one more), the open tills with
    # their counters: the same three for one member or thirty.
    assert len(statements) == 3 and sum("FROM shifts" in s for s in statements) == 1


def test_a_shift_not_yet_published_is_not_on_now(actor, branch, usual, sana, omar):
    rosters.assign_member(db.session, actor, usual["Morning"], TUESDAY, sana)
    publishing.publish_week(db.session, actor, branch, MONDAY)
    rosters.assign_member(db.session, actor, usual["Morning"], TUESDAY, omar)
    assert [o.user.full_name for o in publishing.on_now(db.session, branch, _utc(TUESDAY, 11))] == ["Sana Iqbal"]


# Changing templates


def test_new_template_times_move_upcoming_shifts_and_mark_the_week_changed(actor, branch, usual, sana):
    morning = usual["Morning"]
    assignment = rosters.assign_member(db.session, actor, morning, TUESDAY, sana)
    publishing.publish_week(db.session, actor, branch, MONDAY)
    roster_templates.update_template(db.session, actor, morning, TemplateValues("Early", time(8), time(14)))
    assert (assignment.shift_name, assignment.starts_at) == ("Early", _utc(TUESDAY, 8))
    assert assignment.week.changed_since_publishing


def _as_they_are(*objects) -> list[tuple]:
    db.session.expire_all()
    return [
        (o.name, o.hours_label, o.days) if hasattr(o, "hours_label") else (o.shift_name, o.starts_at, o.ends_at)
        for o in objects
    ]


def test_new_times_that_would_double_book_a_member_are_refused_naming_the_first_clash(actor, branch, usual, sana):
    morning, evening = usual["Morning"], usual["Evening"]
    rostered = [
        rosters.assign_member(db.session, actor, shift, day, sana)
        for day in (FRIDAY, TUESDAY)
        for shift in (morning, evening)
    ]
    before = _as_they_are(morning, *rostered)

    with pytest.raises(DomainError) as refused:
        roster_templates.update_template(db.session, actor, morning, TemplateValues("Morning", time(10), time(18)))

    assert refused.value.field == "start_time"
    assert refused.value.message == (
        f"At 10:00–18:00, Sana Iqbal's Morning shift on {TUESDAY:%a %d %b} would overlap their Evening at Gulberg "
        f"on {TUESDAY:%a %d %b} (16:00–22:00). Take them off one of the two first, or choose other times."
    )
    assert _as_they_are(morning, *rostered) == before
    actions = db.session.scalars(sa.select(AuditEntry.action)).all()
    assert "roster.template_update" not in actions
    # Earlier, still back to back with the evening: allowed, and the shifts move.
    roster_templates.update_template(db.session, actor, morning, TemplateValues("Morning", time(9), time(16)))
    assert rostered[2].starts_at == _utc(TUESDAY, 9)


def test_new_times_overlapping_a_shift_at_another_branch_or_a_night_before_are_refused(
    actor, merchant, branch, usual, night, sana
):
    dha = factories.BranchFactory(merchant=merchant, name="DHA", code="DHA")
    sana.branches.append(dha)
    dha_late = roster_templates.create_template(db.session, actor, dha, TemplateValues("Late", time(18), time(23)))
    rosters.assign_member(db.session, actor, usual["Morning"], FRIDAY, sana)
    rosters.assign_member(db.session, actor, dha_late, FRIDAY, sana)
    with pytest.raises(DomainError, match=r"would overlap their Late at DHA on .* \(18:00–23:00\)"):
        roster_templates.update_template(
            db.session, actor, usual["Morning"], TemplateValues("Morning", time(12), time(20))
        )
    # Thursday's night shift ending at 11:00 would run into Friday's morning one: an overlap across midnight.
    rosters.assign_member(db.session, actor, night, FRIDAY - timedelta(days=1), sana)  # Thu 22:00 to Fri 06:00
    with pytest.raises(DomainError, match=r"Night shift on .* would overlap their Morning at Gulberg"):
        roster_templates.update_template(db.session, actor, night, TemplateValues("Night", time(22), time(11)))
    assert _as_they_are(night) == [("Night", "22:00–06:00", EVERY_DAY)]


def test_a_day_a_member_is_rostered_on_cannot_be_dropped_from_the_template(actor, usual, sana):
    weekend = usual["Weekend"]
    rosters.assign_member(db.session, actor, weekend, SATURDAY, sana)
    sunday_only = TemplateValues("Weekend", time(10), time(22), days=0b1000000)
    with pytest.raises(DomainError) as refused:
        roster_templates.update_template(db.session, actor, weekend, sunday_only)
    assert refused.value.field == "days"
    assert refused.value.message == (
        f"Sana Iqbal is rostered on Weekend on {SATURDAY:%a %d %b}. Take them off it before the shift stops being "
        "worked on Saturdays."
    )
    assert _as_they_are(weekend) == [("Weekend", "10:00–22:00", 0b1100000)]


def test_a_template_with_upcoming_shifts_cannot_be_removed(actor, branch, usual, sana):
    rosters.assign_member(db.session, actor, usual["Morning"], TUESDAY, sana)
    with pytest.raises(DomainError, match="1 member shift is rostered on Morning from today on"):
        roster_templates.delete_template(db.session, actor, usual["Morning"])
    roster_templates.delete_template(db.session, actor, usual["Evening"])
    assert [t.name for t in rosters.templates_of(db.session, branch)] == ["Morning", "Weekend"]


# Calendar files


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
    night = roster_templates.create_template(db.session, actor, branch, TemplateValues("Night", time(22), time(6)))
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
    assert event["SUMMARY"] == "Night shift\\, Mall\\; Gate 2\\, Lahore"
    assert event["LOCATION"].startswith("Mall\\; Gate 2\\, Lahore\\, Shop 14\\, Emporium Mall")
    assert event["LOCATION"].endswith("second floor")
    assert len(body.split("\r\n")) > len(lines) + 1, "the long location was folded"
    # The same assignment gives the same UID in a later export: a calendar updates it instead of doubling it.
    later = _events(_unfold(ics.calendar("Roster", publishing.calendar_events([assignment], with_names=True), stamp)))
    assert later[0]["UID"] == event["UID"]


def test_folding_never_cuts_a_character_in_two():
    line = "SUMMARY:" + "شفٹ" * 40
    folded = ics.fold(line)
    assert all(len(part.encode()) <= 75 for part in folded.split("\r\n"))
    assert folded.replace("\r\n ", "") == line
    assert ics.escape_text("a\\b;c,d\ne") == "a\\\\b\\;c\\,d\\ne"


def test_my_calendar_has_only_my_published_shifts_of_the_coming_weeks(actor, branch, usual, sana, omar):
    rosters.assign_member(db.session, actor, usual["Morning"], TUESDAY, sana)
    rosters.assign_member(db.session, actor, usual["Evening"], TUESDAY, omar)
    publishing.publish_week(db.session, actor, branch, MONDAY)
    rosters.assign_member(db.session, actor, usual["Evening"], FRIDAY, sana)  # not published yet
    far = MONDAY + timedelta(weeks=publishing.CALENDAR_WEEKS)
    rosters.assign_member(db.session, actor, usual["Morning"], far, sana)
    publishing.publish_week(db.session, actor, branch, far)

    mine = publishing.upcoming_of(db.session, sana)

    assert [(a.shift_name, a.work_date) for a in mine] == [("Morning", TUESDAY)]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(RosterAssignment)) == 4
