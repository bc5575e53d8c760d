"""The drawer at the counter: its strip over the selling screen, cash in and out, the drawer limit's safe drop."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from ismartsync.extensions import db
from ismartsync.models import CashLog
from ismartsync.models.base import utcnow
from tests import factories
from tests.markup import text_of
from tests.selling import the_shift


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


def test_a_blind_closing_cashier_is_asked_for_a_safe_drop_without_the_amount(tablet, merchant):
    merchant.blind_close, merchant.drawer_limit_minor = True, 400_000
    db.session.commit()
    strip = text_of(tablet.get("/counter").get_data(as_text=True), "drawer")
    assert "Make a safe drop." in strip and "Rs 1,000" not in strip
    dialog = tablet.get("/counter/cash?reason=safe_drop", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "1000.00" not in dialog and "should hold" not in dialog
