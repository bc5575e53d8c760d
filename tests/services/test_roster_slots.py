"""Roster slots: the usual slots, bad values refused, and changing or removing a slot with upcoming assignments."""

from __future__ import annotations

from datetime import time, timedelta

import pytest
import sqlalchemy as sa

from ismartsync.errors import DomainError
from ismartsync.extensions import db
from ismartsync.models import AuditEntry
from ismartsync.models.roster import EVERY_DAY
from ismartsync.services import roster_publishing as publishing
from ismartsync.services import roster_slots, rosters
from ismartsync.services.roster_slots import SlotValues
from tests import factories
from tests.rostering import FRIDAY, MONDAY, SATURDAY, TUESDAY, karachi


def test_the_usual_slots_are_added_once_with_their_times_and_days(actor, branch, usual):
    assert [(t.name, t.hours_label, t.days_label) for t in rosters.slots_of(db.session, branch)] == [
        ("Morning", "10:00–16:00", "Every day"),
        ("Weekend", "10:00–22:00", "Sat, Sun"),
        ("Evening", "16:00–22:00", "Every day"),
    ]
    assert roster_slots.add_usual_slots(db.session, actor, branch) == []
    actions = db.session.scalars(sa.select(AuditEntry.action).where(AuditEntry.branch_id == branch.id)).all()
    assert actions.count("roster.slot_create") == 3


@pytest.mark.parametrize(
    "values, field, message",
    [
        (SlotValues("  ", time(10), time(16)), "name", "Give the slot a name"),
        (SlotValues("morning", time(9), time(15)), "name", "Gulberg already has a slot named morning."),
        (SlotValues("Split", time(10), time(10)), "end_time", "must end at another time"),
        (SlotValues("Never", time(10), time(16), days=0), "days", "Choose at least one day"),
        (SlotValues("Crowd", time(10), time(16), coverage_target=0), "coverage_target", "between 1 and 50"),
    ],
)
def test_a_bad_template_is_refused_beside_its_field(actor, branch, usual, values, field, message):
    with pytest.raises(DomainError, match=message) as refused:
        roster_slots.create_slot(db.session, actor, branch, values)
    assert refused.value.field == field


def test_the_same_name_is_fine_at_another_branch(actor, merchant, usual):
    dha = factories.BranchFactory(merchant=merchant, name="DHA", code="DHA")
    assert roster_slots.create_slot(db.session, actor, dha, SlotValues("Morning", time(9), time(15))).id


def test_new_slot_times_move_upcoming_assignments_and_mark_the_week_changed(actor, branch, usual, sana):
    morning = usual["Morning"]
    assignment = rosters.assign_member(db.session, actor, morning, TUESDAY, sana)
    publishing.publish_week(db.session, actor, branch, MONDAY)
    roster_slots.update_slot(db.session, actor, morning, SlotValues("Early", time(8), time(14)))
    assert (assignment.slot_name, assignment.starts_at) == ("Early", karachi(TUESDAY, 8))
    assert assignment.week.changed_since_publishing


def _as_they_are(*objects) -> list[tuple]:
    db.session.expire_all()
    return [
        (o.name, o.hours_label, o.days) if hasattr(o, "hours_label") else (o.slot_name, o.starts_at, o.ends_at)
        for o in objects
    ]


def test_new_times_that_would_double_book_a_member_are_refused_naming_the_first_clash(actor, branch, usual, sana):
    morning, evening = usual["Morning"], usual["Evening"]
    rostered = [
        rosters.assign_member(db.session, actor, slot, day, sana)
        for day in (FRIDAY, TUESDAY)
        for slot in (morning, evening)
    ]
    before = _as_they_are(morning, *rostered)

    with pytest.raises(DomainError) as refused:
        roster_slots.update_slot(db.session, actor, morning, SlotValues("Morning", time(10), time(18)))

    assert refused.value.field == "start_time"
    assert refused.value.message == (
        f"At 10:00–18:00, Sana Iqbal's Morning on {TUESDAY:%a %d %b} would overlap their Evening at Gulberg "
        f"on {TUESDAY:%a %d %b} (16:00–22:00). Take them off one of the two first, or choose other times."
    )
    assert _as_they_are(morning, *rostered) == before
    actions = db.session.scalars(sa.select(AuditEntry.action)).all()
    assert "roster.slot_update" not in actions
    # Earlier, still back to back with the evening: allowed, and the assignments move.
    roster_slots.update_slot(db.session, actor, morning, SlotValues("Morning", time(9), time(16)))
    assert rostered[2].starts_at == karachi(TUESDAY, 9)


def test_new_times_overlapping_an_assignment_at_another_branch_or_a_night_before_are_refused(
    actor, merchant, branch, usual, night, sana
):
    dha = factories.BranchFactory(merchant=merchant, name="DHA", code="DHA")
    sana.branches.append(dha)
    dha_late = roster_slots.create_slot(db.session, actor, dha, SlotValues("Late", time(18), time(23)))
    rosters.assign_member(db.session, actor, usual["Morning"], FRIDAY, sana)
    rosters.assign_member(db.session, actor, dha_late, FRIDAY, sana)
    with pytest.raises(DomainError, match=r"would overlap their Late at DHA on .* \(18:00–23:00\)"):
        roster_slots.update_slot(
            db.session, actor, usual["Morning"], SlotValues("Morning", time(12), time(20))
        )
    # Thursday's Night ending at 11:00 would run into Friday's morning one: an overlap across midnight.
    rosters.assign_member(db.session, actor, night, FRIDAY - timedelta(days=1), sana)  # Thu 22:00 to Fri 06:00
    with pytest.raises(DomainError, match=r"Night on .* would overlap their Morning at Gulberg"):
        roster_slots.update_slot(db.session, actor, night, SlotValues("Night", time(22), time(11)))
    assert _as_they_are(night) == [("Night", "22:00–06:00", EVERY_DAY)]


def test_a_day_a_member_is_rostered_on_cannot_be_dropped_from_the_template(actor, usual, sana):
    weekend = usual["Weekend"]
    rosters.assign_member(db.session, actor, weekend, SATURDAY, sana)
    sunday_only = SlotValues("Weekend", time(10), time(22), days=0b1000000)
    with pytest.raises(DomainError) as refused:
        roster_slots.update_slot(db.session, actor, weekend, sunday_only)
    assert refused.value.field == "days"
    assert refused.value.message == (
        f"Sana Iqbal is rostered on Weekend on {SATURDAY:%a %d %b}. Take them off it before the slot stops being "
        "worked on Saturdays."
    )
    assert _as_they_are(weekend) == [("Weekend", "10:00–22:00", 0b1100000)]


def test_a_slot_with_upcoming_assignments_cannot_be_removed(actor, branch, usual, sana):
    rosters.assign_member(db.session, actor, usual["Morning"], TUESDAY, sana)
    with pytest.raises(DomainError, match="1 assignment is on Morning from today on"):
        roster_slots.delete_slot(db.session, actor, usual["Morning"])
    roster_slots.delete_slot(db.session, actor, usual["Evening"])
    assert [t.name for t in rosters.slots_of(db.session, branch)] == ["Morning", "Weekend"]
