"""The counter page on a paired tablet: starting and closing its register, opening a shift, and the shift's grace."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from ismartsync.extensions import db
from ismartsync.models import AuditEntry, Register, Shift
from ismartsync.models.base import utcnow
from tests import factories
from tests.markup import text_of
from tests.selling import send_count, the_shift


def _pin_in(tablet, user) -> None:
    assert tablet.post(f"/device/pin/{user.id}", {"pin": factories.PIN}).status_code == 303


def test_a_cashier_starts_the_register_with_a_float_and_opens_a_shift(paired_tablet, cashier, counter):
    _pin_in(paired_tablet, cashier)
    assert "the register is not started" in text_of(paired_tablet.get("/counter").get_data(as_text=True), "till")

    response = paired_tablet.post("/counter/register", {"opening_float": "5,000"})
    assert response.status_code == 422  # not a number
    assert "opening_float" in response.get_data(as_text=True)
    assert paired_tablet.post("/counter/register", {"opening_float": "5000.50"}).status_code == 303
    assert paired_tablet.post("/counter/shift", {}, htmx=True).headers["HX-Redirect"] == "/counter"

    register = db.session.scalars(select(Register).where(Register.counter_id == counter.id)).one()
    assert register.opening_float_minor == 500050
    shift = db.session.scalars(select(Shift).where(Shift.user_id == cashier.id)).one()
    assert shift.register_id == register.id
    # With the shift open, the counter is the selling screen.
    page = paired_tablet.get("/counter").get_data(as_text=True)
    assert "The cart is empty" in text_of(page, "cart") and 'id="scan"' in page


def test_a_second_start_is_refused_beside_the_float(paired_tablet, cashier):
    _pin_in(paired_tablet, cashier)
    paired_tablet.post("/counter/register", {"opening_float": "0"})
    response = paired_tablet.post("/counter/register", {"opening_float": "100"}, htmx=True)
    assert response.status_code == 422
    assert "already has an open register" in text_of(response.get_data(as_text=True), "till")


def test_a_shift_needs_a_started_register(paired_tablet, cashier):
    _pin_in(paired_tablet, cashier)
    response = paired_tablet.post("/counter/shift", {}, htmx=True)
    assert response.status_code == 422
    assert "Start the register" in text_of(response.get_data(as_text=True), "till")


def test_without_a_paired_tablet_the_counter_says_how_to_get_one(browser, manager):
    browser.sign_in(manager)
    assert "works on a counter tablet" in text_of(browser.get("/counter").get_data(as_text=True), "till")
    assert browser.post("/counter/register", {"opening_float": "10"}).status_code == 422


def test_a_role_without_the_counter_gets_403(browser, merchant, roles):
    accountant = factories.UserFactory(merchant=merchant, role=roles["Accountant"], all_branches=True)
    browser.sign_in(accountant)
    assert browser.get("/counter").status_code == 403
    assert browser.post("/counter/shift", {}).status_code == 403


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


def test_the_last_cashier_closes_the_register_at_the_counter_once_the_shift_is_counted(tablet, cashier, counter):
    refused = tablet.post("/counter/register/close", htmx=True)
    assert refused.status_code == 422
    assert "Sana Iqbal's shift is still open. Close it first." in text_of(refused.get_data(as_text=True), "till")

    assert send_count(tablet, the_shift(cashier), method="total", total="5000").status_code == 204
    done = tablet.post("/counter/register/close", htmx=True)
    again = tablet.post("/counter/register/close", htmx=True)

    assert done.headers["HX-Redirect"] == again.headers["HX-Redirect"] == "/counter"
    register = the_shift(cashier).register
    assert (register.status, register.expected_minor, register.counted_minor) == ("closed", 500_000, 500_000)
    assert "the register is not started" in tablet.get("/counter").get_data(as_text=True)
