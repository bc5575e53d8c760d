"""A return's customer copy behind the sale's own link (/r/<key>/returns/<id>): its page and its credit note PDF,
masked, signed out; only the returns of the sale the link names, and only while the link opens."""

from __future__ import annotations

from datetime import timedelta

from ismartsync.extensions import db
from ismartsync.models.base import utcnow
from ismartsync.services.e_receipts import receipt_token
from tests.documents import fixtures
from tests.documents.fixtures import report
from tests.documents.pdf import pdf_qr_codes, pdf_text
from tests.documents.returns import CREDIT_NOTE_FBR_NUMBER, refund_reference, report_credit_note, return_lines
from tests.markup import links_to, text_of
from tests.selling import sell

seller, till, items, sale = fixtures.seller, fixtures.till, fixtures.items, fixtures.sale


def _link(sale) -> str:
    return f"/r/{receipt_token(sale)}"


def test_the_sales_link_lists_its_returns_and_opens_each(client, sale, till, manager, counter):
    report(sale)
    sale_return = return_lines(till, manager, counter, sale, (0, 1, "wrong_size"))
    report_credit_note(sale_return)

    receipt = client.get(_link(sale)).get_data(as_text=True)
    page_path = f"{_link(sale)}/returns/{sale_return.id}"
    assert page_path in links_to(receipt, "receipt-returns")
    assert "Rs 2,990" in text_of(receipt, "receipt-returns")

    response = client.get(page_path)

    assert response.status_code == 200 and response.headers["X-Robots-Tag"] == "noindex, nofollow"
    assert "Set-Cookie" not in response.headers
    html = response.get_data(as_text=True)
    copy = text_of(html, "return-receipt")
    assert sale_return.usin in copy and sale.usin in copy and "Wrong size" in copy
    card = next(p.id for p in sale.payments if p.tender == "card")
    assert f"Card ({refund_reference(card)}) Rs 2,000" in text_of(html, "return-refunds")
    assert CREDIT_NOTE_FBR_NUMBER in text_of(html, "return-fbr")
    assert f"{page_path}/credit-note.pdf" in html


def test_the_credit_note_pdf_is_the_masked_copy_inline(client, sale, till, manager, counter):
    sale_return = return_lines(till, manager, counter, sale, (0, 1, "wrong_size"))
    report_credit_note(sale_return)

    response = client.get(f"{_link(sale)}/returns/{sale_return.id}/credit-note.pdf")

    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"] == f'inline; filename="credit-note-{sale_return.usin}.pdf"'
    text = pdf_text(response.get_data())
    assert "Credit Note" in text and sale_return.usin in text
    assert "35202-1234567-1" not in text and "03001234567" not in text and "•••••-••••567-1" in text
    assert pdf_qr_codes(response.get_data()) == [CREDIT_NOTE_FBR_NUMBER]


def test_another_sales_link_does_not_open_this_return(client, sale, till, manager, counter, items):
    sale_return = return_lines(till, manager, counter, sale, (0, 1, "wrong_size"))
    other = sell(till, counter, items[0])
    db.session.commit()
    for suffix in ("", "/credit-note.pdf"):
        assert client.get(f"{_link(other)}/returns/{sale_return.id}{suffix}").status_code == 404
        assert client.get(f"/r/{'0' * 32}/returns/{sale_return.id}{suffix}").status_code == 404


def test_an_expired_link_opens_no_return(client, sale, till, manager, counter):
    sale_return = return_lines(till, manager, counter, sale, (0, 1, "wrong_size"))
    sale.placed_at = utcnow() - timedelta(days=181)
    db.session.commit()
    for suffix in ("", "/credit-note.pdf"):
        response = client.get(f"{_link(sale)}/returns/{sale_return.id}{suffix}")
        assert response.status_code == 410 and sale_return.usin not in response.get_data(as_text=True)
