"""Credit notes: every return of a reported sale is reported to FBR as its own document (fbr.md §2.2, §2.6), through
the same pipeline as sales, and the FBR sandbox takes it the way FBR would be expected to."""

from __future__ import annotations

from datetime import timedelta

import pytest

from ismartsync.extensions import db
from ismartsync.models import FiscalDocument, SaleReturn, Tender
from ismartsync.models.base import utcnow
from ismartsync.pipelines.fbr_report import report_after_checkout, report_document
from ismartsync.services import cart as carts
from ismartsync.services.checkout import Payment, checkout_sale
from ismartsync.services.fiscal import documents as fiscal
from ismartsync.services.pricing import Discount, DiscountKind
from ismartsync.services.returns.record import record_return
from tests import factories
from tests.selling import cart_with, sell
from tests.services.returns.conftest import request_for


@pytest.fixture
def fbr_sale(till, counter, items, merchant):
    """A sale reported to the sandbox from an FBR counter: a lawn suit (Third Schedule) and two kurtas on one line,
    5 % off the order, paid Rs 2,000 by card and the rest in cash."""
    factories.enable_fbr(merchant, counter)
    items[0].third_schedule = True
    db.session.flush()
    cart = cart_with(till, counter, items[0], items[1], items[1])
    carts.set_discount(
        db.session, till, cart, None, Discount(DiscountKind.PERCENT, 500)
    )  # 5 % off the order, within the cashier's limit
    placed = checkout_sale(
        db.session, till, counter, cart.uuid, [Payment(Tender.CARD, 200_000), Payment(Tender.CASH, 10**7)]
    )
    db.session.commit()
    report_after_checkout(db.session, placed.fiscal_document_id)
    return placed.sale


def credit_note_of(sale_return: SaleReturn) -> FiscalDocument:
    document = fiscal.document_of_return(db.session, sale_return.id)
    assert document is not None
    return document


def test_the_credit_note_payload_follows_fbr_field_by_field_and_the_sandbox_accepts_it(
    fbr, fbr_sale, approved, counter
):
    sale = fbr_sale
    sale_document = fiscal.document_of_sale(db.session, sale.id)
    assert sale_document.status == "reported"
    done = record_return(db.session, approved, counter, request_for(sale, (0, 1), (1, 1)))
    db.session.commit()
    document = credit_note_of(done.sale_return)
    body = document.request
    ret = done.sale_return

    # §2.6: its own USIN, header InvoiceType 3, RefUSIN = the sale's USIN; items 3 (12 for Third Schedule) with it.
    assert body["USIN"] == ret.usin == document.usin != sale.usin
    assert (body["InvoiceType"], body["RefUSIN"], document.invoice_type) == (3, sale.usin, "3")
    assert [(i["InvoiceType"], i["RefUSIN"]) for i in body["Items"]] == [(12, sale.usin), (3, sale.usin)]
    # §2.2: the POSID the sale was reported under, InvoiceNumber left to FBR, PascalCase fields only.
    assert (body["POSID"], body["InvoiceNumber"]) == (sale_document.request["POSID"], "")
    assert set(body) == set(sale_document.request)
    # Items: the returned quantities, their pro-rated refunds as positive figures (§2.6 sign [U]), value + tax.
    sold = {i["ItemCode"]: i for i in sale_document.request["Items"]}
    for item, line in zip(body["Items"], ret.lines, strict=True):
        assert item["Quantity"] == line.quantity == 1
        assert item["SaleValue"] == line.value_minor / 100 and item["TaxCharged"] == line.tax_minor / 100
        assert item["TotalAmount"] == pytest.approx(item["SaleValue"] + item["TaxCharged"])
        assert item["Discount"] == line.discount_excl_minor / 100
        original = sold[item["ItemCode"]]
        assert (item["PCTCode"], item["TaxRate"], item["ItemName"]) == (
            original["PCTCode"],
            original["TaxRate"],
            original["ItemName"],
        )
    # Header totals are the items' sums; the bill is what was refunded (the POS fee is not).
    assert body["TotalQuantity"] == 2
    assert body["TotalBillAmount"] == pytest.approx(ret.total_minor / 100)
    assert body["TotalSaleValue"] == pytest.approx(sum(i["SaleValue"] for i in body["Items"]))
    assert body["TotalTaxCharged"] == pytest.approx(sum(i["TaxCharged"] for i in body["Items"]))
    # Back to the card first (its Rs 2,000), the rest in cash: two kinds of tender, FBR's Mixed.
    assert [r.tender for r in ret.refunds] == [Tender.CARD, Tender.CASH] and body["PaymentMode"] == 5
    assert body["BuyerName"] == sale_document.request["BuyerName"]

    report_after_checkout(db.session, document.id)

    document = db.session.get(FiscalDocument, document.id, populate_existing=True)
    recorded = fbr.control("GET", f"/invoices/{factories.FIRST_POSID}/{ret.usin}")
    assert (document.status, document.fbr_number) == ("reported", recorded["InvoiceNumber"])
    assert recorded["body"] == body


