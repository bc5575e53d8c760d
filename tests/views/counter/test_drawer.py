"""The drawer at the counter: cash in and out, closing a shift (note by note, blind, beyond the tolerance), the shift
limit and its grace, the drawer limit's safe drop, and Settings → Cash."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from ismartsync.extensions import db
from ismartsync.models import AuditEntry, CashLog, Shift
from ismartsync.models.base import utcnow
from ismartsync.services.audit import Actor
from ismartsync.services.registers import open_shift, start_register
from tests import factories
from tests.markup import text_of


@pytest.fixture
def tablet(make_browser, manager, cashier, counter):
    """A paired tablet with the register started (Rs 5,000 float) and Sana's shift open, Sana signed in by PIN."""
    tablet = make_browser()
    tablet.sign_in(manager)
    assert tablet.post(f"/device/pair/{counter.id}", {"label": "Front tablet"}).status_code == 303
    tablet.post("/sign-out")
    start_register(db.session, Actor(manager), counter, 500_000)
    open_shift(db.session, Actor(cashier), counter)
    db.session.commit()
    assert tablet.post(f"/device/pin/{cashier.id}", {"pin": factories.PIN}).status_code == 303
    return tablet


def the_shift(cashier) -> Shift:
    db.session.expire_all()
    return db.session.scalars(select(Shift).where(Shift.user_id == cashier.id).order_by(Shift.id.desc())).first()


def _cash(tablet, **fields):
    data = {"uuid": fields.pop("uuid", "k-1"), "direction": "out", "reason": "safe_drop", "amount": "1000", "note": ""}
    return tablet.post("/counter/cash", data | fields, htmx=True)


def test_the_selling_screen_shows_the_drawer_strip(tablet):
    page = tablet.get("/counter").get_data(as_text=True)
    strip = text_of(page, "drawer")
    assert "Your shift since" in strip and "Cash in / out" in strip and "Close shift" in strip and "X report" in strip


def test_a_cashier_cash_out_needs_a_supervisor_and_then_counts_once(tablet, cashier, manager):
    dialog = tablet.get("/counter/cash", headers={"HX-Request": "true"})
    assert dialog.status_code == 200 and "Cash in / out" in dialog.get_data(as_text=True)

    asked = _cash(tablet, reason="petty_cash", amount="500", note="tea for staff")
    assert asked.status_code == 403 and asked.headers["X-Approval-Required"] == "action.cash_in_out"
    what = text_of(asked.get_data(as_text=True), "approval-what")
    assert what == "Cash out Rs 500 — petty cash — “tea for staff”"
    asked = _cash(tablet)
    approval = {"approver_id": str(manager.id), "approver_pin": factories.PIN}
    done = _cash(tablet, **approval)
    again = _cash(tablet, **approval)  # a double tap

    assert done.status_code == again.status_code == 204 and done.headers["HX-Redirect"] == "/counter"
    log = db.session.scalars(select(CashLog)).one()
    assert (log.amount_minor, log.user_id, log.approver_id) == (100_000, cashier.id, manager.id)
    assert the_shift(cashier).expected_cash_minor == 400_000


@pytest.mark.parametrize(
    ("fields", "field_id", "message"),
    [
        ({"amount": "abc"}, "amount", "Not a valid decimal value"),
        ({"amount": "0"}, "amount", "Enter an amount above Rs 0."),
        ({"amount": "9000"}, "amount", "The drawer should hold Rs 5,000; more cannot be taken out."),
        ({"direction": "in"}, "reason", "Safe drop is never a cash in."),
        ({"reason": "petty_cash"}, "note", "Say what the petty cash was for."),
        ({"reason": "bribe"}, "reason", "Not a valid choice"),
    ],
)
def test_a_bad_cash_log_is_refused_beside_its_field(tablet, manager, fields, field_id, message):
    response = _cash(tablet, approver_id=str(manager.id), approver_pin=factories.PIN, **fields)
    assert response.status_code == 422
    assert message in text_of(response.get_data(as_text=True), f"field-{field_id}")
    assert db.session.scalars(select(CashLog)).first() is None


