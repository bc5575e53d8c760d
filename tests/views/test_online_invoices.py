"""An online order's invoices for the parcel: the list under the order, the A4 PDF and the 80/58 mm thermal copy
(FBR number and QR once reported, "FBR number pending" before), Settings → FBR's online counter per branch, and FBR
reporting listing them as "Online order #1001"."""

from __future__ import annotations

import pypdfium2
import pytest

from ismartsync.extensions import db
from ismartsync.models import OnlineReportingCounter, Role
from ismartsync.pipelines.fbr_report import report_after_checkout
from ismartsync.services.online_orders.invoicing import open_online_credit_note, open_online_invoice
from tests import factories
from tests.online_invoicing import make_order, report_online_orders


def pdf_text(pdf: bytes) -> str:
    document = pypdfium2.PdfDocument(pdf)
    try:
        return "\n".join(page.get_textpage().get_text_range() for page in document)
    finally:
        document.close()


@pytest.fixture
def order(merchant, branch):
    suit = factories.VariantFactory(product__merchant=merchant, product__title="Lawn suit", sku="LS-01")
    return make_order(merchant, (suit, 2, 295000), branch=branch)


@pytest.fixture
def invoiced(merchant, branch, counter, order):
    """#1001 dispatched from Gulberg, whose online orders Counter 1 (POSID 810001) reports: not yet sent to FBR."""
    factories.enable_fbr(merchant, counter)
    report_online_orders(branch, counter)
    document = open_online_invoice(db.session, merchant, order, branch, [(order.lines[0], 2)], "dispatch-1")
    db.session.commit()
    return document


def test_before_fbr_answers_the_parcel_invoice_says_the_number_is_pending(browser, manager, order, invoiced):
    browser.sign_in(manager)
    base = f"/online-orders/{order.id}/invoices/{invoiced.online_invoice_id}"

    pdf = browser.get(f"{base}.pdf")
    thermal = browser.get(f"{base}/receipt?paper=58").get_data(as_text=True)

    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    text = pdf_text(pdf.data)
    assert "Tax invoice" in text and invoiced.usin in text and "#1001" in text and "FBR number pending" in text
    assert "Ayesha Khan" in text and "810001" in text
    assert "TAX INVOICE" in thermal and invoiced.usin in thermal and "FBR number pending" in thermal
    assert "paper-58" in thermal


def test_once_reported_the_pdf_and_the_thermal_copy_carry_the_fbr_number_and_its_qr(
    browser, manager, order, invoiced, fbr
):
    report_after_checkout(db.session, invoiced.id)
    db.session.refresh(invoiced)
    browser.sign_in(manager)
    base = f"/online-orders/{order.id}/invoices/{invoiced.online_invoice_id}"

    text = pdf_text(browser.get(f"{base}.pdf").data)
    thermal = browser.get(f"{base}/receipt?paper=80").get_data(as_text=True)

    assert invoiced.fbr_number and invoiced.fbr_number in text and "pending" not in text
    assert invoiced.fbr_number in thermal and "<svg" in thermal and "9966" in thermal and "paper-80" in thermal


def test_a_refused_parcels_credit_note_prints_as_a_credit_note_against_the_invoice(
    browser, manager, merchant, order, invoiced, fbr
):
    report_after_checkout(db.session, invoiced.id)
    note = open_online_credit_note(db.session, merchant, invoiced.online_invoice, "refused-1")
    db.session.commit()
    browser.sign_in(manager)

    text = pdf_text(browser.get(f"/online-orders/{order.id}/invoices/{note.online_invoice_id}.pdf").data)
    listing = browser.get(f"/online-orders/{order.id}/invoices").get_data(as_text=True)

    assert "Credit Note" in text and note.usin in text and invoiced.usin in text and "Refused at the door" in text
    assert invoiced.usin in listing and note.usin in listing and "Credit note" in listing


def test_the_order_lists_its_invoices_with_their_fbr_state(browser, manager, order, invoiced):
    browser.sign_in(manager)

    html = browser.get(f"/online-orders/{order.id}/invoices").get_data(as_text=True)

    assert invoiced.usin in html and "FBR number pending" in html and "Print 80 mm" in html


