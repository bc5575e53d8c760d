"""FBR reporting with credit notes: beside the invoices, marked and pointing at the invoice they correct; their page
leads to the return, the sale and the PDF; sending again and settling work as for a sale."""

from __future__ import annotations

from datetime import timedelta

import pytest

from ismartsync.extensions import db
from ismartsync.models import FiscalDocument, SaleReturn
from ismartsync.models.base import utcnow
from ismartsync.pipelines.fbr_report import report_after_checkout
from ismartsync.services.audit import Actor
from ismartsync.services.fiscal import documents as fiscal
from tests import factories
from tests.documents.returns import return_lines
from tests.markup import links_to, text_of
from tests.selling import open_till, sell, stock_items


@pytest.fixture
def returned(merchant, branch, counter, manager, cashier, fbr) -> tuple[FiscalDocument, FiscalDocument, SaleReturn]:
    """A sale FBR numbered, then one of its items returned: the credit note is written, not sent yet."""
    factories.enable_fbr(merchant, counter)
    till = open_till(manager, cashier, counter)
    items = stock_items(merchant, branch)
    sale = sell(till, counter, *items[:2])
    db.session.commit()
    invoice = fiscal.document_of_sale(db.session, sale.id)
    report_after_checkout(db.session, invoice.id)
    sale_return = return_lines(till, manager, counter, sale, (0, 1, "wrong_size"))
    credit_note = fiscal.document_of_return(db.session, sale_return.id)
    assert credit_note is not None and credit_note.status == "pending"
    db.session.expire_all()
    return db.session.get(FiscalDocument, invoice.id), credit_note, sale_return


def test_credit_notes_are_listed_beside_invoices_and_filtered_apart(browser, manager, returned):
    invoice, credit_note, sale_return = returned
    browser.sign_in(manager)

    rows = text_of(browser.get("/fiscal").get_data(as_text=True), "fiscal-list")

    assert invoice.usin in rows and invoice.fbr_number in rows
    assert f"{credit_note.usin} Credit note Against {invoice.usin} Return no. {sale_return.number}" in rows
    only_notes = text_of(browser.get("/fiscal?type=3").get_data(as_text=True), "fiscal-list")
    assert credit_note.usin in only_notes and f"{invoice.usin} " not in only_notes.replace(
        f"Against {invoice.usin}", ""
    )
    only_invoices = text_of(browser.get("/fiscal?type=1").get_data(as_text=True), "fiscal-list")
    assert invoice.usin in only_invoices and credit_note.usin not in only_invoices
    assert browser.get("/fiscal?type=9").status_code == 200  # an unknown type is every document


def test_a_credit_notes_page_leads_to_its_return_its_sale_and_its_pdf(browser, manager, returned):
    invoice, credit_note, sale_return = returned
    browser.sign_in(manager)

    html = browser.get(f"/fiscal/{credit_note.id}").get_data(as_text=True)

    assert "Credit note" in html
    refers = text_of(html, "fiscal-refers")
    assert f"Return no. {sale_return.number} against sale no. {invoice.sale.number} (USIN {invoice.usin})" in refers
    links = links_to(html, "fiscal-refers")
    assert f"/sales/returns/{sale_return.id}" in links and f"/sales/{invoice.sale_id}" in links
    assert f"/sales/returns/{sale_return.id}/credit-note.pdf" in links
    sent = text_of(html, "fiscal-request")
    assert '"InvoiceType": 3' in sent and f'"RefUSIN": "{invoice.usin}"' in sent


def test_sending_a_credit_note_again_reports_it(browser, manager, returned, fbr):
    _, credit_note, _ = returned
    browser.sign_in(manager)

    response = browser.post(f"/fiscal/{credit_note.id}/send", htmx=True)

    assert response.status_code == 200
    db.session.expire_all()
    document = db.session.get(FiscalDocument, credit_note.id)
    assert document.status == "reported" and document.fbr_number
    recorded = fbr.control("GET", "/invoices")["invoices"]
    assert [(i["USIN"], i["body"]["InvoiceType"]) for i in recorded] == [(returned[0].usin, 1), (document.usin, 3)]
    assert recorded[1]["InvoiceNumber"] == document.fbr_number


def test_settling_a_credit_note_by_hand(browser, manager, returned):
    _, credit_note, _ = returned
    browser.sign_in(manager)

    bad = browser.post(f"/fiscal/{credit_note.id}/settle", {"fbr_number": "x"}, htmx=True)
    assert bad.status_code == 422
    response = browser.post(f"/fiscal/{credit_note.id}/settle", {"fbr_number": "812345FBKP2194812777"})

    assert response.status_code == 200
    db.session.expire_all()
    document = db.session.get(FiscalDocument, credit_note.id)
    assert (document.status, document.fbr_number) == ("reported", "812345FBKP2194812777")


def test_the_overdue_banners_count_sales_and_credit_notes_apart(browser, manager, returned, counter, cashier):
    _, credit_note, _ = returned
    till = Actor(cashier, branch_id=counter.branch_id, counter_id=counter.id)  # the fixture's till is open
    item = stock_items(counter.merchant, counter.branch)[0]
    pending = [fiscal.document_of_sale(db.session, sell(till, counter, item).id) for _ in range(2)]
    for document in (credit_note, *pending):
        db.session.get(FiscalDocument, document.id).created_at = utcnow() - timedelta(hours=13)
    db.session.commit()
    browser.sign_in(manager)

    listed = text_of(browser.get("/fiscal").get_data(as_text=True), "fiscal-overdue")
    assert listed.startswith("2 sales and 1 credit note have had no FBR number for more than 12 hours.")
    assert "Send them again" in listed
    dashboard = text_of(browser.get("/").get_data(as_text=True), "fbr-overdue")
    assert dashboard.startswith("2 sales and 1 credit note have had no FBR number for more than 12 hours.")


def test_a_lone_overdue_credit_note_is_not_called_a_sale(browser, manager, returned):
    _, credit_note, _ = returned
    db.session.get(FiscalDocument, credit_note.id).created_at = utcnow() - timedelta(hours=13)
    db.session.commit()
    browser.sign_in(manager)

    listed = text_of(browser.get("/fiscal").get_data(as_text=True), "fiscal-overdue")
    assert listed.startswith("1 credit note has had no FBR number for more than 12 hours. Send it again")
    assert "sale" not in text_of(browser.get("/").get_data(as_text=True), "fbr-overdue")
