"""Staff rosters: assigning members (overnight slots, overlaps, who may be rostered, coverage), copying a week."""

from __future__ import annotations

from datetime import time, timedelta

import pytest

from ismartsync.errors import DomainError
from ismartsync.extensions import db
from ismartsync.services import roster_publishing as publishing
from ismartsync.services import roster_slots, rosters
from ismartsync.services.roster_slots import SlotValues
from tests import factories
from tests.rostering import FRIDAY, MONDAY, SATURDAY, TUESDAY, karachi


def test_an_overnight_slot_ends_the_next_morning(actor, night, sana):
    assignment = rosters.assign_member(db.session, actor, night, FRIDAY, sana)
    assert night.overnight
    assert assignment.starts_at == karachi(FRIDAY, 22)
    assert assignment.ends_at == karachi(SATURDAY, 6)
    assert assignment.week.week_start == MONDAY


def test_a_member_on_overlapping_slots_is_refused_with_the_clash_named(actor, usual, night, sana):
    rosters.assign_member(db.session, actor, usual["Weekend"], SATURDAY, sana)
    with pytest.raises(DomainError) as refused:
        rosters.assign_member(db.session, actor, usual["Morning"], SATURDAY, sana)
    assert refused.value.field == "user_id"
    assert refused.value.message == (
        f"Sana Iqbal is already on Weekend at Gulberg on {SATURDAY:%a %d %b} (10:00–22:00), which overlaps Morning."
    )
    # Friday's Night runs into Saturday's early slot: an overlap across midnight.
    dawn = roster_slots.create_slot(db.session, actor, night.branch, SlotValues("Dawn", time(5), time(9)))
    rosters.assign_member(db.session, actor, dawn, SATURDAY, sana)
    with pytest.raises(DomainError, match=r"already on Dawn at Gulberg on .* \(05:00–09:00\), which overlaps Night"):
        rosters.assign_member(db.session, actor, night, FRIDAY, sana)


def test_back_to_back_slots_do_not_overlap(actor, usual, sana):
    rosters.assign_member(db.session, actor, usual["Morning"], TUESDAY, sana)
    assert rosters.assign_member(db.session, actor, usual["Evening"], TUESDAY, sana).id
    rosters.assign_member(db.session, actor, usual["Evening"], FRIDAY, sana)  # the other way round
    assert rosters.assign_member(db.session, actor, usual["Morning"], FRIDAY, sana).id


def test_an_overlap_at_another_branch_is_refused_too(actor, merchant, usual, manager):
    dha = factories.BranchFactory(merchant=merchant, name="DHA", code="DHA")
    dha_morning = roster_slots.create_slot(db.session, actor, dha, SlotValues("Morning", time(9), time(15)))
    rosters.assign_member(db.session, actor, usual["Morning"], TUESDAY, manager)
    with pytest.raises(DomainError, match="already on Morning at Gulberg"):
        rosters.assign_member(db.session, actor, dha_morning, TUESDAY, manager)


def test_the_same_member_twice_on_a_slot_is_refused(actor, usual, sana):
    rosters.assign_member(db.session, actor, usual["Morning"], TUESDAY, sana)
    with pytest.raises(DomainError, match=r"Sana Iqbal is already on this slot\."):
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
    values = SlotValues("Morning", time(10), time(16), coverage_target=2, coverage_role=roles["Cashier"])
    roster_slots.update_slot(db.session, actor, morning, values)
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
    assert [(a.user.full_name, a.slot_name, a.work_date) for a in copied] == [
        ("Sana Iqbal", "Morning", MONDAY),
        ("Omar Farooq", "Evening", TUESDAY),
    ]
    with pytest.raises(DomainError, match="Nobody was rostered last week"):
        rosters.copy_previous_week(db.session, actor, branch, MONDAY + timedelta(weeks=5))


