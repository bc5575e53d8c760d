"""The Registers screen, the register and day reports (screen and PDF), closing a register and the day after their
confirm steps, reopening a closed day, by permission (a shift's X and Z reports are tests/views/test_shifts.py)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from ismartsync.extensions import db
from ismartsync.models import AuditEntry, DayClose, Register, Shift
from ismartsync.models.base import utcnow
from ismartsync.services.audit import Actor
from ismartsync.services.cash.day_close import close_day, reopen_day
from ismartsync.services.cash.registers import close_register, start_register
from tests import factories
from tests.documents.pdf import pdf_text
from tests.markup import element, text_of
from tests.selling import day_of

KARACHI = ZoneInfo("Asia/Karachi")


def count(model, *where) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def test_the_screen_shows_each_counters_drawer_and_who_holds_it(browser, manager, shift, branch, counter):
    factories.CounterFactory(branch=branch, name="Counter 2")
    browser.sign_in(manager)

    response = browser.get("/registers")

    assert response.status_code == 200
    html = response.get_data(as_text=True)
    drawer = text_of(html, f"drawer-{counter.id}")
    assert "Register open" in drawer and "Sana Iqbal" in drawer and "float Rs 5,000" in drawer
    assert "Expected in drawer Rs 7,990" in drawer
    assert "Close Sana Iqbal's shift before the register" in drawer
    assert f"/shifts/{shift.id}" in html and f"/registers/{shift.register_id}" in html
    assert "No open register" in text_of(html, "registers-counters")  # Counter 2
    day = text_of(html, "day-close")
    assert "Open" in day and "Close every register of the day first" in day


def test_the_board_answers_htmx_with_its_fragment_and_refreshes_itself(browser, manager, shift, branch):
    browser.sign_in(manager)

    response = browser.get(f"/registers?branch={branch.id}", headers={"HX-Request": "true"})

    body = response.get_data(as_text=True)
    assert body.lstrip().startswith('<div id="registers-board"') and "<html" not in body
    assert 'hx-trigger="every 30s"' in body
    assert "HX-Request" in response.headers["Vary"]
    assert "Rs 7,990" in body


def test_a_shift_past_its_limit_or_grace_is_flagged_and_the_manager_extends_it(browser, manager, shift, counter):
    browser.sign_in(manager)
    shift.limit_at = utcnow()
    db.session.commit()
    assert "Past limit" in text_of(browser.get("/registers").get_data(as_text=True), f"drawer-{counter.id}")
    shift.grace_until = utcnow()
    db.session.commit()
    html = browser.get("/registers").get_data(as_text=True)
    drawer = element(html, f"drawer-{counter.id}")
    assert "Blocked (past grace)" in text_of(html, f"drawer-{counter.id}")
    assert f'href="/shifts/{shift.id}/close"' in drawer

    extended = browser.post(
        f"/shifts/{shift.id}/extend", {"minutes": "60", "next": f"/registers?branch={counter.branch_id}"}
    )

    assert extended.status_code == 303 and extended.headers["Location"] == f"/registers?branch={counter.branch_id}"
    db.session.expire_all()
    assert not db.session.get(Shift, shift.id).past_grace(utcnow())
    assert "Blocked" not in text_of(browser.get("/registers").get_data(as_text=True), f"drawer-{counter.id}")


def test_a_bad_business_day_is_refused_beside_the_date(browser, manager, shift, branch):
    browser.sign_in(manager)

    response = browser.get("/registers?day=31-12-2026")

    assert response.status_code == 422
    assert "Pick a date" in text_of(response.get_data(as_text=True), "registers-filters")
    assert browser.get(f"/registers/days/{branch.id}/2026-13-01").status_code == 404
    assert browser.get(f"/registers/days/{branch.id}/yesterday").status_code == 404


@pytest.mark.parametrize("role_name", ["Cashier", "Inventory"])
def test_roles_without_cash_logs_are_refused_every_page(role_name, browser, merchant, roles, shift, branch):
    member = factories.UserFactory(merchant=merchant, role=roles[role_name], all_branches=True)
    browser.sign_in(member)
    day = day_of(shift.register)

    for path in ["/registers", f"/registers/{shift.register_id}", f"/registers/days/{branch.id}/{day}"]:
        assert browser.get(path).status_code == 403, path
    assert browser.post(f"/registers/{shift.register_id}/close").status_code == 403
    assert browser.get(f"/shifts/{shift.id}").status_code == 403  # not their shift
    assert browser.get(f"/shifts/{shift.id}/report.pdf").status_code == 403


def test_the_accountant_reads_the_reports_but_closes_nothing(browser, merchant, roles, closed, branch):
    accountant = factories.UserFactory(merchant=merchant, role=roles["Accountant"], all_branches=True)
    browser.sign_in(accountant)
    day = day_of(closed.register)

    assert browser.get("/registers").status_code == 200
    assert browser.get(f"/shifts/{closed.id}").status_code == 200
    for path in [f"/registers/{closed.register_id}/close", f"/registers/days/{branch.id}/{day}/close"]:
        assert browser.get(path).status_code == 403, path
        assert browser.post(path, {"confirm": "yes"}).status_code == 403, path
    assert browser.post(f"/registers/days/{branch.id}/{day}/reopen", {"reason": "x"}).status_code == 403
    assert db.session.get(Register, closed.register_id).is_open


def test_a_branch_the_member_may_not_see_is_not_found(browser, merchant, roles, manager, shift, branch):
    elsewhere = factories.BranchFactory(merchant=merchant, name="Model Town", code="MDT")
    their_counter = factories.CounterFactory(branch=elsewhere, name="MT Counter 1")
    their_register = start_register(db.session, Actor(manager), their_counter, 1_000_00)
    accountant = factories.UserFactory(merchant=merchant, role=roles["Accountant"], branches=[branch])
    db.session.commit()
    browser.sign_in(accountant)
    day = day_of(their_register)

    assert browser.get(f"/registers?branch={elsewhere.id}").status_code == 404
    assert browser.get(f"/registers/{their_register.id}").status_code == 404
    assert browser.get(f"/registers/{their_register.id}/report.pdf").status_code == 404
    assert browser.get(f"/registers/days/{elsewhere.id}/{day}").status_code == 404
    assert browser.get(f"/registers/days/{elsewhere.id}/{day}/report.pdf").status_code == 404
    page = browser.get("/registers").get_data(as_text=True)
    assert "Model Town" not in page and "Gulberg" in page


def test_closing_a_register_asks_first_saying_what_it_closes(browser, manager, closed, counter):
    browser.sign_in(manager)
    board = browser.get("/registers").get_data(as_text=True)
    link = f'href="/registers/{closed.register_id}/close"'
    assert link in (element(board, f"drawer-{counter.id}") or "")
    assert 'method="post"' not in (element(board, f"drawer-{counter.id}") or "")  # no one-tap close any more

    step = browser.get(f"/registers/{closed.register_id}/close")
    one_tap = browser.post(f"/registers/{closed.register_id}/close")  # an old form, without the confirm step

    html = step.get_data(as_text=True)
    assert step.status_code == 200 and "Close the register on Counter 1?" in text_of(html, "main")
    assert "Sana Iqbal" in text_of(html, f"close-register-shift-{closed.id}")
    assert "Rs 7,990 Rs 7,980 Short Rs 10" in text_of(html, f"close-register-shift-{closed.id}")
    figures = text_of(html, "close-register-figures")
    assert "Expected in drawer Rs 7,990" in figures and "Rs 7,980" in figures and "Short Rs 10" in figures
    assert "needs a new register" in text_of(html, "close-register")
    assert one_tap.status_code == 200 and element(one_tap.get_data(as_text=True), "close-register") is not None
    assert db.session.get(Register, closed.register_id).is_open


def test_closing_a_register_with_a_shift_open_is_refused_with_the_reason(browser, manager, shift):
    browser.sign_in(manager)

    step = browser.get(f"/registers/{shift.register_id}/close").get_data(as_text=True)
    response = browser.post(f"/registers/{shift.register_id}/close", {"confirm": "yes"}, htmx=True)

    assert "Sana Iqbal's shift is still open" in text_of(step, "close-register-blocker")
    assert "disabled" in (element(step, "close-register-submit") or "")
    assert f'href="/shifts/{shift.id}/close"' in (element(step, "close-register-blocker") or "")
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert body.lstrip().startswith('<form method="post"') and "<html" not in body
    assert "Sana Iqbal's shift is still open. Close it first." in text_of(body, "close-register-error")
    assert db.session.get(Register, shift.register_id).is_open


def test_closing_a_register_twice_closes_it_once(browser, manager, closed, branch):
    browser.sign_in(manager)

    first = browser.post(f"/registers/{closed.register_id}/close", {"confirm": "yes"})
    second = browser.post(f"/registers/{closed.register_id}/close", {"confirm": "yes"}, htmx=True)

    assert first.status_code == 303 and first.headers["Location"] == f"/registers?branch={branch.id}"
    assert second.status_code == 204 and second.headers["HX-Redirect"] == f"/registers?branch={branch.id}"
    board = browser.get(first.headers["Location"]).get_data(as_text=True)
    assert "already closed" in text_of(board, "flashes")
    register = db.session.get(Register, closed.register_id)
    assert (register.status, register.expected_minor, register.counted_minor) == ("closed", 7_990_00, 7_980_00)
    assert count(AuditEntry, AuditEntry.action == "register.close") == 1
    closed_list = text_of(board, "registers-closed")
    assert "Rs 7,990" in closed_list and "Short Rs 10" in closed_list
    assert browser.get(f"/registers/{closed.register_id}/close").status_code == 303  # closed: on to its report


def test_the_day_close_step_names_what_still_stops_it(browser, manager, shift, branch):
    browser.sign_in(manager)
    day = day_of(shift.register)

    step = browser.get(f"/registers/days/{branch.id}/{day}/close").get_data(as_text=True)
    refused = browser.post(f"/registers/days/{branch.id}/{day}/close", {"confirm": "yes"}, htmx=True)

    blockers = text_of(step, "close-day-blockers")
    assert "The register on Counter 1 is still open, and Sana Iqbal's shift in it" in blockers
    assert "disabled" in (element(step, "close-day-submit") or "")
    assert "Still open" in text_of(step, f"close-day-register-{shift.register_id}")
    assert "Still open" in text_of(step, f"close-day-shift-{shift.id}")
    assert refused.status_code == 422
    assert "The register on Counter 1 is still open" in text_of(refused.get_data(as_text=True), "close-day")
    assert count(DayClose) == 0


def test_the_day_closes_from_its_confirm_step_once(browser, manager, closed, branch):
    close_register(db.session, Actor(manager), closed.register)
    db.session.commit()
    browser.sign_in(manager)
    day = day_of(closed.register)
    board = text_of(browser.get(f"/registers?day={day}").get_data(as_text=True), "day-close")
    assert "Close every register" not in board and "Close the day…" in board

    step = browser.get(f"/registers/days/{branch.id}/{day}/close").get_data(as_text=True)
    one_tap = browser.post(f"/registers/days/{branch.id}/{day}/close")
    done = browser.post(f"/registers/days/{branch.id}/{day}/close", {"confirm": "yes", "note": "Counted by Bilal"})
    again = browser.post(f"/registers/days/{branch.id}/{day}/close", {"confirm": "yes"}, htmx=True)

    assert "no register can start at Gulberg until tomorrow" in text_of(step, "close-day")
    assert "Rs 7,990 Rs 7,980 Short Rs 10" in text_of(step, f"close-day-register-{closed.register_id}")
    assert "Rs 7,990 Rs 7,980 Short Rs 10" in text_of(step, "close-day-total")
    assert "Sana Iqbal" in text_of(step, f"close-day-shift-{closed.id}")
    assert one_tap.status_code == 200 and element(one_tap.get_data(as_text=True), "close-day") is not None
    assert done.status_code == 303 and done.headers["Location"] == f"/registers/days/{branch.id}/{day}"
    assert again.status_code == 204 and again.headers["HX-Redirect"] == done.headers["Location"]
    assert count(DayClose) == 1
    report = browser.get(done.headers["Location"]).get_data(as_text=True)
    assert "Day closed" in text_of(report, "day-report") and "Counted by Bilal" in text_of(report, "day-report")
    assert "Short Rs 10" in text_of(report, "report-registers")
    assert browser.get(f"/registers/days/{branch.id}/{day}/close").status_code == 303


def test_a_note_too_long_is_refused_beside_it(browser, manager, closed, branch):
    close_register(db.session, Actor(manager), closed.register)
    db.session.commit()
    browser.sign_in(manager)
    day = day_of(closed.register)

    response = browser.post(f"/registers/days/{branch.id}/{day}/close", {"confirm": "yes", "note": "x" * 301})

    assert response.status_code == 422 and "300" in text_of(response.get_data(as_text=True), "field-note")
    assert count(DayClose) == 0


@pytest.fixture
def day_closed(closed, manager, branch) -> DayClose:
    close_register(db.session, Actor(manager), closed.register)
    closed_day = close_day(db.session, Actor(manager), branch, closed.register.opened_at.astimezone(KARACHI).date())
    db.session.commit()
    return closed_day


def test_the_owner_reopens_the_day_with_a_reason_and_registers_start_again(browser, owner, day_closed, branch, counter):
    browser.sign_in(owner)
    day = day_closed.business_date.isoformat()
    assert "Reopen the day…" in text_of(browser.get(f"/registers?day={day}").get_data(as_text=True), "day-close")

    step = browser.get(f"/registers/days/{branch.id}/{day}/reopen").get_data(as_text=True)
    no_reason = browser.post(f"/registers/days/{branch.id}/{day}/reopen", {"reason": "  "}, htmx=True)
    done = browser.post(f"/registers/days/{branch.id}/{day}/reopen", {"reason": "Late delivery to sell"})

    assert "expected Rs 7,990, counted Rs 7,980" in text_of(step, "reopen-day-closed")
    assert no_reason.status_code == 422
    assert "Say why the day is reopened" in text_of(no_reason.get_data(as_text=True), "field-reason")
    assert done.status_code == 303 and done.headers["Location"] == f"/registers?branch={branch.id}&day={day}"
    db.session.expire_all()
    reopened = db.session.get(DayClose, day_closed.id)
    assert reopened.is_reopened and reopened.reopen_reason == "Late delivery to sell"
    assert count(AuditEntry, AuditEntry.action == "day.reopen") == 1
    board = text_of(browser.get(done.headers["Location"]).get_data(as_text=True), "day-close")
    assert "Day closed" not in board and "reopened" in board and "Late delivery to sell" in board
    assert start_register(db.session, Actor(owner), counter, 5_000_00).is_open


def test_the_report_of_a_reopened_day_shows_its_history_and_adds_up_every_register(
    browser, owner, manager, day_closed, branch, counter
):
    day = day_closed.business_date
    reopen_day(db.session, Actor(owner), branch, day, "Late delivery to sell")
    late = start_register(db.session, Actor(manager), counter, 2_000_00)
    close_register(db.session, Actor(manager), late)  # no shift: it holds its Rs 2,000 float
    close_day(db.session, Actor(manager), branch, day, "Closed again")
    db.session.commit()
    browser.sign_in(owner)

    html = browser.get(f"/registers/days/{branch.id}/{day.isoformat()}").get_data(as_text=True)
    pdf = pdf_text(browser.get(f"/registers/days/{branch.id}/{day.isoformat()}/report.pdf").data)

    history = text_of(html, "report-day-history")
    assert "expected Rs 7,990, counted Rs 7,980" in history and "Late delivery to sell" in history
    assert "Closed again" in text_of(html, "report-day-status")
    assert "Expected in drawer Rs 9,990" in text_of(html, "report-drawer")  # both registers, once each
    assert "Counted Rs 9,980" in text_of(html, "report-drawer")
    assert "Late delivery to sell" in pdf and "Expected in drawer Rs 9,990" in pdf


def test_reopening_is_the_owners_unless_granted(browser, manager, merchant, roles, day_closed, branch):
    browser.sign_in(manager)
    day = day_closed.business_date.isoformat()

    assert "Reopen the day" not in text_of(browser.get(f"/registers?day={day}").get_data(as_text=True), "day-close")
    assert browser.get(f"/registers/days/{branch.id}/{day}/reopen").status_code == 403
    assert browser.post(f"/registers/days/{branch.id}/{day}/reopen", {"reason": "Mine now"}).status_code == 403
    assert not db.session.get(DayClose, day_closed.id).is_reopened


def test_the_register_and_day_reports_and_pdfs_add_up_the_shifts(browser, manager, closed, branch):
    close_register(db.session, Actor(manager), closed.register)
    db.session.commit()
    browser.sign_in(manager)
    day = day_of(closed.register)

    page = browser.get(f"/registers/{closed.register_id}").get_data(as_text=True)
    register_pdf = browser.get(f"/registers/{closed.register_id}/report.pdf")
    day_page = browser.get(f"/registers/days/{branch.id}/{day}").get_data(as_text=True)
    day_pdf = browser.get(f"/registers/days/{branch.id}/{day}/report.pdf")

    shift_row = text_of(page, f"report-shift-{closed.id}")
    assert "Sana Iqbal" in shift_row and "Rs 7,990 Rs 7,980 Short Rs 10" in shift_row
    assert "Register Z report" in text_of(page, "report-title")
    for text in (pdf_text(register_pdf.data), pdf_text(day_pdf.data)):
        assert "Expected in drawer Rs 7,990" in text and "Counted Rs 7,980" in text
    assert register_pdf.data.startswith(b"%PDF") and day_pdf.data.startswith(b"%PDF")
    assert f'filename="Day-GUL-{day}.pdf"' in day_pdf.headers["Content-Disposition"]
    assert "Rs 7,990 Rs 7,980 Short Rs 10" in text_of(day_page, f"report-register-{closed.register_id}")


@pytest.mark.parametrize("day", ["9999-12-31", "1999-12-31", "2026-02-30", "today"])
def test_a_day_out_of_range_or_not_a_date_is_not_found(day, browser, owner, branch):
    browser.sign_in(owner)
    assert browser.get(f"/registers/days/{branch.id}/{day}").status_code == 404
    assert browser.get(f"/registers?branch={branch.id}&day={day}").status_code == 422
