"""The roster screens: the week grid (assign in place, refusals beside the field, copy, publish), roster slots,
who's on now (page and dashboard), the printable week and the calendar files, permissions and other ids."""

from __future__ import annotations

from datetime import date, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from ismartsync.extensions import db
from ismartsync.models import AuditEntry, OutgoingEmail, Role, RoleGrant, RosterAssignment, RosterSlot
from ismartsync.models.base import utcnow
from ismartsync.permissions import Permission
from ismartsync.services import roster_publishing as publishing
from ismartsync.services import roster_slots, rosters
from ismartsync.services.audit import Actor
from ismartsync.services.roster_slots import SlotValues
from tests import factories
from tests.markup import element, field_text, is_fragment, text, text_of

MONDAY = rosters.week_start(date.today()) + timedelta(weeks=2)
TUESDAY = MONDAY + timedelta(days=1)
WEEK = f"{MONDAY:%Y-%m-%d}"


@pytest.fixture
def usual(manager, branch):
    return {t.name: t for t in roster_slots.add_usual_slots(db.session, Actor(manager), branch)}


@pytest.fixture
def signed_in(browser, manager):
    browser.sign_in(manager)
    return browser


@pytest.fixture
def omar(merchant, roles, branch):
    return factories.UserFactory(merchant=merchant, role=roles["Cashier"], branches=[branch], full_name="Omar Farooq")


def _cell(slot: RosterSlot, day: date) -> str:
    return f"cell-{slot.id}-{day:%Y-%m-%d}"


def _assign(browser, branch, slot, day, user, htmx=False):
    data = {"slot_id": str(slot.id), "work_date": day.isoformat(), "user_id": str(user.id)}
    return browser.post(f"/rosters/{branch.id}/assignments", data, htmx=htmx)


def _assignments() -> list[tuple[str, str, date]]:
    db.session.expire_all()
    rows = db.session.scalars(sa.select(RosterAssignment).order_by(RosterAssignment.id))
    return [(a.user.full_name, a.slot_name, a.work_date) for a in rows]


def test_the_week_grid_has_the_branch_slots_as_rows_and_the_days_as_columns(signed_in, branch, usual, cashier):
    html = signed_in.get(f"/rosters/{branch.id}/{WEEK}").get_data(as_text=True)
    grid = text_of(html, "roster-grid")
    assert grid.startswith(f"Who works which slot, {MONDAY:%d %b}")
    for name, hours in (("Morning", "10:00–16:00"), ("Weekend", "10:00–22:00"), ("Evening", "16:00–22:00")):
        assert f"{name} {hours}" in grid
    assert f"Mon {MONDAY:%d %b}" in grid and f"Sun {MONDAY + timedelta(days=6):%d %b}" in grid
    assert "Sana Iqbal" in text_of(html, _cell(usual["Morning"], MONDAY))
    assert "Not worked" in text_of(html, _cell(usual["Weekend"], MONDAY))
    assert "Draft" in text_of(html, "roster-status")


def test_rosters_opens_this_week_at_the_members_branch(signed_in, branch, usual):
    html = signed_in.get("/rosters").get_data(as_text=True)
    this_monday = rosters.week_start(rosters.local_today(db.session, branch.merchant_id))
    assert f"Roster: {this_monday:%d %b}" in text_of(html, "main")
    assert "Gulberg · This week" in text(html)


def test_a_branch_without_slots_offers_to_set_them_up(signed_in, branch):
    html = signed_in.get(f"/rosters/{branch.id}/{WEEK}").get_data(as_text=True)
    assert "No slots at Gulberg yet" in text_of(html, "roster-empty")


def test_assigning_over_htmx_redraws_the_cell_and_the_week_status(signed_in, branch, usual, cashier):
    response = _assign(signed_in, branch, usual["Morning"], TUESDAY, cashier, htmx=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and is_fragment(html)
    assert "Sana Iqbal (new)" in text_of(html, _cell(usual["Morning"], TUESDAY))
    status = element(html, "roster-status")
    assert 'hx-swap-oob="true"' in status and "1 assignment." in text(status)
    assert _assignments() == [("Sana Iqbal", "Morning", TUESDAY)]
    entry = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "roster.assign")).one()
    assert entry.branch_id == branch.id


