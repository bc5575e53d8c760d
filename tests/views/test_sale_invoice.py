"""Downloading a sale's A4 tax invoice: from the sale page and after checkout, with the receipt's rules on who may."""

from __future__ import annotations

from ismartsync.extensions import db
from ismartsync.permissions import Effect, Permission
from ismartsync.services.audit import Actor
from ismartsync.services.roles import set_grant
from tests import factories
from tests.documents import fixtures
from tests.documents.fixtures import FBR_NUMBER, report
from tests.documents.pdf import pdf_qr_codes, pdf_text
from tests.markup import links_to
from tests.selling import cart_with, open_till, sell

# The documents' merchant, FBR counter and sale (tests/documents/fixtures.py).
seller, till, items, sale = fixtures.seller, fixtures.till, fixtures.items, fixtures.sale


def _path(sale) -> str:
    return f"/sales/{sale.id}/invoice.pdf"


def test_the_invoice_downloads_as_a_pdf_named_by_its_usin(browser, manager, sale):
    report(sale)
    browser.sign_in(manager)
    response = browser.get(_path(sale))
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"] == f'attachment; filename="{sale.usin}.pdf"'
    assert response.headers["Cache-Control"] == "no-store"  # a tax invoice with a buyer's CNIC stays out of caches
    pdf = response.get_data()
    assert pdf.startswith(b"%PDF-")
    text = pdf_text(pdf)
    assert f"USIN {sale.usin}" in text and f"FBR invoice number {FBR_NUMBER}" in text
    assert "CNIC 35202-1234567-1" in text  # the merchant's own copy is whole
    assert pdf_qr_codes(pdf) == [FBR_NUMBER]


def test_a_download_before_and_after_fbr_answers(browser, manager, sale):
    browser.sign_in(manager)
    assert "FBR number pending" in pdf_text(browser.get(_path(sale)).get_data())
    report(sale)
    assert FBR_NUMBER in pdf_text(browser.get(_path(sale)).get_data())


def test_the_sale_page_and_the_screen_after_checkout_offer_it(browser, make_browser, manager, cashier, sale):
    browser.sign_in(manager)
    assert _path(sale) in links_to(browser.get(f"/sales/{sale.id}").get_data(as_text=True), "sale-actions")
    at_the_counter = make_browser()
    at_the_counter.sign_in(cashier)
    assert _path(sale) in at_the_counter.get(f"/counter/sales/{sale.id}").get_data(as_text=True)


def test_a_cashier_who_only_sells_downloads_from_the_counter(browser, owner, roles, cashier, sale):
    set_grant(db.session, Actor(owner), roles["Cashier"], Permission.PAGE_ORDERS, Effect.BLOCKED)
    db.session.commit()
    browser.sign_in(cashier)
    assert browser.get(_path(sale)).status_code == 200


def test_a_role_with_neither_the_counter_nor_the_orders_page_is_refused(browser, merchant, roles, owner, branch, sale):
    set_grant(db.session, Actor(owner), roles["Inventory"], Permission.PAGE_ORDERS, Effect.BLOCKED)
    clerk = factories.UserFactory(merchant=merchant, role=roles["Inventory"], branches=[branch])
    db.session.commit()
    browser.sign_in(clerk)
    assert browser.get(_path(sale)).status_code == 403


def test_another_merchants_sale_is_not_found(browser, outsider, sale):
    browser.sign_in(outsider)
    assert browser.get(_path(sale)).status_code == 404


def test_a_branch_the_member_does_not_work_at_is_not_found(browser, merchant, roles, sale):
    dha = factories.BranchFactory(merchant=merchant, name="DHA", code="DHA")
    elsewhere = factories.UserFactory(merchant=merchant, role=roles["Cashier"], branches=[dha])
    db.session.commit()
    browser.sign_in(elsewhere)
    assert browser.get(_path(sale)).status_code == 404


def test_a_draft_has_no_invoice(browser, manager, counter, till, items):
    cart = cart_with(till, counter, items[0])
    db.session.commit()
    browser.sign_in(manager)
    assert browser.get(_path(cart)).status_code == 404


def test_signed_out_the_download_asks_to_sign_in(client, sale):
    response = client.get(_path(sale))
    assert response.status_code in (302, 303) and "/sign-in" in response.headers["Location"]


def test_a_sale_without_fbr_downloads_without_an_fbr_block(browser, manager, branch, items):
    other = factories.CounterFactory(branch=branch, name="Counter 2")
    placed = sell(open_till(manager, manager, other), other, items[0])
    db.session.commit()
    browser.sign_in(manager)
    text = pdf_text(browser.get(_path(placed)).get_data())
    assert placed.usin in text and "FBR" not in text
