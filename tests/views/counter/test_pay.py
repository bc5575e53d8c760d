"""Selling at an FBR counter: the sale never waits on FBR; one sold while FBR is down is reported once it returns."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from ismartsync.extensions import db
from ismartsync.models import FiscalDocument, Sale
from ismartsync.models.base import utcnow
from jobs.fiscal import sweep
from tests import factories
from tests.markup import element, text_of
from tests.views.counter.test_cart import items, tablet  # noqa: F401  (the selling fixtures)


def sell_one(tablet, code: str) -> Sale:  # noqa: F811
    tablet.post("/counter/cart/scan", {"code": code}, htmx=True)
    db.session.expire_all()
    cart = db.session.scalars(select(Sale).where(Sale.status == "draft")).one()
    response = tablet.post("/counter/checkout", {"sale_uuid": cart.uuid, "cash": "5000"})
    assert response.status_code == 303, response.get_data(as_text=True)
    db.session.expire_all()
    return db.session.get(Sale, cart.id)


def document_of(sale: Sale) -> FiscalDocument:
    db.session.expire_all()
    return db.session.scalars(select(FiscalDocument).where(FiscalDocument.sale_id == sale.id)).one()


def test_a_sale_reports_to_fbr_before_its_receipt_shows(tablet, items, merchant, counter, fbr):  # noqa: F811
    factories.enable_fbr(merchant, counter)
    db.session.commit()

    sale = sell_one(tablet, items[0].barcode)

    document = document_of(sale)
    assert document.status == "reported"
    receipt = tablet.get(f"/sales/{sale.id}/receipt").get_data(as_text=True)
    assert document.fbr_number in receipt


def test_a_sale_completes_while_fbr_is_down_and_is_reported_once_fbr_returns(
    tablet,  # noqa: F811
    items,  # noqa: F811
    merchant,
    counter,
    fbr,
    run_jobs,
):
    factories.enable_fbr(merchant, counter)
    db.session.commit()
    fbr.control("POST", "/faults", {"mode": "down", "count": 1000})

    sale = sell_one(tablet, items[0].barcode)

    assert sale.status == "placed"
    document = document_of(sale)
    assert (document.status, document.offline_issued, document.fbr_number) == ("pending", True, None)
    assert "FBR number pending" in tablet.get(f"/sales/{sale.id}/receipt").get_data(as_text=True)

    fbr.control("DELETE", "/faults")  # FBR is back; the first backoff step (30 s) passes
    document.next_attempt_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    sweep()
    run_jobs("fiscal")

    document = document_of(sale)
    assert document.status == "reported" and document.offline_issued
    [invoice] = fbr.control("GET", "/invoices")["invoices"]
    assert (invoice["USIN"], invoice["InvoiceNumber"]) == (sale.usin, document.fbr_number)
    assert document.fbr_number in tablet.get(f"/sales/{sale.id}/receipt").get_data(as_text=True)



def test_an_item_without_any_pct_code_is_never_sent_and_can_be_sent_once_fixed(
    tablet,  # noqa: F811
    items,  # noqa: F811
    merchant,
    counter,
    manager,
    make_browser,
    fbr,
):
    factories.enable_fbr(merchant, counter)
    merchant.default_pct_code = ""  # switched on before a default PCT code was required
    db.session.commit()

    sale = sell_one(tablet, items[0].barcode)

    assert sale.status == "placed"  # the sale stands
    assert fbr.control("GET", "/requests")["requests"] == []  # FBR never saw a blank PCTCode
    document = document_of(sale)
    assert (document.status, document.attempts, document.request) == ("rejected", 0, None)
    assert "FBR number pending" in tablet.get(f"/sales/{sale.id}/receipt").get_data(as_text=True)

    office = make_browser()
    office.sign_in(manager)
    page = office.get(f"/fiscal/{document.id}").get_data(as_text=True)
    assert "Why not sent Not sent to FBR: Lawn 3pc — Red has no PCT code" in text_of(page, "fiscal-facts")
    assert "It was never sent" in text_of(page, "fiscal-actions")
    refused = office.post(f"/fiscal/{document.id}/send", htmx=True)  # nothing fixed yet
    assert refused.status_code == 422 and fbr.control("GET", "/requests")["requests"] == []

    merchant.default_pct_code = "62044200"
    db.session.commit()
    sent = office.post(f"/fiscal/{document.id}/send", htmx=True)

    assert "FBR answered: invoice number" in sent.get_data(as_text=True)
    [invoice] = fbr.control("GET", "/invoices")["invoices"]
    assert invoice["body"]["Items"][0]["PCTCode"] == "62044200" and document_of(sale).status == "reported"


def test_the_cart_marks_items_without_a_pct_code_of_their_own_at_an_fbr_counter(
    tablet,  # noqa: F811
    items,  # noqa: F811
    merchant,
    counter,
):
    lawn, khussa = items
    khussa.pct_code = "64039900"
    db.session.commit()
    tablet.post("/counter/cart/scan", {"code": lawn.barcode}, htmx=True)
    cart = tablet.post("/counter/cart/scan", {"code": khussa.barcode}, htmx=True).get_data(as_text=True)
    assert "PCT" not in text_of(cart, "cart")  # the counter does not report: nothing to say

    factories.enable_fbr(merchant, counter)
    db.session.commit()
    lines = element(tablet.get("/counter").get_data(as_text=True), "cart")
    marks = re.findall(r'<li[^>]*>.*?</li>', lines, re.S)
    assert ["FBR gets the default 62044200.\">no PCT code</em>" in mark for mark in marks] == [True, False]

    merchant.default_pct_code = ""
    db.session.commit()
    cart = tablet.post("/counter/cart/scan", {"code": khussa.barcode}, htmx=True).get_data(as_text=True)
    assert text_of(cart, "cart").count("no PCT code: not reportable") == 1
