"""Parking a cart and recalling it: from the counter's list, over a cart on screen, from the draft's own page."""

from __future__ import annotations

import re

from sqlalchemy import select

from ismartsync.extensions import db
from ismartsync.models import Sale
from tests.markup import text_of
from tests.views.counter.screen import cart_text


def test_a_cart_is_parked_and_recalled(tablet, items, counter):
    tablet.post("/counter/cart/scan", {"code": items[0].barcode}, htmx=True)
    parked = tablet.post("/counter/cart/park", {"label": "Mrs Khan"}, htmx=True)
    assert "Parked “Mrs Khan”" in cart_text(parked) and "The cart is empty" in cart_text(parked)
    listing = tablet.get("/counter/cart/park", headers={"HX-Request": "true"}).get_data(as_text=True)
    sale_id = re.search(r"/counter/cart/parked/(\d+)/recall", listing).group(1)
    recalled = tablet.post(f"/counter/cart/parked/{sale_id}/recall", {}, htmx=True)
    assert "Lawn 3pc — Red" in cart_text(recalled)


def test_recalling_says_so_before_and_after_when_it_parks_the_cart_on_screen(tablet, items, counter):
    tablet.post("/counter/cart/scan", {"code": items[0].barcode}, htmx=True)
    tablet.post("/counter/cart/park", {"label": "Mrs Khan"}, htmx=True)
    tablet.post("/counter/cart/scan", {"code": "KH-40"}, htmx=True)

    listing = tablet.get("/counter/cart/park", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "Recalling one parks the cart on screen (1 item, Rs 1,500) in its place." in text_of(listing, "recall-note")
    mrs_khan = db.session.scalars(select(Sale).where(Sale.label == "Mrs Khan")).one()
    recalled = tablet.post(f"/counter/cart/parked/{mrs_khan.id}/recall", {}, htmx=True)

    khussa_cart = db.session.scalars(select(Sale).where(Sale.parked_at.is_not(None))).one()
    assert f"Your cart (1 item, Rs 1,500) was parked as “{khussa_cart.label}”" in cart_text(recalled)
    assert "Lawn 3pc — Red" in cart_text(recalled)
    # From the parked draft's own page, without htmx: the counter says it after the redirect.
    assert tablet.post(f"/counter/cart/parked/{khussa_cart.id}/recall", {}).status_code == 303
    counter_page = tablet.get("/counter").get_data(as_text=True)
    assert "Your cart (1 item, Rs 2,990) was parked as “Mrs Khan”" in counter_page


def test_a_parked_draft_opens_on_this_counter_from_its_sale_page(tablet, items, counter):
    tablet.post("/counter/cart/scan", {"code": items[0].barcode}, htmx=True)
    tablet.post("/counter/cart/park", {"label": "Quote for Mrs Khan"}, htmx=True)
    draft = db.session.scalars(select(Sale).where(Sale.label == "Quote for Mrs Khan")).one()
    page = tablet.get(f"/sales/{draft.id}").get_data(as_text=True)
    assert "Open on Counter 1 to check out" in page

    response = tablet.post(f"/counter/cart/parked/{draft.id}/recall", {})

    assert response.status_code == 303 and response.headers["Location"] == "/counter"
    assert "Lawn 3pc — Red" in cart_text(tablet.get("/counter"))
