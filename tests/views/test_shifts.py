"""A shift's pages: its X report (live) and Z report on screen and as PDF, blind or not, and closing it at the
count (note by note or a total, beyond the tolerance with a supervisor), by whom it may be seen and closed."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from ismartsync.extensions import db
from ismartsync.models import AuditEntry
from ismartsync.services.audit import Actor
from ismartsync.services.cash.drawer import Count, close_shift
from tests import factories
from tests.documents.pdf import pdf_text
from tests.markup import text_of
from tests.selling import day_of, send_count, the_shift


def test_the_x_report_is_live_while_the_shift_is_open(browser, manager, shift):
    browser.sign_in(manager)

    html = browser.get(f"/shifts/{shift.id}").get_data(as_text=True)

    report = text_of(html, "shift-report")
    assert "X report — mid-shift" in report and "Sana Iqbal" in report and "Gulberg" in report
    assert "Cash Rs 2,990" in text_of(html, "report-tenders").replace(" 1 ", " ")
    assert "Expected in drawer Rs 7,990" in text_of(html, "report-drawer")
    assert "Counted not counted yet" in text_of(html, "report-drawer")
    assert "data-print" in html


def test_the_z_report_shows_the_count_note_by_note_and_the_shortfall(browser, manager, closed):
    browser.sign_in(manager)

    html = browser.get(f"/shifts/{closed.id}").get_data(as_text=True)

    assert "Z report — shift close" in text_of(html, "report-title")
    drawer = text_of(html, "report-drawer")
    assert "Expected in drawer Rs 7,990" in drawer and "Counted Rs 7,980" in drawer and "Short Rs 10" in drawer
    assert "Rs 5,000 1 Rs 5,000" in text_of(html, "report-denominations")
    assert "Rs 1,000 2 Rs 2,000" in text_of(html, "report-denominations")


def test_blind_close_hides_expected_from_the_cashier_until_the_count(
    browser, make_browser, merchant, manager, cashier, shift
):
    merchant.blind_close = True
    db.session.commit()
    browser.sign_in(cashier)

    own = browser.get(f"/shifts/{shift.id}")
    pdf = pdf_text(browser.get(f"/shifts/{shift.id}/report.pdf").data)

    assert own.status_code == 200
    report = text_of(own.get_data(as_text=True), "shift-report")
    assert "hidden until the count (blind close)" in report
    for figure in ("Rs 7,990", "Rs 2,990", "Rs 5,000"):  # expected, the cash sales it follows from, the float
        assert figure not in report
        assert figure not in pdf
    assert "hidden until the count (blind close)" in pdf
    boss = make_browser()
    boss.sign_in(manager)
    assert "Expected in drawer Rs 7,990" in text_of(
        boss.get(f"/shifts/{shift.id}").get_data(as_text=True), "report-drawer"
    )


def test_after_the_blind_count_the_cashier_sees_expected(browser, merchant, cashier, shift, counter):
    merchant.blind_close = True
    db.session.commit()
    close_shift(db.session, Actor(cashier, counter_id=counter.id), shift, Count(7_990_00))
    db.session.commit()
    browser.sign_in(cashier)

    report = text_of(browser.get(f"/shifts/{shift.id}").get_data(as_text=True), "shift-report")

    assert "Expected in drawer Rs 7,990" in report and "Blind count Yes" in report


def test_the_shift_report_pdf_carries_expected_and_counted(browser, manager, closed, counter):
    browser.sign_in(manager)

    response = browser.get(f"/shifts/{closed.id}/report.pdf")

    assert response.status_code == 200 and response.data.startswith(b"%PDF")
    day = day_of(closed.register)
    assert f'filename="Z-GUL-C{counter.id}-{day}-Sana-Iqbal.pdf"' in response.headers["Content-Disposition"]
    text = pdf_text(response.data)
    assert "Z report — shift close" in text
    assert "Expected in drawer Rs 7,990" in text and "Counted Rs 7,980" in text and "Short Rs 10" in text


def test_an_open_shifts_pdf_is_an_x_report(browser, manager, shift, counter):
    browser.sign_in(manager)

    response = browser.get(f"/shifts/{shift.id}/report.pdf")

    assert response.headers["Content-Disposition"].startswith(f'attachment; filename="X-GUL-C{counter.id}-')
    assert "Expected in drawer Rs 7,990" in pdf_text(response.data)


def test_closing_by_notes_and_coins_shows_the_z_report(tablet, cashier):
    shift = the_shift(cashier)
    form = tablet.get(f"/shifts/{shift.id}/close").get_data(as_text=True)
    assert "Expected in drawer Rs 5,000" in text_of(form, "count-total")
    preview = tablet.post(f"/shifts/{shift.id}/close/total", {"method": "pieces", "d1000": "4", "d500": "2"}, htmx=True)
    assert "Counted Rs 5,000" in text_of(preview.get_data(as_text=True), "count-total")

    done = send_count(tablet, shift, d1000="4", d500="2")
    again = send_count(tablet, shift, d1000="1")

    assert done.status_code == 204 and done.headers["HX-Redirect"] == f"/shifts/{shift.id}"
    assert again.headers["HX-Redirect"] == f"/shifts/{shift.id}"
    closed = the_shift(cashier)
    assert (closed.status, closed.counted_minor, closed.over_short_minor, closed.denominations) == (
        "closed",
        500_000,
        0,
        {"1000": 4, "500": 2},
    )
    assert "Open my shift" in tablet.get("/counter").get_data(as_text=True)  # the next cashier takes the drawer


def test_a_blind_close_hides_the_expected_cash_until_the_count_is_sent(tablet, cashier, merchant):
    merchant.blind_close = True
    db.session.commit()
    shift = the_shift(cashier)
    form = tablet.get(f"/shifts/{shift.id}/close").get_data(as_text=True)
    assert "Expected" not in text_of(form, "close-shift")
    assert "Blind close" in text_of(form, "count-total")
    preview = tablet.post(f"/shifts/{shift.id}/close/total", {"method": "total", "total": "4000"}, htmx=True)
    shown = text_of(preview.get_data(as_text=True), "count-total")
    assert "Counted Rs 4,000" in shown and "Expected" not in shown

    refused = send_count(tablet, shift, method="total", total="4000")
    assert refused.status_code == 422
    message = text_of(refused.get_data(as_text=True), "field-note")
    assert "off by more than the Rs 500 tolerance" in message and "1,000" not in message

    within = send_count(tablet, shift, method="total", total="4800")
    assert within.status_code == 204
    assert the_shift(cashier).over_short_minor == -20_000
    recount = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "shift.recount")).one()
    assert recount.after["counted_minor"] == 400_000  # the refused first count stays on the record


def test_a_count_beyond_the_tolerance_needs_a_reason_and_a_supervisors_pin(tablet, cashier, manager):
    shift = the_shift(cashier)
    no_reason = send_count(tablet, shift, method="total", total="4000")
    assert no_reason.status_code == 422
    assert "Rs 1,000 short, beyond the Rs 500 tolerance" in text_of(no_reason.get_data(as_text=True), "field-note")

    fields = {"method": "total", "total": "4000", "note": "Float was short at handover"}
    asked = send_count(tablet, shift, **fields)
    assert asked.status_code == 403 and asked.headers["X-Approval-Required"] == "action.close_over_tolerance"
    assert text_of(asked.get_data(as_text=True), "approval-what") == (
        "Close Sana Iqbal's shift on Gulberg · Counter 1: Rs 4,000 counted, Rs 1,000 short of the Rs 5,000 expected "
        "(tolerance Rs 500) — “Float was short at handover”"
    )
    assert the_shift(cashier).is_open

    approved = send_count(tablet, shift, approver_id=str(manager.id), approver_pin=factories.PIN, **fields)
    assert approved.status_code == 204
    closed = the_shift(cashier)
    assert (closed.over_short_minor, closed.approved_by_id, closed.close_note) == (
        -100_000,
        manager.id,
        "Float was short at handover",
    )


@pytest.mark.parametrize(
    ("fields", "field_id", "message"),
    [
        ({"d500": "-1"}, "d500", "0 to 100,000."),
        ({"d500": "x"}, "d500", "Not a valid integer value."),
        ({"method": "total", "total": ""}, "total", "Enter the total counted, or count note by note."),
    ],
)
def test_a_bad_count_is_refused_beside_its_field(tablet, cashier, fields, field_id, message):
    shift = the_shift(cashier)
    response = send_count(tablet, shift, **fields)
    assert response.status_code == 422
    assert message in text_of(response.get_data(as_text=True), f"field-{field_id}")
    assert the_shift(cashier).is_open


def test_closing_another_cashiers_shift_needs_manage_shifts(make_browser, tablet, cashier, roles, merchant, branch):
    shift = the_shift(cashier)
    omar = factories.UserFactory(merchant=merchant, role=roles["Cashier"], branches=[branch])
    other = make_browser()
    other.sign_in(omar)
    assert other.get(f"/shifts/{shift.id}/close").status_code == 403
    asked = other.post(f"/shifts/{shift.id}/close", {"method": "total", "total": "5000"}, htmx=True)
    assert asked.status_code == 403 and asked.headers["X-Approval-Required"] == "action.manage_shifts"
    assert text_of(asked.get_data(as_text=True), "approval-what").startswith(
        "Close Sana Iqbal's shift on Gulberg · Counter 1 (open since "
    )
    assert the_shift(cashier).is_open


def test_someone_elses_or_an_invisible_shift_is_not_found(make_browser, tablet, cashier, merchant, roles, outsider):
    shift = the_shift(cashier)
    stranger = make_browser()
    stranger.sign_in(outsider)
    assert stranger.get(f"/shifts/{shift.id}/close").status_code == 404
    elsewhere = factories.BranchFactory(merchant=merchant, name="DHA", code="DHA")
    dha_manager = factories.UserFactory(merchant=merchant, role=roles["Manager"], branches=[elsewhere])
    other = make_browser()
    other.sign_in(dha_manager)
    assert other.get(f"/shifts/{shift.id}/close").status_code == 404


def test_a_cashier_cannot_preview_a_colleagues_drawer(make_browser, tablet, cashier, roles, merchant, branch):
    shift = the_shift(cashier)
    omar = factories.UserFactory(merchant=merchant, role=roles["Cashier"], branches=[branch])
    other = make_browser()
    other.sign_in(omar)
    peek = other.post(f"/shifts/{shift.id}/close/total", {"method": "total", "total": "1"}, htmx=True)
    assert peek.status_code == 403 and "5,000" not in peek.get_data(as_text=True)
