"""E-receipts: the public link (signed out, tampered, another tenant, a draft, masking, no cookie, expiry, a key
rotation, the rate limit) and sending it from the screen after checkout (the QR, "Email it", WhatsApp)."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import current_app
from itsdangerous import URLSafeSerializer
from sqlalchemy import func, select

from ismartsync.documents.qr import qr_svg
from ismartsync.extensions import db
from ismartsync.models import AuditEntry, Customer, OutgoingEmail, Tender
from ismartsync.models.base import utcnow
from ismartsync.permissions import Effect, Permission
from ismartsync.receipt_codes import receipt_code
from ismartsync.services.audit import Actor
from ismartsync.services.checkout import Payment, checkout_sale
from ismartsync.services.e_receipts import receipt_token
from ismartsync.services.roles import set_grant
from tests import factories
from tests.documents import fixtures
from tests.documents.fixtures import FBR_NUMBER, report
from tests.documents.pdf import pdf_text
from tests.markup import element, field_text, is_fragment, text, text_of
from tests.selling import cart_with, sell

seller, till, items, sale = fixtures.seller, fixtures.till, fixtures.items, fixtures.sale
SECURITY_HEADERS = ("Content-Security-Policy", "X-Content-Type-Options", "X-Frame-Options", "Referrer-Policy")


def _link(sale) -> str:
    return f"/r/{receipt_token(sale)}"


def _legacy(merchant_id: int, sale_id: int, key: str | None = None) -> str:
    """A link as they were sent before receipt keys: the ids signed with the secret key."""
    serializer = URLSafeSerializer(key or current_app.config["SECRET_KEY"], salt="ismartsync.e-receipt")
    return serializer.dumps([merchant_id, sale_id])


def _emails(address: str) -> list[OutgoingEmail]:
    db.session.expire_all()
    return list(db.session.scalars(select(OutgoingEmail).where(OutgoingEmail.to_address == address)))


# The link


def test_the_link_opens_the_receipt_signed_out_with_the_fbr_number(client, sale):
    report(sale)
    response = client.get(_link(sale))
    assert response.status_code == 200
    receipt = text_of(response.get_data(as_text=True), "receipt")
    assert sale.usin in receipt and "Rs 4,391" in receipt
    assert FBR_NUMBER in text_of(response.get_data(as_text=True), "receipt-fbr")
    assert f'href="{_link(sale)}/invoice.pdf"' in response.get_data(as_text=True)


def test_the_customers_receipt_carries_the_barcode_a_return_scans(client, sale):
    code = receipt_code(sale.counter_id, sale.number)
    page = client.get(_link(sale)).get_data(as_text=True)
    barcode = element(page, "receipt-code") or ""
    assert text(barcode) == f"Receipt {code}"
    assert f'aria-label="Receipt code {code}"' in barcode and "barcode-screen" in barcode


def test_the_link_masks_the_buyers_cnic_and_phone(client, sale):
    receipt = text_of(client.get(_link(sale)).get_data(as_text=True), "receipt")
    assert "Buyer Ayesha Khan" in receipt and "Buyer NTN 7654321-0" in receipt
    assert "CNIC •••••-••••567-1" in receipt and "Phone •••••••4567" in receipt
    assert "1234567-1" not in receipt and "03001234567" not in receipt


def test_the_link_sets_no_cookie_and_keeps_the_security_headers(client, sale):
    response = client.get(_link(sale))
    assert "Set-Cookie" not in response.headers
    assert all(name in response.headers for name in SECURITY_HEADERS)
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Robots-Tag"] == "noindex, nofollow"
    html = response.get_data(as_text=True)
    assert "<script" not in html and "csrf_token" not in html and 'class="topbar"' not in html


def test_the_linked_invoice_is_the_customers_masked_copy(client, sale):
    report(sale)
    response = client.get(f"{_link(sale)}/invoice.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"] == f'inline; filename="{sale.usin}.pdf"'
    assert "Set-Cookie" not in response.headers
    text_ = pdf_text(response.get_data())
    assert f"USIN {sale.usin}" in text_ and FBR_NUMBER in text_
    assert "CNIC •••••-••••567-1" in text_ and "35202-1234567-1" not in text_


def _tampered(token: str) -> str:
    body, _, signature = token.rpartition(".")
    return f"{body}.{'A' if signature[0] != 'A' else 'B'}{signature[1:]}"


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda s: ("0" if s.receipt_key[0] != "0" else "1") + s.receipt_key[1:], id="key changed"),
        pytest.param(lambda s: s.receipt_key[:-1], id="key shortened"),
        pytest.param(lambda s: s.receipt_key.upper(), id="key in capitals"),
        pytest.param(lambda s: _tampered(_legacy(s.merchant_id, s.id)), id="signature changed"),
        pytest.param(lambda s: _legacy(s.merchant_id, s.id).replace("W", "X", 1), id="payload changed"),
        pytest.param(
            lambda s: URLSafeSerializer(current_app.config["SECRET_KEY"], salt="ismartsync.device").dumps(
                [s.merchant_id, s.id]
            ),
            id="signed for another purpose",
        ),
        pytest.param(
            lambda s: URLSafeSerializer("another-secret", salt="ismartsync.e-receipt").dumps([s.merchant_id, s.id]),
            id="another key",
        ),
        pytest.param(
            lambda s: URLSafeSerializer(current_app.config["SECRET_KEY"], salt="ismartsync.e-receipt").dumps(
                ["x", s.id]
            ),
            id="not ids",
        ),
        pytest.param(lambda s: "not-a-token", id="garbage"),
    ],
)
def test_a_bad_or_tampered_token_is_not_found(client, sale, make):
    token = make(sale)
    assert client.get(f"/r/{token}").status_code == 404
    assert client.get(f"/r/{token}/invoice.pdf").status_code == 404


def test_a_token_cannot_reach_another_merchants_sale(client, sale, other_merchant):
    theirs = factories.BranchFactory(merchant=other_merchant, name="Theirs", code="THR")
    assert client.get(f"/r/{_legacy(other_merchant.id, sale.id)}").status_code == 404
    assert client.get(f"/r/{_legacy(sale.merchant_id, theirs.id + 10_000)}").status_code == 404


def test_a_draft_has_no_public_receipt(client, counter, till, items):
    cart = cart_with(till, counter, items[0])
    db.session.commit()
    assert client.get(_link(cart)).status_code == 404
    assert client.get(f"{_link(cart)}/invoice.pdf").status_code == 404


def _placed_days_ago(sale, days: float) -> None:
    sale.placed_at = utcnow() - timedelta(days=days)
    db.session.commit()


def test_a_link_opens_for_the_merchants_days_then_says_politely_that_it_expired(client, sale):
    _placed_days_ago(sale, 179)
    assert client.get(_link(sale)).status_code == 200
    _placed_days_ago(sale, 181)
    for path in (_link(sale), f"{_link(sale)}/invoice.pdf"):
        response = client.get(path)
        assert response.status_code == 410 and response.mimetype == "text/html"
        page = text_of(response.get_data(as_text=True), "receipt-expired")
        assert "This receipt link has expired" in page and "Zari keeps receipt links open for 180 days" in page
        assert sale.usin not in response.get_data(as_text=True)  # nothing of the sale itself
        assert response.headers["X-Robots-Tag"] == "noindex, nofollow" and "Set-Cookie" not in response.headers


def test_the_merchants_setting_decides_how_long_links_open(client, sale, seller):
    seller.receipt_link_days = 30
    _placed_days_ago(sale, 31)
    assert client.get(_link(sale)).status_code == 410
    seller.receipt_link_days = 365
    db.session.commit()
    assert client.get(_link(sale)).status_code == 200


def test_links_survive_a_rotation_of_the_secret_key(app, client, sale, monkeypatch):
    old_key = app.config["SECRET_KEY"]
    sent_before = _legacy(sale.merchant_id, sale.id)
    monkeypatch.setitem(app.config, "SECRET_KEY", "a-brand-new-secret-key")
    assert client.get(_link(sale)).status_code == 200  # a receipt key: no secret key is involved
    assert client.get(f"/r/{sent_before}").status_code == 404  # an old signed link, its key gone
    monkeypatch.setitem(app.config, "SECRET_KEY_FALLBACKS", [old_key])
    assert client.get(f"/r/{sent_before}").status_code == 200  # ... kept as a fallback during the rotation


def test_the_public_pages_are_rate_limited_per_address(app, client, sale, monkeypatch):
    monkeypatch.setitem(app.config, "RECEIPT_PDF_LIMIT", "2/minute")
    monkeypatch.setitem(app.config, "RECEIPT_LIMIT", "3/minute")
    pdf = f"{_link(sale)}/invoice.pdf"
    assert [client.get(pdf).status_code for _ in range(3)] == [200, 200, 429]
    assert [client.get(_link(sale)).status_code for _ in range(4)] == [200, 200, 200, 429]
    assert "Too many requests" in text_of(client.get(_link(sale)).get_data(as_text=True), "main")
    elsewhere = client.get(pdf, environ_base={"REMOTE_ADDR": "203.0.113.9"})
    assert elsewhere.status_code == 200  # another address has its own count


def test_a_limit_never_costs_a_request_its_answer_when_redis_is_down(app):
    assert app.config["RATELIMIT_IN_MEMORY_FALLBACK_ENABLED"] and app.config["RATELIMIT_SWALLOW_ERRORS"]


# After checkout


@pytest.fixture
def at_the_counter(browser, cashier):
    browser.sign_in(cashier)
    return browser


def _done(browser, sale) -> str:
    response = browser.get(f"/counter/sales/{sale.id}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_the_screen_after_checkout_shows_the_link_as_a_qr(at_the_counter, client, sale):
    page = _done(at_the_counter, sale)
    share = element(page, "e-receipt") or ""
    link = f"http://localhost{_link(sale)}"
    assert str(qr_svg(link, css_class="qr receipt-link-qr")) in share  # the QR is of the absolute link
    assert f'href="{link}"' in share
    assert client.get(_link(sale)).status_code == 200  # and it opens for someone signed out


def test_the_email_form_starts_with_the_customers_email(at_the_counter, sale):
    form = element(_done(at_the_counter, sale), "receipt-email") or ""
    assert 'value="ayesha@example.pk"' in form and 'hx-post="/sales/' in form


def test_whatsapp_opens_a_chat_with_the_buyers_mobile_carrying_the_link(at_the_counter, sale):
    share = element(_done(at_the_counter, sale), "e-receipt") or ""
    anchor = element(share, "receipt-whatsapp") or ""
    href = anchor.split('href="', 1)[1].split('"', 1)[0].replace("&amp;", "&")
    parts = urlsplit(href)
    assert (parts.scheme, parts.netloc, parts.path) == ("https", "wa.me", "/923001234567")
    [message] = parse_qs(parts.query)["text"]
    assert message == f"Your receipt from Zari ({sale.usin}): http://localhost{_link(sale)}"
    assert "to 03001234567" in text(anchor)


def test_whatsapp_without_a_buyers_mobile_lets_the_cashier_pick_the_chat(at_the_counter, seller, counter, till, items):
    walk_in = sell(till, counter, items[2])
    db.session.commit()
    anchor = element(_done(at_the_counter, walk_in), "receipt-whatsapp") or ""
    assert 'href="https://wa.me/?text=Your%20receipt%20from%20Zari%20' in anchor


def test_email_it_queues_one_email_with_the_invoice_attached_however_often_it_is_tapped(at_the_counter, sale):
    path = f"/sales/{sale.id}/receipt-email"
    first = at_the_counter.post(path, {"email": " ayesha@example.pk "}, htmx=True)
    assert first.status_code == 200 and is_fragment(first.get_data(as_text=True))
    assert "on their way to ayesha@example.pk" in text_of(first.get_data(as_text=True), "receipt-email")
    second = at_the_counter.post(path, {"email": "ayesha@example.pk"}, htmx=True)
    assert second.status_code == 200
    [email] = _emails("ayesha@example.pk")
    assert email.attachments == [{"kind": "sale_invoice", "sale_id": sale.id, "filename": f"{sale.usin}.pdf"}]
    assert email.subject == f"Your receipt from Zari · {sale.usin}"
    assert f"http://localhost{_link(sale)}" in email.body_text
    assert "only the last four digits of your CNIC and phone" in email.body_text
    audited = db.session.scalar(
        select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "sale.email_receipt")
    )
    assert audited == 1


def test_the_same_receipt_to_another_address_is_another_email(at_the_counter, sale):
    path = f"/sales/{sale.id}/receipt-email"
    assert at_the_counter.post(path, {"email": "ayesha@example.pk"}, htmx=True).status_code == 200
    assert at_the_counter.post(path, {"email": "accounts@example.pk"}, htmx=True).status_code == 200
    assert len(_emails("ayesha@example.pk")) == 1 and len(_emails("accounts@example.pk")) == 1


@pytest.mark.parametrize("address", ["", "ayesha", "ayesha@", "a b@example.pk"])
def test_email_it_with_a_bad_address_is_refused_beside_the_field(at_the_counter, sale, address):
    response = at_the_counter.post(f"/sales/{sale.id}/receipt-email", {"email": address}, htmx=True)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert is_fragment(html)
    assert "email address" in field_text(html, "email")
    assert db.session.scalar(select(func.count()).select_from(OutgoingEmail)) == 0


def test_without_javascript_email_it_is_a_form_that_comes_back_to_the_screen(at_the_counter, sale):
    refused = at_the_counter.post(f"/sales/{sale.id}/receipt-email", {"email": "nope"})
    assert refused.status_code == 422 and 'class="topbar"' in refused.get_data(as_text=True)
    sent = at_the_counter.post(f"/sales/{sale.id}/receipt-email", {"email": "ayesha@example.pk"})
    assert sent.status_code == 303 and sent.headers["Location"].endswith(f"/counter/sales/{sale.id}")
    assert "on their way to ayesha@example.pk" in text(_done(at_the_counter, sale))


def test_a_role_with_neither_the_counter_nor_the_orders_page_cannot_email(
    browser, merchant, roles, owner, branch, sale
):
    set_grant(db.session, Actor(owner), roles["Inventory"], Permission.PAGE_ORDERS, Effect.BLOCKED)
    clerk = factories.UserFactory(merchant=merchant, role=roles["Inventory"], branches=[branch])
    db.session.commit()
    browser.sign_in(clerk)
    assert browser.post(f"/sales/{sale.id}/receipt-email", {"email": "x@example.pk"}).status_code == 403
    assert _emails("x@example.pk") == []


def test_signed_out_nobody_can_send_a_receipt(client, sale):
    response = client.post(f"/sales/{sale.id}/receipt-email", data={"email": "x@example.pk"})
    assert response.status_code in (302, 303, 400)  # sign-in first (or the CSRF check before it)
    assert _emails("x@example.pk") == []


def test_a_customer_without_an_email_starts_with_an_empty_field(at_the_counter, seller, counter, till, items):
    cart = cart_with(till, counter, items[0])
    cart.customer = Customer(merchant_id=seller.id, first_name="Bilal", phone="0321 7654321")
    placed = checkout_sale(db.session, till, counter, cart.uuid, [Payment(Tender.CASH, cart.payable_minor)]).sale
    db.session.commit()
    page = _done(at_the_counter, placed)
    assert 'name="email" required type="email" value=""' in (element(page, "field-email") or "")
    assert "wa.me/923217654321?" in (element(page, "receipt-whatsapp") or "")