def test_an_order_at_a_branch_without_an_online_counter_says_it_is_not_reported(browser, manager, merchant, order):
    browser.sign_in(manager)

    html = browser.get(f"/online-orders/{order.id}/invoices").get_data(as_text=True)

    assert "No invoice yet" in html
    assert "not reported to FBR: no counter is chosen for them in Settings → FBR" in html


def test_fbr_reporting_lists_online_invoices_beside_counter_sales(browser, manager, order, invoiced):
    browser.sign_in(manager)

    listed = browser.get("/fiscal").get_data(as_text=True)
    found = browser.get("/fiscal?q=%231001").get_data(as_text=True)
    page = browser.get(f"/fiscal/{invoiced.id}").get_data(as_text=True)

    assert "Online order #1001" in listed and invoiced.usin in listed
    assert invoiced.usin in found
    assert "Online order #1001" in page and f"/online-orders/{order.id}/invoices" in page


def test_another_orders_invoice_or_a_branch_the_member_does_not_see_is_not_found(
    browser, merchant, branch, cashier, order, invoiced
):
    other_order = make_order(merchant, (None, 1, 10000), name="#1002", branch=branch)
    elsewhere = factories.BranchFactory(merchant=merchant, name="DHA")
    db.session.commit()
    browser.sign_in(cashier)
    assert browser.get(f"/online-orders/{order.id}/invoices/{invoiced.online_invoice_id}.pdf").status_code == 200
    assert browser.get(f"/online-orders/{other_order.id}/invoices/{invoiced.online_invoice_id}.pdf").status_code == 404

    cashier.branches = [elsewhere]
    db.session.commit()

    assert browser.get(f"/online-orders/{order.id}/invoices").status_code == 404
    assert browser.get(f"/online-orders/{order.id}/invoices/{invoiced.online_invoice_id}/receipt").status_code == 404


def test_a_member_without_the_orders_page_is_refused(browser, merchant, order, invoiced):
    trainee = Role(merchant=merchant, name="Trainee")
    db.session.add(trainee)
    member = factories.UserFactory(merchant=merchant, role=trainee, all_branches=True)
    db.session.commit()
    browser.sign_in(member)
    base = f"/online-orders/{order.id}/invoices"

    for path in (base, f"{base}/{invoiced.online_invoice_id}.pdf", f"{base}/{invoiced.online_invoice_id}/receipt"):
        assert browser.get(path).status_code == 403, path


# --- Settings → FBR ------------------------------------------------------------------------------------------------


def test_settings_choose_the_counter_that_reports_a_branchs_online_orders(browser, owner, merchant, branch, counter):
    factories.enable_fbr(merchant, counter)
    factories.CounterFactory(branch=branch, name="Counter 2")  # not switched on for FBR: not offered
    db.session.commit()
    browser.sign_in(owner)
    page = browser.get("/settings/fbr").get_data(as_text=True)
    assert "no counter is chosen" in page and "Counter 1 · POSID 810001" in page and "Counter 2 · POSID" not in page

    response = browser.post(
        f"/settings/fbr/branches/{branch.id}/online-counter", {"counter_id": str(counter.id)}, htmx=True
    )

    assert response.status_code == 200
    assert "Online orders dispatched from here are reported to FBR" in response.get_data(as_text=True)
    row = db.session.query(OnlineReportingCounter).one()
    assert (row.branch_id, row.counter_id) == (branch.id, counter.id)

    cleared = browser.post(f"/settings/fbr/branches/{branch.id}/online-counter", {"counter_id": ""}, htmx=True)
    assert "no counter is chosen" in cleared.get_data(as_text=True)
    assert db.session.query(OnlineReportingCounter).count() == 0


def test_a_counter_not_reporting_to_fbr_cannot_be_chosen(browser, owner, merchant, branch, counter):
    db.session.commit()
    browser.sign_in(owner)

    response = browser.post(
        f"/settings/fbr/branches/{branch.id}/online-counter", {"counter_id": str(counter.id)}, htmx=True
    )

    assert response.status_code == 422
    assert "Not a valid choice" in response.get_data(as_text=True)
    assert db.session.query(OnlineReportingCounter).count() == 0
