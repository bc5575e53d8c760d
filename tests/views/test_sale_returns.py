"""A sale's returns away from the counter: listed on the sale's page, each return's page, and its credit note PDF
with the tax invoice's rules on who may download it."""

from __future__ import annotations

from ismartsync.extensions import db
from ismartsync.permissions import Effect, Permission
from ismartsync.services.audit import Actor
from ismartsync.services.roles import set_grant
from tests import factories
from tests.documents import fixtures
from tests.documents.fixtures import FBR_NUMBER, report
from tests.documents.pdf import pdf_qr_codes, pdf_text
from tests.documents.returns import CREDIT_NOTE_FBR_NUMBER, refund_reference, report_credit_note, return_lines
from tests.markup import links_to, text_of
from tests.selling import sell

# The documents' merchant, FBR counter and sale (tests/documents/fixtures.py).
seller, till, items, sale = fixtures.seller, fixtures.till, fixtures.items, fixtures.sale


def _pdf_path(sale_return) -> str:
    return f"/sales/returns/{sale_return.id}/credit-note.pdf"


def _card_reference(sale) -> str:
    return refund_reference(next(p.id for p in sale.payments if p.tender == "card"))


def test_the_sale_page_lists_its_returns_with_their_credit_notes(browser, manager, sale, till, counter):
    report(sale)
    first = return_lines(till, manager, counter, sale, (0, 1, "wrong_size"))
    second = return_lines(till, manager, counter, sale, (1, 1, "defective"))
    report_credit_note(first)
    browser.sign_in(manager)

    html = browser.get(f"/sales/{sale.id}").get_data(as_text=True)

    text = text_of(html, "returns-list")
    assert f"Return no. {first.number}" in text and first.usin in text and second.usin in text
    assert f"{sale.lines[0].name} × 1 (wrong size)" in text
    assert f"{sale.lines[1].name} × 1 (defective, not sellable)" in text
    assert "Rs 2,990" in text and f"Card Rs 2,000 · ref. {_card_reference(sale)}" in text and "Cash Rs 990" in text
    assert CREDIT_NOTE_FBR_NUMBER in text and "Not yet reported" in text  # the second's credit note waits
    assert "Sana Iqbal" in text and "approved by" in text
    links = links_to(html, "returns-list")
    assert _pdf_path(first) in links and _pdf_path(second) in links
    assert f"/sales/returns/{first.id}" in links
    assert "REFUNDED" in html and "PARTIALLY REFUNDED" not in html  # every unit back: the sale's status chip


def test_a_sale_without_returns_says_so(browser, manager, sale):
    browser.sign_in(manager)
    assert "Nothing has been returned" in text_of(
        browser.get(f"/sales/{sale.id}").get_data(as_text=True), "returns-list"
    )


def test_the_return_page_links_the_sale_and_the_credit_note(browser, manager, sale, till, counter):
    report(sale)
    sale_return = return_lines(till, manager, counter, sale, (0, 1, "wrong_size"))
    browser.sign_in(manager)

    html = browser.get(f"/sales/returns/{sale_return.id}").get_data(as_text=True)

    facts = text_of(html, "return-facts")
    assert f"Sale no. {sale.number} · USIN {sale.usin}" in facts and FBR_NUMBER in facts
    assert "Not yet reported to FBR" in facts
    assert f"Card ref. {_card_reference(sale)} Rs 2,000" in text_of(html, "return-refunds")
    assert "Wrong size Restocked" in text_of(html, "return-lines")
    assert _pdf_path(sale_return) in links_to(html, "return-actions")
    assert f"/sales/{sale.id}" in links_to(html, "return-facts")


def test_the_credit_note_downloads_as_a_pdf_named_by_its_usin(browser, manager, sale, till, counter):
    report(sale)
    sale_return = return_lines(till, manager, counter, sale, (0, 1, "wrong_size"))
    browser.sign_in(manager)
    before = browser.get(_pdf_path(sale_return))
    assert "Not yet reported to FBR" in pdf_text(before.get_data()) and pdf_qr_codes(before.get_data()) == []
    report_credit_note(sale_return)

    response = browser.get(_pdf_path(sale_return))

    assert response.status_code == 200 and response.mimetype == "application/pdf"
    disposition = f'attachment; filename="credit-note-{sale_return.usin}.pdf"'
    assert response.headers["Content-Disposition"] == disposition
    assert response.headers["Cache-Control"] == "no-store"
    text = pdf_text(response.get_data())
    assert "Credit Note" in text and f"USIN {sale_return.usin}" in text and f"USIN {sale.usin}" in text
    assert FBR_NUMBER in text and CREDIT_NOTE_FBR_NUMBER in text
    assert "CNIC 35202-1234567-1" in text  # the merchant's own copy is whole
    assert pdf_qr_codes(response.get_data()) == [CREDIT_NOTE_FBR_NUMBER]


def test_a_cashier_who_only_sells_downloads_the_credit_note_but_not_the_page(
    browser, owner, roles, cashier, manager, sale, till, counter
):
    sale_return = return_lines(till, manager, counter, sale, (0, 1, "wrong_size"))
    set_grant(db.session, Actor(owner), roles["Cashier"], Permission.PAGE_ORDERS, Effect.BLOCKED)
    db.session.commit()
    browser.sign_in(cashier)
    assert browser.get(_pdf_path(sale_return)).status_code == 200
    assert browser.get(f"/sales/returns/{sale_return.id}").status_code == 403


def test_another_merchant_or_branch_finds_nothing(
    browser, make_browser, outsider, merchant, roles, manager, sale, till, counter
):
    sale_return = return_lines(till, manager, counter, sale, (0, 1, "wrong_size"))
    browser.sign_in(outsider)
    assert browser.get(_pdf_path(sale_return)).status_code == 404
    assert browser.get(f"/sales/returns/{sale_return.id}").status_code == 404
    dha = factories.BranchFactory(merchant=merchant, name="DHA", code="DHA")
    elsewhere = factories.UserFactory(merchant=merchant, role=roles["Manager"], branches=[dha])
    db.session.commit()
    other = make_browser()
    other.sign_in(elsewhere)
    assert other.get(_pdf_path(sale_return)).status_code == 404
    assert other.get(f"/sales/returns/{sale_return.id}").status_code == 404


def test_the_sales_list_shows_and_filters_partly_refunded_and_refunded(browser, manager, sale, till, counter, items):
    whole = sell(till, counter, items[0])
    db.session.commit()
    return_lines(till, manager, counter, sale, (0, 1, "wrong_size"))
    return_lines(till, manager, counter, whole, (0, 1, "changed_mind"))
    browser.sign_in(manager)

    html = browser.get("/sales").get_data(as_text=True)

    assert "PARTIALLY REFUNDED" in text_of(html, f"sale-{sale.id}")
    assert "REFUNDED" in text_of(html, f"sale-{whole.id}") and "PARTIALLY" not in text_of(html, f"sale-{whole.id}")
    assert ">Partially refunded</option>" in html and ">Refunded</option>" in html
    partly = browser.get("/sales?status=partly_refunded").get_data(as_text=True)
    assert f'id="sale-{sale.id}"' in partly and f'id="sale-{whole.id}"' not in partly
    refunded = browser.get("/sales?status=refunded").get_data(as_text=True)
    assert f'id="sale-{whole.id}"' in refunded and f'id="sale-{sale.id}"' not in refunded