def test_assigning_without_javascript_returns_to_the_week(signed_in, branch, usual, cashier):
    response = _assign(signed_in, branch, usual["Morning"], TUESDAY, cashier)
    assert response.status_code == 303 and response.headers["Location"] == f"/rosters/{branch.id}/{WEEK}"
    html = signed_in.get(response.headers["Location"]).get_data(as_text=True)
    assert f"Sana Iqbal is on Morning, {TUESDAY:%a %d %b}." in text_of(html, "flashes")


def test_an_overlapping_assignment_is_refused_in_its_cell_with_422(signed_in, branch, usual, cashier, manager):
    rosters.assign_member(db.session, Actor(manager), usual["Weekend"], MONDAY + timedelta(days=5), cashier)
    saturday = MONDAY + timedelta(days=5)
    response = _assign(signed_in, branch, usual["Morning"], saturday, cashier, htmx=True)
    cell = text_of(response.get_data(as_text=True), _cell(usual["Morning"], saturday))
    assert response.status_code == 422
    assert "Sana Iqbal is already on Weekend at Gulberg" in cell and "which overlaps Morning" in cell
    # Without JavaScript: the week page again, the message in the same cell.
    response = _assign(signed_in, branch, usual["Morning"], saturday, cashier)
    assert response.status_code == 422
    assert "which overlaps Morning" in text_of(response.get_data(as_text=True), _cell(usual["Morning"], saturday))
    assert len(_assignments()) == 1


def test_adding_nobody_asks_to_choose_a_member(signed_in, branch, usual):
    data = {"slot_id": str(usual["Morning"].id), "work_date": TUESDAY.isoformat(), "user_id": "0"}
    response = signed_in.post(f"/rosters/{branch.id}/assignments", data, htmx=True)
    assert response.status_code == 422
    assert "Choose a member." in text_of(response.get_data(as_text=True), _cell(usual["Morning"], TUESDAY))


def test_taking_a_member_off_redraws_the_cell(signed_in, branch, usual, cashier, manager):
    assignment = rosters.assign_member(db.session, Actor(manager), usual["Morning"], TUESDAY, cashier)
    response = signed_in.post(f"/rosters/assignments/{assignment.id}/remove", htmx=True)
    cell = element(response.get_data(as_text=True), _cell(usual["Morning"], TUESDAY))
    assert response.status_code == 200 and "Take Sana Iqbal off" not in cell
    assert _assignments() == []
    assert db.session.scalar(sa.select(sa.func.count()).where(AuditEntry.action == "roster.unassign")) == 1


def test_publish_emails_the_members_once_and_then_only_the_changed(signed_in, branch, usual, cashier, omar, manager):
    rosters.assign_member(db.session, Actor(manager), usual["Morning"], TUESDAY, cashier)
    rosters.assign_member(db.session, Actor(manager), usual["Evening"], TUESDAY, omar)
    db.session.commit()

    first = signed_in.post(f"/rosters/{branch.id}/{WEEK}/publish", follow_redirects=True)
    assert "Published. 2 members were emailed their roster." in text_of(first.get_data(as_text=True), "flashes")
    double = signed_in.post(f"/rosters/{branch.id}/{WEEK}/publish", follow_redirects=True)  # a double tap
    html = double.get_data(as_text=True)
    assert "This week is already published and nothing has changed since." in text_of(html, "flashes")
    assert text_of(html, "roster-status").startswith("Week status Published")
    assert f'action="/rosters/{branch.id}/{WEEK}/publish"' not in element(html, "roster-status")
    sent = db.session.scalars(sa.select(OutgoingEmail.to_address)).all()
    assert sorted(sent) == sorted([cashier.email, omar.email])
    [to_sana] = db.session.scalars(sa.select(OutgoingEmail).where(OutgoingEmail.to_address == cashier.email))
    assert "http://localhost/rosters/me.ics" in to_sana.body_text

    _assign(signed_in, branch, usual["Evening"], MONDAY, cashier)
    html = signed_in.get(f"/rosters/{branch.id}/{WEEK}").get_data(as_text=True)
    assert "Changed since publishing" in text_of(html, "roster-status")
    signed_in.post(f"/rosters/{branch.id}/{WEEK}/publish")
    sent = db.session.scalars(sa.select(OutgoingEmail.to_address)).all()
    assert sorted(sent) == sorted([cashier.email, cashier.email, omar.email])