def _close(tablet, shift, **fields):
    return tablet.post(f"/shifts/{shift.id}/close", {"method": "pieces", "note": ""} | fields, htmx=True)


def test_closing_by_notes_and_coins_shows_the_z_report(tablet, cashier):
    shift = the_shift(cashier)
    form = tablet.get(f"/shifts/{shift.id}/close").get_data(as_text=True)
    assert "Expected in drawer Rs 5,000" in text_of(form, "count-total")
    preview = tablet.post(f"/shifts/{shift.id}/close/total", {"method": "pieces", "d1000": "4", "d500": "2"}, htmx=True)
    assert "Counted Rs 5,000" in text_of(preview.get_data(as_text=True), "count-total")

    done = _close(tablet, shift, d1000="4", d500="2")
    again = _close(tablet, shift, d1000="1")

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

    refused = _close(tablet, shift, method="total", total="4000")
    assert refused.status_code == 422
    message = text_of(refused.get_data(as_text=True), "field-note")
    assert "off by more than the Rs 500 tolerance" in message and "1,000" not in message

    within = _close(tablet, shift, method="total", total="4800")
    assert within.status_code == 204
    assert the_shift(cashier).over_short_minor == -20_000
    recount = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "shift.recount")).one()
    assert recount.after["counted_minor"] == 400_000  # the refused first count stays on the record


def test_a_count_beyond_the_tolerance_needs_a_reason_and_a_supervisors_pin(tablet, cashier, manager):
    shift = the_shift(cashier)
    no_reason = _close(tablet, shift, method="total", total="4000")
    assert no_reason.status_code == 422
    assert "Rs 1,000 short, beyond the Rs 500 tolerance" in text_of(no_reason.get_data(as_text=True), "field-note")

    fields = {"method": "total", "total": "4000", "note": "Float was short at handover"}
    asked = _close(tablet, shift, **fields)
    assert asked.status_code == 403 and asked.headers["X-Approval-Required"] == "action.close_over_tolerance"
    assert text_of(asked.get_data(as_text=True), "approval-what") == (
        "Close Sana Iqbal's shift on Gulberg · Counter 1: Rs 4,000 counted, Rs 1,000 short of the Rs 5,000 expected "
        "(tolerance Rs 500) — “Float was short at handover”"
    )
    assert the_shift(cashier).is_open

    approved = _close(tablet, shift, approver_id=str(manager.id), approver_pin=factories.PIN, **fields)
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
    response = _close(tablet, shift, **fields)
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


def test_past_the_grace_the_counter_stops_selling_until_a_manager_extends_the_shift(tablet, cashier, manager):
    shift = the_shift(cashier)
    shift.limit_at, shift.grace_until = utcnow() - timedelta(minutes=40), utcnow() - timedelta(minutes=10)
    db.session.commit()
    page = tablet.get("/counter").get_data(as_text=True)
    assert "Selling is stopped until a manager extends it" in text_of(page, "till")
    assert tablet.post("/counter/cart/scan", {"code": "123"}, htmx=True).headers["HX-Redirect"] == "/counter"

    extend = {"minutes": "60", "next": "/counter"}
    asked = tablet.post(f"/shifts/{shift.id}/extend", extend, htmx=True)
    assert asked.status_code == 403 and asked.headers["X-Approval-Required"] == "action.manage_shifts"
    what = text_of(asked.get_data(as_text=True), "approval-what")
    assert what == "Extend Sana Iqbal's shift on Gulberg · Counter 1 by 1 hour"
    done = tablet.post(
        f"/shifts/{shift.id}/extend",
        extend | {"approver_id": str(manager.id), "approver_pin": factories.PIN},
        htmx=True,
    )
    assert done.status_code == 204
    assert "Your shift since" in tablet.get("/counter").get_data(as_text=True)
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "shift.extend")).one()
    assert entry.approver_id == manager.id


def test_past_the_limit_the_cashier_is_warned(tablet, cashier):
    shift = the_shift(cashier)
    shift.limit_at = utcnow() - timedelta(minutes=5)
    db.session.commit()
    strip = text_of(tablet.get("/counter").get_data(as_text=True), "drawer")
    assert "Your shift passed its limit" in strip


