"""The counter's register and the cashier's shift on a paired tablet."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from ismartsync.extensions import db
from ismartsync.models import Register, Shift
from tests import factories
from tests.markup import text_of


@pytest.fixture
def tablet(make_browser, manager, counter):
    """A tablet a manager paired to the counter, with the cashier Sana signed in by PIN."""
    tablet = make_browser()
    tablet.sign_in(manager)
    assert tablet.post(f"/device/pair/{counter.id}", {"label": "Front tablet"}).status_code == 303
    tablet.post("/sign-out")
    return tablet


def _pin_in(tablet, user) -> None:
    assert tablet.post(f"/device/pin/{user.id}", {"pin": factories.PIN}).status_code == 303


def test_a_cashier_starts_the_register_with_a_float_and_opens_a_shift(tablet, cashier, counter):
    _pin_in(tablet, cashier)
    assert "the register is not started" in text_of(tablet.get("/counter").get_data(as_text=True), "till")

    response = tablet.post("/counter/register", {"opening_float": "5,000"})
    assert response.status_code == 422  # not a number
    assert "opening_float" in response.get_data(as_text=True)
    assert tablet.post("/counter/register", {"opening_float": "5000.50"}).status_code == 303
    assert tablet.post("/counter/shift", {}, htmx=True).headers["HX-Redirect"] == "/counter"

    register = db.session.scalars(select(Register).where(Register.counter_id == counter.id)).one()
    assert register.opening_float_minor == 500050
    shift = db.session.scalars(select(Shift).where(Shift.user_id == cashier.id)).one()
    assert shift.register_id == register.id
    # With the shift open, the counter is the selling screen.
    page = tablet.get("/counter").get_data(as_text=True)
    assert "The cart is empty" in text_of(page, "cart") and 'id="scan"' in page


def test_a_second_start_is_refused_beside_the_float(tablet, cashier):
    _pin_in(tablet, cashier)
    tablet.post("/counter/register", {"opening_float": "0"})
    response = tablet.post("/counter/register", {"opening_float": "100"}, htmx=True)
    assert response.status_code == 422
    assert "already has an open register" in text_of(response.get_data(as_text=True), "till")


def test_a_shift_needs_a_started_register(tablet, cashier):
    _pin_in(tablet, cashier)
    response = tablet.post("/counter/shift", {}, htmx=True)
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