def test_the_sandbox_refuses_a_credit_note_beyond_what_was_sold(fbr, fbr_sale, approved, counter):
    sale = fbr_sale
    first = record_return(db.session, approved, counter, request_for(sale, (1, 2)))
    db.session.commit()
    report_after_checkout(db.session, credit_note_of(first.sale_return).id)
    assert credit_note_of(first.sale_return).status == "reported"
    # A client that lost count sends the same two kurtas again under a new USIN: FBR would refuse it.
    body = dict(credit_note_of(first.sale_return).request, USIN=f"{sale.usin}-X")
    answer = fbr.app.test_client().post(
        "/FBR/v1/api/Live/PostData", json=body, headers={"Authorization": f"Bearer {factories.FBR_TOKEN}"}
    )
    assert answer.json["Code"] == "102"
    assert any("more than the 2 sold" in e for e in answer.json["Errors"])
    unknown = dict(body, RefUSIN="NOPE-C1-000001", Items=[dict(i, RefUSIN="NOPE-C1-000001") for i in body["Items"]])
    answer = fbr.app.test_client().post(
        "/FBR/v1/api/Live/PostData", json=unknown, headers={"Authorization": f"Bearer {factories.FBR_TOKEN}"}
    )
    assert any("is not an invoice recorded for POSID" in e for e in answer.json["Errors"])


def test_fbr_down_during_a_return_reports_the_credit_note_later_with_the_same_usin(fbr, fbr_sale, approved, counter):
    fbr.control("POST", "/faults", {"mode": "down"})
    done = record_return(db.session, approved, counter, request_for(fbr_sale, (1, 1)))
    db.session.commit()
    document = credit_note_of(done.sale_return)

    report_after_checkout(db.session, document.id)

    document = db.session.get(FiscalDocument, document.id, populate_existing=True)
    assert (document.status, document.offline_issued, document.fbr_number) == ("pending", True, None)
    document.next_attempt_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    report_document(db.session, document.id, trigger="queue", timeout=2)

    document = db.session.get(FiscalDocument, document.id, populate_existing=True)
    assert document.status == "reported"
    assert [(a.trigger, a.outcome) for a in document.attempt_log] == [
        ("checkout", "unreachable"),
        ("queue", "reported"),
    ]
    recorded = fbr.control("GET", f"/invoices/{factories.FIRST_POSID}/{done.sale_return.usin}")
    assert recorded["InvoiceNumber"] == document.fbr_number and recorded["body"]["USIN"] == document.usin


def test_a_sale_never_reported_gets_no_credit_note(till, approved, counter, items):
    sale = sell(till, counter, items[0])
    done = record_return(db.session, approved, counter, request_for(sale, (0, 1)))
    assert done.fiscal_document_id is None