def test_publishing_an_empty_week_is_refused(signed_in, branch, usual):
    response = signed_in.post(f"/rosters/{branch.id}/{WEEK}/publish", follow_redirects=True)
    assert "Nobody is rostered this week yet" in text_of(response.get_data(as_text=True), "flashes")


def test_copy_last_week(signed_in, branch, usual, cashier, manager):
    rosters.assign_member(db.session, Actor(manager), usual["Morning"], MONDAY - timedelta(days=6), cashier)
    db.session.commit()
    response = signed_in.post(f"/rosters/{branch.id}/{WEEK}/copy", follow_redirects=True)
    assert "Copied 1 assignment from last week." in text_of(response.get_data(as_text=True), "flashes")
    assert ("Sana Iqbal", "Morning", TUESDAY) in _assignments()


# Shift slots


def test_slots_page_adds_the_usual_slots_in_one_click(signed_in, branch):
    response = signed_in.post(f"/rosters/{branch.id}/slots/usual", follow_redirects=True)
    table = text_of(response.get_data(as_text=True), "roster-slots")
    assert "Morning 10:00–16:00 Every day" in table and "Weekend 10:00–22:00 Sat, Sun" in table
    again = signed_in.post(f"/rosters/{branch.id}/slots/usual", follow_redirects=True)
    assert "Gulberg already has the usual slots." in text_of(again.get_data(as_text=True), "flashes")


def test_a_new_overnight_slot_is_created(signed_in, branch, roles):
    data = {
        "name": "Night",
        "start_time": "22:00",
        "end_time": "06:00",
        "days": ["4", "5"],
        "coverage_target": "2",
        "coverage_role_id": str(roles["Cashier"].id),
    }
    response = signed_in.post(f"/rosters/{branch.id}/slots", data, htmx=True)
    assert response.status_code == 204 and response.headers["HX-Redirect"] == f"/rosters/{branch.id}/slots"
    html = signed_in.get(f"/rosters/{branch.id}/slots").get_data(as_text=True)
    assert "Night 22:00–06:00 (ends next day) Fri, Sat 2 Cashiers" in text_of(html, "roster-slots")


