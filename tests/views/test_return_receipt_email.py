"""The screen after a return offers the customer's copy as the screen after a sale does: the return's link (behind
the sale's) as a QR, "Email it" with the credit note attached (once per address a minute, audited), and WhatsApp;
bad addresses are refused beside the field, and nobody without the counter or the orders page can send one."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import func, select

from ismartsync.documents.qr import qr_svg
from ismartsync.extensions import db
from ismartsync.models import AuditEntry, OutgoingEmail, SaleReturn
from ismartsync.permissions import Effect, Permission
from ismartsync.services.audit import Actor
from ismartsync.services.e_receipts import receipt_token
from ismartsync.services.email import render_attachments
from ismartsync.services.roles import set_grant
from tests import factories
from tests.documents import fixtures
from tests.documents.pdf import pdf_text
from tests.documents.returns import refund_reference, return_lines
from tests.markup import element, field_text, is_fragment, text, text_of

seller, till, items, sale = fixtures.seller, fixtures.till, fixtures.items, fixtures.sale


@pytest.fixture
def returned(sale, till, manager, counter) -> SaleReturn:
    """The documents' sale with its Rs 2,990 line returned by its cashier (Rs 2,000 back to the card)."""
    return return_lines(till, manager, counter, sale, (0, 1, "wrong_size"))


@pytest.fixture
def at_the_counter(browser, cashier):
    browser.sign_in(cashier)
    return browser


def _link(sale_return: SaleReturn) -> str:
    return f"http://localhost/r/{receipt_token(sale_return.sale)}/returns/{sale_return.id}"


def _done(browser, sale_return: SaleReturn) -> str:
    response = browser.get(f"/counter/refunds/{sale_return.id}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _emails(address: str) -> list[OutgoingEmail]:
    db.session.expire_all()
    return list(db.session.scalars(select(OutgoingEmail).where(OutgoingEmail.to_address == address)))


def test_the_screen_after_a_return_shows_its_link_as_a_qr_with_email_and_whatsapp(at_the_counter, client, returned):
    share = element(_done(at_the_counter, returned), "e-receipt") or ""
    assert text_of(share, "e-receipt-title") == "Return receipt on the customer's phone"
    link = _link(returned)
    assert str(qr_svg(link, css_class="qr receipt-link-qr")) in share and f'href="{link}"' in share
    form = element(share, "receipt-email") or ""
    assert f'hx-post="/sales/returns/{returned.id}/receipt-email"' in form and 'value="ayesha@example.pk"' in form
    anchor = element(share, "receipt-whatsapp") or ""
    href = anchor.split('href="', 1)[1].split('"', 1)[0].replace("&amp;", "&")
    parts = urlsplit(href)
    assert (parts.netloc, parts.path) == ("wa.me", "/923001234567") and "to 03001234567" in text(anchor)
    assert parse_qs(parts.query)["text"] == [f"Your return receipt from Zari ({returned.usin}): {link}"]
    assert client.get(link.removeprefix("http://localhost")).status_code == 200  # it opens signed out


def test_email_it_queues_one_email_with_the_credit_note_however_often_it_is_tapped(at_the_counter, returned):
    path = f"/sales/returns/{returned.id}/receipt-email"
    first = at_the_counter.post(path, {"email": " ayesha@example.pk "}, htmx=True)
    assert first.status_code == 200 and is_fragment(first.get_data(as_text=True))
    said = text_of(first.get_data(as_text=True), "receipt-email")
    assert "Return receipt and credit note on their way to ayesha@example.pk" in said
    assert at_the_counter.post(path, {"email": "ayesha@example.pk"}, htmx=True).status_code == 200

    [email] = _emails("ayesha@example.pk")
    filename = f"credit-note-{returned.usin}.pdf"
    assert email.attachments == [{"kind": "credit_note", "sale_return_id": returned.id, "filename": filename}]
    assert email.subject == f"Your return receipt from Zari · {returned.usin}"
    assert _link(returned) in email.body_text and f"against sale {returned.sale.usin}" in email.body_text
    card = next(p.id for p in returned.sale.payments if p.tender == "card")
    assert f"Card refunded (ref. {refund_reference(card)}): Rs 2,000" in email.body_text
    audited = db.session.scalar(
        select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "return.email_receipt")
    )
    assert audited == 1
    # What the email pipeline attaches when it sends: the customer's copy of the credit note, masked.
    [attached] = render_attachments(db.session, email)
    pdf = pdf_text(attached.data)
    assert attached.filename == filename and "Credit Note" in pdf and returned.usin in pdf
    assert "35202-1234567-1" not in pdf and "•••••-••••567-1" in pdf


@pytest.mark.parametrize("address", ["", "ayesha", "a b@example.pk"])
def test_a_bad_address_is_refused_beside_the_field(at_the_counter, returned, address):
    response = at_the_counter.post(f"/sales/returns/{returned.id}/receipt-email", {"email": address}, htmx=True)
    assert response.status_code == 422 and is_fragment(response.get_data(as_text=True))
    assert "email address" in field_text(response.get_data(as_text=True), "email")
    assert db.session.scalar(select(func.count()).select_from(OutgoingEmail)) == 0


def test_without_javascript_it_comes_back_to_the_return_screen(at_the_counter, returned):
    refused = at_the_counter.post(f"/sales/returns/{returned.id}/receipt-email", {"email": "nope"})
    assert refused.status_code == 422 and 'class="topbar"' in refused.get_data(as_text=True)
    sent = at_the_counter.post(f"/sales/returns/{returned.id}/receipt-email", {"email": "ayesha@example.pk"})
    assert sent.status_code == 303 and sent.headers["Location"].endswith(f"/counter/refunds/{returned.id}")
    assert "on their way to ayesha@example.pk" in text(_done(at_the_counter, returned))


def test_a_role_with_neither_the_counter_nor_the_orders_page_cannot_email(
    browser, merchant, roles, owner, branch, returned
):
    set_grant(db.session, Actor(owner), roles["Inventory"], Permission.PAGE_ORDERS, Effect.BLOCKED)
    clerk = factories.UserFactory(merchant=merchant, role=roles["Inventory"], branches=[branch])
    db.session.commit()
    browser.sign_in(clerk)
    assert browser.post(f"/sales/returns/{returned.id}/receipt-email", {"email": "x@example.pk"}).status_code == 403
    assert _emails("x@example.pk") == []


def test_another_merchants_return_is_a_404(browser, other_merchant, returned):
    stranger = factories.UserFactory(merchant=other_merchant, role=factories.roles_of(other_merchant)["Owner"])
    db.session.commit()
    browser.sign_in(stranger)
    assert browser.post(f"/sales/returns/{returned.id}/receipt-email", {"email": "x@example.pk"}).status_code == 404
    assert _emails("x@example.pk") == []
