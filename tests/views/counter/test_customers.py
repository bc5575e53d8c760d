"""The customer on the cart: added at the counter (bad input shown beside the field), found by phone."""

from __future__ import annotations

from sqlalchemy import select

from ismartsync.extensions import db
from ismartsync.models import Customer
from tests.markup import text_of
from tests.views.counter.screen import cart_text


def test_a_new_customer_is_created_and_attached_and_bad_input_is_shown(tablet, items, counter, merchant):
    tablet.post("/counter/cart/scan", {"code": items[0].barcode}, htmx=True)
    bad = tablet.post("/counter/cart/customer/new", {"name": "Ayesha Khan", "phone": "12345"}, htmx=True)
    assert bad.status_code == 422 and "Enter a Pakistani mobile" in text_of(bad.get_data(as_text=True), "field-phone")
    good = tablet.post(
        "/counter/cart/customer/new",
        {"name": "Ayesha Khan", "phone": "+92 300 1234567", "cnic": "35202-1234567-1"},
        htmx=True,
    )
    assert good.status_code == 200 and "Ayesha Khan" in cart_text(good)
    customer = db.session.scalars(select(Customer).where(Customer.merchant_id == merchant.id)).one()
    assert (customer.phone, customer.cnic) == ("03001234567", "3520212345671")
    again = tablet.post(
        "/counter/cart/customer/new", {"name": "Ali Raza", "phone": "0300-1234567", "ntn": "1234567"}, htmx=True
    )
    assert "already Ayesha Khan's number" in cart_text(again)
    db.session.expire_all()
    assert db.session.get(Customer, customer.id).ntn == "1234567"
    found = tablet.get(
        "/counter/cart/customer?q=0300 123", headers={"HX-Request": "true", "HX-Target": "customer-results"}
    )
    assert "Ayesha Khan" in found.get_data(as_text=True)