@pytest.mark.parametrize(
    "change, field, message",
    [
        ({"name": ""}, "name", "Give the slot a name."),
        ({"start_time": "25:00"}, "start_time", "Not a valid time value."),
        ({"end_time": "10:00"}, "end_time", "The slot must end at another time than it starts."),
        ({"name": "morning"}, "name", "Gulberg already has a slot named morning."),
        ({"days": []}, "days", "Choose at least one day."),
        ({"coverage_target": "0"}, "coverage_target", "Between 1 and 50, or empty."),
    ],
)
def test_a_bad_slot_is_refused_beside_its_field(signed_in, branch, usual, change, field, message):
    data = {"name": "Late", "start_time": "10:00", "end_time": "18:00", "days": ["0", "1"], **change}
    response = signed_in.post(f"/rosters/{branch.id}/slots", data, htmx=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and is_fragment(html)
    assert message in field_text(html, field)


def test_editing_a_slot_and_removing_an_unused_one(signed_in, branch, usual):
    morning = usual["Morning"]
    page = signed_in.get(f"/rosters/slots/{morning.id}").get_data(as_text=True)
    assert 'value="10:00"' in element(page, "field-start_time")
    data = {"name": "Early", "start_time": "08:00", "end_time": "14:00", "days": ["0", "1", "2"]}
    assert signed_in.post(f"/rosters/slots/{morning.id}", data).status_code == 303
    db.session.expire_all()
    assert (morning.name, morning.hours_label, morning.days_label) == ("Early", "08:00–14:00", "Mon, Tue, Wed")
    assert signed_in.post(f"/rosters/slots/{usual['Evening'].id}/delete").status_code == 303
    assert db.session.scalars(sa.select(RosterSlot.name).order_by(RosterSlot.name)).all() == ["Early", "Weekend"]


@pytest.mark.parametrize(
    "change, field, message",
    [
        ({"end_time": "18:00"}, "start_time", "would overlap their Evening at Gulberg on"),
        (
            {"days": ["0", "2", "3", "4", "5", "6"]},
            "days",
            "Take them off it before the slot stops being worked on Tuesdays",
        ),
    ],
)
def test_new_times_or_days_that_clash_with_the_roster_are_refused_beside_the_field(
    signed_in, branch, usual, cashier, manager, change, field, message
):
    morning = usual["Morning"]
    for slot in (morning, usual["Evening"]):
        rosters.assign_member(db.session, Actor(manager), slot, TUESDAY, cashier)
    db.session.commit()
    data = {"name": "Morning", "start_time": "10:00", "end_time": "16:00", "days": [str(n) for n in range(7)], **change}

    response = signed_in.post(f"/rosters/slots/{morning.id}", data, htmx=True)

    html = response.get_data(as_text=True)
    assert response.status_code == 422 and is_fragment(html)
    assert message in field_text(html, field) and "Sana Iqbal" in field_text(html, field)
    page = signed_in.post(f"/rosters/slots/{morning.id}", data)  # without JavaScript: the page, the same message
    assert page.status_code == 422 and message in field_text(page.get_data(as_text=True), field)
    db.session.expire_all()
    assert (morning.hours_label, morning.days_label) == ("10:00–16:00", "Every day")
    assert _assignments() == [("Sana Iqbal", "Morning", TUESDAY), ("Sana Iqbal", "Evening", TUESDAY)]
    starts = db.session.scalars(sa.select(RosterAssignment.starts_at).order_by(RosterAssignment.id)).all()
    assert [s.astimezone(ZoneInfo("Asia/Karachi")).hour for s in starts] == [10, 16]


def test_a_slot_with_upcoming_members_is_not_removed(signed_in, branch, usual, cashier, manager):
    rosters.assign_member(db.session, Actor(manager), usual["Morning"], TUESDAY, cashier)
    db.session.commit()
    response = signed_in.post(f"/rosters/slots/{usual['Morning'].id}/delete", follow_redirects=True)
    assert "Remove them from the roster first." in text_of(response.get_data(as_text=True), "flashes")
    assert db.session.get(RosterSlot, usual["Morning"].id) is not None


# Who's on now, print, calendars


def _on_now(manager, branch, user) -> None:
    """A published assignment around the present moment, whatever the clock says."""
    now = utcnow().astimezone(ZoneInfo("Asia/Karachi"))
    start, end = now - timedelta(hours=1), now + timedelta(hours=1)
    slot = roster_slots.create_slot(
        db.session,
        Actor(manager),
        branch,
        SlotValues("Now", time(start.hour, start.minute), time(end.hour, end.minute)),
    )
    rosters.assign_member(db.session, Actor(manager), slot, start.date(), user)
    publishing.publish_week(db.session, Actor(manager), branch, rosters.week_start(start.date()))
    db.session.commit()


def test_who_is_on_now_shows_on_the_roster_and_the_dashboard(signed_in, branch, cashier, manager, make_browser):
    _on_now(manager, branch, cashier)
    page = signed_in.get("/rosters").get_data(as_text=True)
    assert "Sana Iqbal Cashier · Now until" in text_of(page, "on-now")
    assert "No till open" in text_of(page, "on-now")
    dashboard = signed_in.get("/").get_data(as_text=True)
    assert "Sana Iqbal" in text_of(dashboard, "on-now-card")
    sana = make_browser()
    sana.sign_in(cashier)
    assert element(sana.get("/").get_data(as_text=True), "on-now-card") is None  # cashiers have no Staff page


def test_the_printable_week(signed_in, branch, usual, cashier, manager):
    rosters.assign_member(db.session, Actor(manager), usual["Morning"], TUESDAY, cashier)
    db.session.commit()
    html = signed_in.get(f"/rosters/{branch.id}/{WEEK}/print").get_data(as_text=True)
    assert "css/roster-print." in html and "<nav" not in html.split("</nav>", 1)[1]  # fingerprinted name
    table = text_of(html, "roster-print")
    assert "Morning 10:00–16:00" in table and "Sana Iqbal" in table
    assert "draft, not published" in text(html)


def test_the_branch_week_as_a_calendar_file(signed_in, branch, usual, cashier, manager):
    assignment = rosters.assign_member(db.session, Actor(manager), usual["Morning"], TUESDAY, cashier)
    db.session.commit()
    response = signed_in.get(f"/rosters/{branch.id}/{WEEK}.ics")
    body = response.get_data(as_text=True)
    assert response.content_type == "text/calendar; charset=utf-8"
    assert f'filename="roster-GUL-{WEEK}.ics"' in response.headers["Content-Disposition"]
    assert body.startswith("BEGIN:VCALENDAR\r\n") and body.endswith("END:VCALENDAR\r\n")
    assert f"UID:roster-assignment-{assignment.id}@ismartsync\r\n" in body
    assert "SUMMARY:Morning: Sana Iqbal\r\n" in body


def test_my_calendar_for_a_member_without_the_staff_page(browser, branch, usual, cashier, omar, manager):
    rosters.assign_member(db.session, Actor(manager), usual["Morning"], TUESDAY, cashier)
    rosters.assign_member(db.session, Actor(manager), usual["Evening"], TUESDAY, omar)
    publishing.publish_week(db.session, Actor(manager), branch, MONDAY)
    db.session.commit()
    browser.sign_in(cashier)
    body = browser.get("/rosters/me.ics").get_data(as_text=True)
    assert body.count("BEGIN:VEVENT") == 1 and "SUMMARY:Morning\\, Gulberg" in body
    assert browser.get(f"/rosters/{branch.id}/{WEEK}.ics").status_code == 403


# Permissions and other ids


@pytest.fixture
def viewer(merchant, branch):
    """A custom role that sees rosters (the Staff page) but may not change them."""
    role = Role(merchant_id=merchant.id, name="Supervisor")
    role.grants.append(RoleGrant(permission=Permission.PAGE_STAFF.value, effect="allowed"))
    db.session.add(role)
    db.session.flush()
    return factories.UserFactory(merchant=merchant, role=role, branches=[branch], full_name="Vera Viewer")


def test_a_role_that_only_sees_rosters_gets_403_for_every_change(browser, viewer, branch, usual, cashier):
    browser.sign_in(viewer)
    html = browser.get(f"/rosters/{branch.id}/{WEEK}").get_data(as_text=True)
    assert "Sana Iqbal" not in text_of(html, _cell(usual["Morning"], TUESDAY))  # no Add form
    assert "/publish" not in element(html, "roster-status")
    refused = [
        _assign(browser, branch, usual["Morning"], TUESDAY, cashier),
        browser.post(f"/rosters/{branch.id}/{WEEK}/publish"),
        browser.post(f"/rosters/{branch.id}/{WEEK}/copy"),
        browser.post(f"/rosters/{branch.id}/slots", {"name": "Late", "start_time": "10:00", "end_time": "18:00"}),
        browser.post(f"/rosters/{branch.id}/slots/usual"),
        browser.post(f"/rosters/slots/{usual['Morning'].id}/delete"),
    ]
    assert [r.status_code for r in refused] == [403] * len(refused)
    assert _assignments() == []


def test_a_cashier_cannot_open_rosters(browser, cashier, branch):
    browser.sign_in(cashier)
    assert browser.get("/rosters").status_code == 403
    assert browser.get(f"/rosters/{branch.id}/{WEEK}").status_code == 403


def test_a_branch_the_member_does_not_work_at_is_not_found(browser, merchant, viewer, usual):
    elsewhere = factories.BranchFactory(merchant=merchant, name="DHA", code="DHA")
    browser.sign_in(viewer)
    for path in (
        f"/rosters/{elsewhere.id}/{WEEK}",
        f"/rosters/{elsewhere.id}/slots",
        f"/rosters?branch={elsewhere.id}",
    ):
        assert browser.get(path).status_code == 404, path


def test_another_merchants_template_or_member_in_the_form_is_not_found(signed_in, branch, usual, outsider):
    their_branch = factories.BranchFactory(merchant=outsider.merchant, name="Theirs", code="THR")
    their_template = roster_slots.create_slot(
        db.session, Actor(outsider), their_branch, SlotValues("Theirs", time(9), time(17))
    )
    db.session.commit()
    theirs = _assign(signed_in, branch, their_template, TUESDAY, outsider)
    ours_with_their_member = _assign(signed_in, branch, usual["Morning"], TUESDAY, outsider)
    assert (theirs.status_code, ours_with_their_member.status_code) == (404, 404)
    data = {"name": "Late", "start_time": "10:00", "end_time": "18:00", "days": ["0"]}
    their_role = factories.roles_of(outsider.merchant)["Cashier"]
    response = signed_in.post(f"/rosters/{branch.id}/slots", {**data, "coverage_role_id": str(their_role.id)})
    assert response.status_code == 404
    assert _assignments() == []


def test_a_template_of_another_branch_cannot_be_used_in_this_branch_grid(signed_in, merchant, branch, usual, cashier):
    dha = factories.BranchFactory(merchant=merchant, name="DHA", code="DHA")
    response = _assign(signed_in, dha, usual["Morning"], TUESDAY, cashier)
    assert response.status_code == 404 and _assignments() == []


def test_a_date_that_is_not_a_date_is_not_found(signed_in, branch):
    assert signed_in.get(f"/rosters/{branch.id}/2026-13-40").status_code == 404
    assert signed_in.get(f"/rosters/{branch.id}/not-a-week.ics").status_code == 404


def test_a_date_at_the_end_of_the_calendar_is_not_found_rather_than_an_error(signed_in, branch, usual, cashier):
    for path in (
        f"/rosters/{branch.id}/9999-12-31",
        f"/rosters/{branch.id}/9999-12-31/print",
        "/rosters?week=9999-12-31",
    ):
        assert signed_in.get(path).status_code == 404, path
    assert signed_in.post(f"/rosters/{branch.id}/0001-01-01/copy").status_code == 404
    assert signed_in.post(f"/rosters/{branch.id}/9999-12-31/publish").status_code == 404
    assert _assign(signed_in, branch, usual["Morning"], date.max, cashier).status_code == 404
    assert _assignments() == []


def test_the_week_in_the_url_may_be_any_day_of_it(signed_in, branch, usual):
    html = signed_in.get(f"/rosters/{branch.id}/{TUESDAY:%Y-%m-%d}").get_data(as_text=True)
    assert f"Roster: {MONDAY:%d %b}" in text_of(html, "main")


def test_nothing_changed_is_recorded_for_a_refusal(signed_in, branch, usual):
    signed_in.post(f"/rosters/{branch.id}/slots", {"name": "", "start_time": "10:00", "end_time": "11:00"})
    assert db.session.scalar(sa.select(sa.func.count()).where(AuditEntry.action.like("roster.slot%"))) == 3