def test_a_full_drawer_asks_for_a_safe_drop(tablet, merchant):
    merchant.drawer_limit_minor = 400_000
    db.session.commit()
    strip = text_of(tablet.get("/counter").get_data(as_text=True), "drawer")
    assert "The drawer holds more than Rs 4,000. Make a safe drop of Rs 1,000." in strip
    dialog = tablet.get("/counter/cash?reason=safe_drop", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert re.search(r'<option selected value="safe_drop">', dialog)
    assert 'value="1000.00"' in dialog  # the drop the strip asked for


def test_cash_settings_save_and_refuse_bad_values(browser, owner, merchant, roles):
    browser.sign_in(owner)
    assert "Over/short tolerance" in browser.get("/settings/cash").get_data(as_text=True)
    fields = {
        "cash_tolerance": "250",
        "blind_close": "y",
        "max_shift_hours": "9.5",
        "shift_grace_minutes": "15",
        "drawer_limit": "75000",
    }
    assert browser.post("/settings/cash", fields, htmx=True).status_code == 200
    db.session.expire_all()
    assert (
        merchant.cash_tolerance_minor,
        merchant.blind_close,
        merchant.max_shift_minutes,
        merchant.shift_grace_minutes,
        merchant.drawer_limit_minor,
    ) == (25_000, True, 570, 15, 7_500_000)
    bad = browser.post("/settings/cash", fields | {"max_shift_hours": "30"}, htmx=True)
    assert bad.status_code == 422 and "Enter 0 to 24 hours." in text_of(
        bad.get_data(as_text=True), "field-max_shift_hours"
    )
    assert db.session.scalars(select(AuditEntry).where(AuditEntry.action == "settings.cash")).one()


def test_a_cashier_may_not_change_the_cash_settings(browser, cashier):
    browser.sign_in(cashier)
    assert browser.get("/settings/cash").status_code == 403
    assert browser.post("/settings/cash", {"cash_tolerance": "0"}).status_code == 403


def test_the_last_cashier_closes_the_register_at_the_counter_once_the_shift_is_counted(tablet, cashier, counter):
    refused = tablet.post("/counter/register/close", htmx=True)
    assert refused.status_code == 422
    assert "Sana Iqbal's shift is still open. Close it first." in text_of(refused.get_data(as_text=True), "till")

    assert _close(tablet, the_shift(cashier), method="total", total="5000").status_code == 204
    done = tablet.post("/counter/register/close", htmx=True)
    again = tablet.post("/counter/register/close", htmx=True)

    assert done.headers["HX-Redirect"] == again.headers["HX-Redirect"] == "/counter"
    register = the_shift(cashier).register
    assert (register.status, register.expected_minor, register.counted_minor) == ("closed", 500_000, 500_000)
    assert "the register is not started" in tablet.get("/counter").get_data(as_text=True)


def test_a_blind_closing_cashier_is_asked_for_a_safe_drop_without_the_amount(tablet, merchant):
    merchant.blind_close, merchant.drawer_limit_minor = True, 400_000
    db.session.commit()
    strip = text_of(tablet.get("/counter").get_data(as_text=True), "drawer")
    assert "Make a safe drop." in strip and "Rs 1,000" not in strip
    dialog = tablet.get("/counter/cash?reason=safe_drop", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "1000.00" not in dialog and "should hold" not in dialog


def test_a_cashier_cannot_preview_a_colleagues_drawer(make_browser, tablet, cashier, roles, merchant, branch):
    shift = the_shift(cashier)
    omar = factories.UserFactory(merchant=merchant, role=roles["Cashier"], branches=[branch])
    other = make_browser()
    other.sign_in(omar)
    peek = other.post(f"/shifts/{shift.id}/close/total", {"method": "total", "total": "1"}, htmx=True)
    assert peek.status_code == 403 and "5,000" not in peek.get_data(as_text=True)


def test_only_the_owner_changes_the_cash_rules(browser, manager):
    browser.sign_in(manager)
    page = browser.get("/settings/cash").get_data(as_text=True)
    assert "Only the owner changes these." in page
    assert browser.post("/settings/cash", {"cash_tolerance": "100000"}).status_code == 403
