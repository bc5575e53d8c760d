"""Selling at an FBR counter: the sale never waits on FBR; one sold while FBR is down is reported once it returns."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from ismartsync.extensions import db
from ismartsync.models import FiscalDocument, Sale
from ismartsync.models.base import utcnow
from jobs.fiscal import sweep
from tests import factories
from tests.views.test_counter_selling import items, tablet  # noqa: F401  (the selling fixtures)


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
