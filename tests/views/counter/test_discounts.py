"""Discounts at the counter: on a line or the cart, within the cashier's limit or approved beyond it, bad values."""

from __future__ import annotations

from sqlalchemy import select

from ismartsync.extensions import db
from ismartsync.models import AuditEntry
from tests import factories
from tests.markup import text_of
from tests.views.counter.screen import approval_what, cart_text, the_cart


def test_a_discount_within_the_limit_applies_and_beyond_it_needs_a_supervisor(tablet, items, counter, manager):
    tablet.post("/counter/cart/scan", {"code": items[0].barcode}, htmx=True)
    line = the_cart(counter).lines[0]
    ok = tablet.post(f"/counter/cart/lines/{line.id}/discount", {"kind": "percent", "value": "10"}, htmx=True)
    assert ok.status_code == 200 and "−Rs 299" in cart_text(ok)

    asked = tablet.post(f"/counter/cart/lines/{line.id}/discount", {"kind": "percent", "value": "25"}, htmx=True)
    assert asked.status_code == 403 and asked.headers["X-Approval-Required"] == "action.discount_over_limit"
    assert approval_what(asked) == "Discount 25 % on Lawn 3pc — Red (Rs 747.50 off) (over the 10 % cashier limit)"
    wrong = tablet.post(
        f"/counter/cart/lines/{line.id}/discount",
        {"kind": "percent", "value": "25", "approver_id": str(manager.id), "approver_pin": "0000"},
        htmx=True,
    )
    assert wrong.status_code == 422
    approved = tablet.post(
        f"/counter/cart/lines/{line.id}/discount",
        {"kind": "percent", "value": "25", "approver_id": str(manager.id), "approver_pin": factories.PIN},
        htmx=True,
    )
    assert approved.status_code == 200 and "−Rs 747.50" in cart_text(approved)
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "cart.discount_approved")).one()
    assert entry.approver_id == manager.id
    # Approved once: the next scan does not ask again; fewer items under the discount would (see below).
    assert tablet.post("/counter/cart/scan", {"code": items[1].barcode}, htmx=True).status_code == 200


def test_cutting_the_quantity_under_an_amount_off_needs_approval_again(tablet, items, counter, manager):
    tablet.post("/counter/cart/scan", {"code": items[0].barcode}, htmx=True)
    line = the_cart(counter).lines[0]
    tablet.post(f"/counter/cart/lines/{line.id}", {"quantity": "10"}, htmx=True)
    ok = tablet.post(f"/counter/cart/lines/{line.id}/discount", {"kind": "amount", "value": "2990"}, htmx=True)
    assert ok.status_code == 200  # 10 % of 10 × Rs 2,990
    asked = tablet.post(f"/counter/cart/lines/{line.id}", {"quantity": "1"}, htmx=True)
    assert asked.headers["X-Approval-Required"] == "action.discount_over_limit"
    assert approval_what(asked).startswith("Discount 100 % on Lawn 3pc — Red (Rs 2,990 off)")
    assert the_cart(counter).lines[0].quantity == 10  # nothing changed without the PIN


def test_bad_discounts_come_back_beside_the_field(tablet, items, counter):
    tablet.post("/counter/cart/scan", {"code": items[0].barcode}, htmx=True)
    line = the_cart(counter).lines[0]
    response = tablet.post(f"/counter/cart/lines/{line.id}/discount", {"kind": "percent", "value": "120"}, htmx=True)
    assert response.status_code == 422 and response.headers["HX-Retarget"] == "#dialog"
    assert "Enter a percentage from 0 to 100" in text_of(response.get_data(as_text=True), "field-value")
    for nonsense in ("abc", "Infinity", "NaN", "sNaN", "1e999"):
        response = tablet.post("/counter/cart/discount", {"kind": "amount", "value": nonsense}, htmx=True)
        assert response.status_code == 422, nonsense
        response = tablet.post("/counter/cart/discount", {"kind": "percent", "value": nonsense}, htmx=True)
        assert response.status_code == 422, nonsense
