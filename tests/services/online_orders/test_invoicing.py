"""FBR for online sales: a dispatch's invoice and a refused parcel's credit note, written in the dispatch's (or the
return's) transaction and reported by the FBR pipeline against the sandbox, as a counter sale and its return are."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from ismartsync.errors import DomainError
from ismartsync.extensions import db
from ismartsync.models import FiscalDocument, OnlineInvoice
from ismartsync.models.base import utcnow
from ismartsync.pipelines.fbr_report import report_after_checkout, report_document
from ismartsync.services.audit import Actor
from ismartsync.services.fiscal.documents import send_again
from ismartsync.services.fiscal.online_counters import online_reporting_note
from ismartsync.services.fiscal.overdue import count_overdue
from ismartsync.services.online_orders.invoicing import (
    invoices_of_order,
    open_online_credit_note,
    open_online_invoice,
)
from tests import factories
from tests.online_invoicing import make_order, report_online_orders


@pytest.fixture
def items(merchant):
    """A lawn suit at Rs 2,950 and a dupatta at Rs 1,180, both 18 % with tax included, with their PCT codes."""
    suit = factories.VariantFactory(
        product__merchant=merchant, product__title="Lawn suit", sku="LS-01", pct_code="62044200"
    )
    dupatta = factories.VariantFactory(
        product__merchant=merchant, product__title="Dupatta", sku="DP-02", pct_code="62149000", tax_rate_bp=1800
    )
    return suit, dupatta


@pytest.fixture
def reporting(merchant, branch, counter):
    factories.enable_fbr(merchant, counter)
    report_online_orders(branch, counter)
    return counter


@pytest.fixture
def order(merchant, items):
    suit, dupatta = items
    return make_order(merchant, (suit, 2, 295000), (dupatta, 1, 118000))


def dispatch(merchant, branch, order, ref="dispatch-1", lines=None):
    shipped = lines if lines is not None else [(line, line.quantity) for line in order.lines]
    document = open_online_invoice(db.session, merchant, order, branch, shipped, ref)
    db.session.commit()
    return document


def reload(document: FiscalDocument) -> FiscalDocument:
    db.session.expire_all()
    return db.session.get(FiscalDocument, document.id)


def test_a_dispatch_gets_its_own_usin_from_the_counters_sequence_and_fbr_accepts_it(
    merchant, branch, counter, reporting, order, fbr
):
    document = dispatch(merchant, branch, order)

    assert document.usin == f"GUL-C{counter.id}-000001" and counter.last_sale_number == 1
    assert (document.invoice_type, document.pos_id, document.status) == ("1", factories.FIRST_POSID, "pending")
    body = document.request
    assert (body["USIN"], body["POSID"], body["RefUSIN"], body["InvoiceType"]) == (document.usin, 810001, None, 1)
    assert (body["BuyerName"], body["BuyerPhoneNumber"]) == ("Ayesha Khan", "+923001234567")
    assert body["PaymentMode"] == 1  # cash on delivery
    suit, dupatta = body["Items"]
    # Rs 2,950 × 2 with 18 % included: 5,000 + 900; Rs 1,180: 1,000 + 180. Shipping (Rs 250) is not an item.
    assert (suit["ItemCode"], suit["Quantity"], suit["PCTCode"], suit["TaxRate"]) == ("LS-01", 2, "62044200", 18)
    assert (suit["SaleValue"], suit["TaxCharged"], suit["TotalAmount"]) == (5000.0, 900.0, 5900.0)
    assert (dupatta["SaleValue"], dupatta["TaxCharged"], dupatta["TotalAmount"]) == (1000.0, 180.0, 1180.0)
    assert (body["TotalSaleValue"], body["TotalTaxCharged"], body["TotalBillAmount"]) == (6000.0, 1080.0, 7080.0)
    assert body["TotalQuantity"] == 3

    report_after_checkout(db.session, document.id)

    document = reload(document)
    recorded = fbr.control("GET", f"/invoices/{factories.FIRST_POSID}/{document.usin}")
    assert (document.status, document.fbr_number) == ("reported", recorded["InvoiceNumber"])
    assert recorded["body"] == document.request and not document.offline_issued


def test_the_same_dispatch_again_is_the_same_invoice(merchant, branch, counter, reporting, order):
    first = dispatch(merchant, branch, order)
    again = dispatch(merchant, branch, order)

    assert again.id == first.id and counter.last_sale_number == 1
    assert db.session.scalar(select(func.count()).select_from(OnlineInvoice)) == 1


def test_a_card_order_is_reported_as_card(merchant, branch, reporting, items):
    paid = make_order(merchant, (items[0], 1, 295000), name="#1002", cod=False)

    assert dispatch(merchant, branch, paid).request["PaymentMode"] == 2


def test_a_split_dispatch_invoices_each_part_and_never_more_than_was_ordered(
    merchant, branch, counter, reporting, order
):
    suit, dupatta = order.lines
    first = dispatch(merchant, branch, order, "d-1", [(suit, 1)])
    second = dispatch(merchant, branch, order, "d-2", [(suit, 1), (dupatta, 1)])

    assert [first.usin[-6:], second.usin[-6:]] == ["000001", "000002"]
    with pytest.raises(DomainError, match="already invoiced"):
        open_online_invoice(db.session, merchant, order, branch, [(suit, 1)], "d-3")
    with pytest.raises(DomainError, match="Nothing was shipped"):
        open_online_invoice(db.session, merchant, order, branch, [], "d-4")


def test_no_counter_chosen_for_the_branch_means_no_invoice_and_says_why(merchant, branch, counter, order):
    factories.enable_fbr(merchant, counter)  # the counter reports its sales, but nobody chose it for online orders

    assert dispatch(merchant, branch, order) is None
    assert invoices_of_order(db.session, merchant.id, order.id) == [] and counter.last_sale_number == 0
    assert "no counter is chosen" in online_reporting_note(db.session, merchant, branch)


def test_a_chosen_counter_switched_off_reports_nothing_and_says_so(merchant, branch, counter, reporting, order):
    counter.fbr_enabled = False

    assert dispatch(merchant, branch, order) is None
    assert "does not report just now" in online_reporting_note(db.session, merchant, branch)


def test_fbr_down_at_dispatch_reports_it_later_with_the_same_usin(merchant, branch, reporting, order, fbr):
    fbr.control("POST", "/faults", {"mode": "down"})
    document = dispatch(merchant, branch, order)

    report_after_checkout(db.session, document.id)

    document = reload(document)
    assert (document.status, document.offline_issued, document.fbr_number) == ("pending", True, None)
    document.next_attempt_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    report_document(db.session, document.id, trigger="queue", timeout=2)

    document = reload(document)
    assert document.status == "reported" and document.offline_issued
    [invoice] = fbr.control("GET", "/invoices")["invoices"]
    assert invoice["USIN"] == document.usin and invoice["InvoiceNumber"] == document.fbr_number


def test_a_refused_parcel_gets_a_credit_note_against_the_invoice_that_fbr_accepts(
    merchant, branch, counter, reporting, order, fbr
):
    invoice_document = dispatch(merchant, branch, order)
    report_after_checkout(db.session, invoice_document.id)
    invoice = reload(invoice_document).online_invoice

    note = open_online_credit_note(db.session, merchant, invoice, "refused-1")
    db.session.commit()

    assert note.usin == f"GUL-C{counter.id}-000002" and note.usin != invoice.usin
    assert (note.invoice_type, note.ref_usin, note.pos_id) == ("3", invoice.usin, invoice_document.pos_id)
    body = note.request
    assert (body["InvoiceType"], body["RefUSIN"], body["PaymentMode"]) == (3, invoice.usin, 1)
    assert [(i["InvoiceType"], i["RefUSIN"], i["Quantity"]) for i in body["Items"]] == [
        (3, invoice.usin, 2),
        (3, invoice.usin, 1),
    ]
    assert body["TotalBillAmount"] == invoice_document.request["TotalBillAmount"]  # everything came back

    report_after_checkout(db.session, note.id)

    note = reload(note)
    assert note.status == "reported" and note.fbr_number
    recorded = fbr.control("GET", f"/invoices/{factories.FIRST_POSID}/{note.usin}")
    assert recorded["body"]["RefUSIN"] == invoice.usin
    assert open_online_credit_note(db.session, merchant, invoice, "refused-1").id == note.id  # once per return


def test_a_part_returned_is_credited_for_that_part_and_no_more(merchant, branch, reporting, order):
    invoice = dispatch(merchant, branch, order).online_invoice
    suit_line = invoice.lines[0]

    note = open_online_credit_note(db.session, merchant, invoice, "ret-1", lines=[(suit_line, 1)], reason="Returned")

    assert [(i["Quantity"], i["SaleValue"], i["TaxCharged"]) for i in note.request["Items"]] == [(1, 2500.0, 450.0)]
    assert note.online_invoice.reason == "Returned"
    with pytest.raises(DomainError):
        open_online_credit_note(db.session, merchant, invoice, "ret-2", lines=[(suit_line, 2)])


def test_an_item_without_a_pct_code_is_held_back_and_sent_once_the_default_is_set(
    merchant, branch, counter, reporting, manager, fbr
):
    merchant.default_pct_code = ""  # saved before Settings required one: the gift wrap has no code at all
    wrapped = make_order(merchant, (None, 1, 11800), name="#1003")
    document = dispatch(merchant, branch, wrapped)

    assert (document.status, document.offline_issued) == ("rejected", True) and "no PCT code" in document.last_error
    assert fbr.control("GET", "/requests")["requests"] == []  # never sent

    merchant.default_pct_code = "62044200"
    send_again(db.session, Actor(manager), document, utcnow())
    db.session.commit()
    report_document(db.session, document.id, trigger="manual", timeout=2)

    document = reload(document)
    assert document.status == "reported" and document.request["Items"][0]["PCTCode"] == "62044200"
    assert document.request["Items"][0]["ItemName"] == "Gift wrap"


def test_overdue_online_documents_count_as_a_sale_and_a_credit_note(merchant, branch, reporting, order):
    invoice = dispatch(merchant, branch, order).online_invoice
    open_online_credit_note(db.session, merchant, invoice, "refused-1")
    db.session.commit()

    overdue = count_overdue(db.session, (FiscalDocument.merchant_id == merchant.id,))

    assert (overdue.sales, overdue.credit_notes) == (1, 1)
    assert overdue.wording == "1 sale and 1 credit note"
