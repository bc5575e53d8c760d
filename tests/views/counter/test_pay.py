"""Paying at the counter: split tenders and change, one sale per cart, and at an FBR counter the report that never
holds the sale up (one sold while FBR is down is reported once it returns)."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import func, select

from ismartsync.extensions import db
from ismartsync.models import Customer, FiscalDocument, Sale, SaleStatus, Tender
from ismartsync.models.base import utcnow
from ismartsync.services.audit import Actor
from ismartsync.services.returns.plan import ReturnItem, ReturnRequest
from ismartsync.services.returns.reasons import seed_return_reasons
from ismartsync.services.returns.record import record_return
from ismartsync.services.returns.store_credit import ledger_balance
from ismartsync.services.returns.tenders import RefundTender
from ismartsync.services.stock.ledger import level_of
from jobs.fiscal import sweep
from tests import factories
from tests.markup import element, text_of
from tests.selling import sell
from tests.views.counter.screen import cart_text, the_cart


def test_paying_split_cash_and_card_places_the_sale_once(tablet, items, counter, branch):
    tablet.post("/counter/cart/scan", {"code": items[0].barcode}, htmx=True)
    cart = the_cart(counter)
    dialog = tablet.get("/counter/pay", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "Rs 2,990" in dialog and cart.uuid in dialog  # no FBR POS fee: this counter does not report to FBR
    due = tablet.post("/counter/pay/due", {"sale_uuid": cart.uuid, "card": "2000", "cash": "1000"}, htmx=True)
    assert "Change to give Rs 10" in text_of(due.get_data(as_text=True), "due")

    for nonsense in ("sNaN", "-Infinity"):
        bad = tablet.post("/counter/checkout", {"sale_uuid": cart.uuid, "cash": nonsense}, htmx=True)
        assert bad.status_code == 422
        assert tablet.post("/counter/pay/due", {"sale_uuid": cart.uuid, "card": nonsense}, htmx=True).status_code == 200
    short = tablet.post("/counter/checkout", {"sale_uuid": cart.uuid, "card": "2000", "cash": "900"}, htmx=True)
    assert short.status_code == 422 and "Rs 90 still to pay" in text_of(short.get_data(as_text=True), "pay")
    form = {"sale_uuid": cart.uuid, "card": "2000", "cash": "1000", "card_reference": "4821"}
    first = tablet.post("/counter/checkout", form, htmx=True)
    again = tablet.post("/counter/checkout", form, htmx=True)

    assert first.headers["HX-Redirect"] == again.headers["HX-Redirect"]
    sale = db.session.scalars(select(Sale).where(Sale.status == SaleStatus.PLACED)).one()
    assert first.headers["HX-Redirect"] == f"/counter/sales/{sale.id}"
    assert [(p.tender, p.amount_minor, p.change_minor) for p in sale.payments] == [
        ("card", 200000, 0),
        ("cash", 99000, 1000),
    ]
    assert level_of(db.session, items[0], branch) == 4
    assert db.session.scalar(select(func.count(Sale.id))) == 1
    assert "The cart is empty" in cart_text(tablet.get("/counter"))
    # The change-due update of a keystroke just before "Complete" arrives late: it leaves the receipt screen be.
    late = tablet.post("/counter/pay/due", {"sale_uuid": cart.uuid, "cash": "1000"}, htmx=True)
    assert late.status_code == 204 and "HX-Redirect" not in late.headers


def sell_one(tablet, code: str) -> Sale:
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


def test_a_sale_reports_to_fbr_before_its_receipt_shows(tablet, items, merchant, counter, fbr):
    factories.enable_fbr(merchant, counter)
    db.session.commit()

    sale = sell_one(tablet, items[0].barcode)

    document = document_of(sale)
    assert document.status == "reported"
    receipt = tablet.get(f"/sales/{sale.id}/receipt").get_data(as_text=True)
    assert document.fbr_number in receipt


def test_a_sale_completes_while_fbr_is_down_and_is_reported_once_fbr_returns(
    tablet,
    items,
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
    tablet,
    items,
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


def test_store_credit_pays_at_the_counter_within_the_customers_balance(
    tablet, items, counter, cashier, manager, merchant
):
    """Hina returned a Rs 1,500 khussa for store credit; at the till her credit is offered and spent, never more."""
    seed_return_reasons(db.session, merchant)
    hina = Customer(merchant_id=merchant.id, first_name="Hina", phone="+923001234567")
    db.session.add(hina)
    db.session.flush()
    sold = sell(Actor(cashier, branch_id=counter.branch_id, counter_id=counter.id), counter, items[1])
    approved = Actor(cashier, branch_id=counter.branch_id, counter_id=counter.id, approver=manager)
    back = ReturnRequest(
        uuid=str(uuid.uuid4()),
        sale_id=sold.id,
        items=(ReturnItem(sold.lines[0].id, 1, "wrong_size"),),
        customer_id=hina.id,
        refunds=(RefundTender(Tender.STORE_CREDIT, 150_000),),
    )
    record_return(db.session, approved, counter, back)
    db.session.commit()
    tablet.post("/counter/cart/scan", {"code": items[0].barcode}, htmx=True)
    cart = the_cart(counter)
    without = tablet.get("/counter/pay", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert element(without, "store-credit") is None  # nobody's cart: no store credit to offer
    cart.customer_id = hina.id
    db.session.commit()

    dialog = tablet.get("/counter/pay", headers={"HX-Request": "true"}).get_data(as_text=True)
    too_much = tablet.post(
        "/counter/checkout", {"sale_uuid": cart.uuid, "store_credit": "2000", "cash": "990"}, htmx=True
    )
    paid = tablet.post("/counter/checkout", {"sale_uuid": cart.uuid, "store_credit": "1500", "cash": "1490"}, htmx=True)

    assert "Hina has Rs 1,500 of store credit." in text_of(dialog, "store-credit")
    assert too_much.status_code == 422
    assert "The customer has Rs 1,500 of store credit." in text_of(too_much.get_data(as_text=True), "pay")
    assert paid.status_code == 204 and paid.headers["HX-Redirect"].startswith("/counter/sales/")
    db.session.expire_all()
    sale = db.session.get(Sale, cart.id)
    assert [(p.tender, p.amount_minor) for p in sale.payments] == [("store_credit", 150_000), ("cash", 149_000)]
    assert db.session.get(Customer, hina.id).store_credit_minor == 0 == ledger_balance(db.session, hina.id)
