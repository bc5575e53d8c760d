"""An exchange held on the cart, at the counter: parked with the cart (the next customer's cart starts clean), listed
with its credit, recalled and finished on another tablet as a credit note and a sale; cancelled, it is gone; refused
at pay (422, nothing written) when its unit was returned meanwhile; paid twice, it is one exchange."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from ismartsync.extensions import db
from ismartsync.models import FiscalDocument, Sale, SaleReturn, SaleStatus
from ismartsync.services.audit import Actor
from ismartsync.services.returns.reasons import seed_return_reasons
from ismartsync.services.returns.record import ReturnItem, ReturnRequest, record_return
from tests import factories
from tests.markup import element, text_of
from tests.selling import sell, selling_tablet
from tests.views.counter.screen import cart_text, the_cart

HX = {"HX-Request": "true"}


@pytest.fixture
def sold(tablet, cashier, counter, items, merchant):
    """Sana's sale at an FBR counter: a Lawn 3pc (Rs 2,990) and a Khussa (Rs 1,500), the last khussa in stock."""
    factories.enable_fbr(merchant, counter)
    seed_return_reasons(db.session, merchant)
    sale = sell(Actor(cashier, branch_id=counter.branch_id, counter_id=counter.id), counter, *items)
    db.session.commit()
    return sale


def _exchange_khussa(tablet, sale, key: str = "held-exchange-0001"):
    khussa = sale.lines[1]
    form = {
        "sale_id": sale.id,
        "return_uuid": key,
        f"quantity-{khussa.id}": "1",
        f"reason-{khussa.id}": "wrong_size",
        f"restock-{khussa.id}": "on",
    }
    held = tablet.post("/counter/returns/exchange", form, htmx=True)
    assert held.status_code == 204 and held.headers["HX-Redirect"] == "/counter"
    return held


def _returns(sale) -> list[SaleReturn]:
    db.session.expire_all()
    return list(db.session.scalars(select(SaleReturn).where(SaleReturn.sale_id == sale.id)))


def test_a_parked_exchange_leaves_the_next_cart_clean_and_another_tablet_finishes_it(
    tablet, sold, items, make_browser, manager, branch, merchant, counter
):
    _exchange_khussa(tablet, sold)
    tablet.post("/counter/cart/scan", {"code": items[0].barcode}, htmx=True)  # the Rs 2,990 lawn
    exchange_cart = the_cart(counter)

    parked = tablet.post("/counter/cart/park", {"label": "Mrs Khan"}, htmx=True)

    assert "Parked “Mrs Khan”" in cart_text(parked) and "exchange-note" not in parked.get_data(as_text=True)
    tablet.post("/counter/cart/scan", {"code": items[0].barcode}, htmx=True)  # the next customer's lawn
    screen = tablet.get("/counter").get_data(as_text=True)
    assert element(screen, "exchange-note") is None and element(screen, "exchange-credit") is None
    assert "Pay Rs 2,991" in text_of(screen, "cart")  # the whole price (and the Re 1 POS fee): no credit
    listing = tablet.get("/counter/cart/park", headers=HX).get_data(as_text=True)
    assert text_of(listing, f"parked-exchange-{exchange_cart.id}") == f"Exchange: Rs 1,500 credit from sale {sold.usin}"

    # Another cashier at another counter of the branch recalls it: the exchange comes back with the cart.
    other = factories.CounterFactory(branch=branch, name="Counter 2")
    factories.enable_fbr(merchant, counter, other)
    second = selling_tablet(make_browser(), manager, manager, other)
    recalled = second.post(f"/counter/cart/parked/{exchange_cart.id}/recall", {}, htmx=True)
    assert "Rs 1,500 back from sale" in text_of(recalled.get_data(as_text=True), "exchange-note")
    assert text_of(recalled.get_data(as_text=True), "exchange-due") == "Rs 1,491"

    done = second.post("/counter/checkout", {"sale_uuid": exchange_cart.uuid, "cash": "1491"}, htmx=True)

    assert done.status_code == 204 and done.headers["HX-Redirect"].startswith("/counter/refunds/")
    [returned] = _returns(sold)
    new_sale = db.session.get(Sale, exchange_cart.id)
    assert returned.kind == "exchange" and returned.exchange_sale_id == new_sale.id and returned.total_minor == 150_000
    assert new_sale.status == SaleStatus.PLACED and new_sale.exchange_request is None
    assert sorted((p.tender, p.amount_minor) for p in new_sale.payments) == [("cash", 149_100), ("exchange", 150_000)]
    documents = db.session.scalars(select(FiscalDocument).where(FiscalDocument.sale_id.in_([sold.id, new_sale.id])))
    kinds = {(d.invoice_type, d.usin, d.ref_usin) for d in documents}
    assert ("3", returned.usin, sold.usin) in kinds and ("1", new_sale.usin, None) in kinds  # credit note and sale
    assert element(second.get("/counter").get_data(as_text=True), "exchange-note") is None
    assert element(tablet.get("/counter").get_data(as_text=True), "exchange-note") is None


def test_cancelling_the_exchange_clears_it_from_the_cart_and_the_cart_sells_on_its_own(tablet, sold, items, counter):
    _exchange_khussa(tablet, sold)
    tablet.post("/counter/cart/scan", {"code": items[0].barcode}, htmx=True)

    assert tablet.post("/counter/exchange/cancel", {}, htmx=True).headers["HX-Redirect"] == "/counter"

    cart = the_cart(counter)
    assert cart.exchange_request is None and len(cart.lines) == 1
    assert element(tablet.get("/counter").get_data(as_text=True), "exchange-note") is None
    placed = tablet.post("/counter/checkout", {"sale_uuid": cart.uuid, "cash": "2991"}, htmx=True)
    assert placed.status_code == 204 and placed.headers["HX-Redirect"] == f"/counter/sales/{cart.id}"
    assert _returns(sold) == []


def test_an_exchange_whose_unit_was_returned_meanwhile_is_refused_at_pay_and_nothing_is_written(
    tablet, sold, items, counter, manager, cashier
):
    _exchange_khussa(tablet, sold)
    tablet.post("/counter/cart/scan", {"code": items[0].barcode}, htmx=True)
    cart = the_cart(counter)
    # Meanwhile another tablet gives the khussa back as a plain return.
    khussa = ReturnRequest("plain-return-1", sold.id, (ReturnItem(sold.lines[1].id, 1, "wrong_size"),))
    record_return(db.session, Actor(cashier, counter_id=counter.id, approver=manager), counter, khussa)
    db.session.commit()

    why = "This exchange can no longer be made. Khussa was returned already. Cancel the exchange"
    assert why in text_of(tablet.get("/counter").get_data(as_text=True), "exchange-error")
    refused = tablet.post("/counter/checkout", {"sale_uuid": cart.uuid, "cash": "2991"}, htmx=True)

    assert refused.status_code == 422 and why in text_of(refused.get_data(as_text=True), "pay-error")
    assert [r.uuid for r in _returns(sold)] == ["plain-return-1"]
    cart = the_cart(counter)
    assert cart.status == SaleStatus.DRAFT and cart.exchange_request is not None and cart.payments == []
    # Cancelled, the same cart is an ordinary sale again.
    tablet.post("/counter/exchange/cancel", {}, htmx=True)
    assert tablet.post("/counter/checkout", {"sale_uuid": cart.uuid, "cash": "2991"}, htmx=True).status_code == 204


def test_paying_for_an_exchange_twice_is_one_exchange_and_shows_its_return_again(tablet, sold, items, counter, manager):
    _exchange_khussa(tablet, sold)
    tablet.post("/counter/cart/scan", {"code": items[0].barcode}, htmx=True)
    cart = the_cart(counter)
    paid = {"sale_uuid": cart.uuid, "cash": "1491", "approver_id": manager.id, "approver_pin": factories.PIN}

    first = tablet.post("/counter/checkout", paid, htmx=True)
    again = tablet.post("/counter/checkout", paid, htmx=True)

    assert first.status_code == again.status_code == 204
    assert re.fullmatch(r"/counter/refunds/\d+", first.headers["HX-Redirect"])
    assert again.headers["HX-Redirect"] == first.headers["HX-Redirect"]
    assert len(_returns(sold)) == 1
    placed = db.session.scalar(select(func.count(Sale.id)).where(Sale.counter_id == counter.id, Sale.status != "draft"))
    assert placed == 2  # the sale that came back and the exchange's sale
