"""After checkout on a portrait tablet: the customer's phone scans the receipt's QR and opens it signed out; the
cashier emails it (a double tap sends one email)."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
import zxingcpp
from flask import Flask
from PIL import Image
from playwright.sync_api import Browser, expect
from sqlalchemy import select

from ismartsync.extensions import db
from ismartsync.models import OutgoingEmail, Sale
from ismartsync.models.base import utcnow
from tests.browser.conftest import ITEMS, SCREENSHOTS, Tablet
from tests.browser.steps import open_the_till

pytestmark = pytest.mark.browser


@pytest.fixture
def viewport() -> str:
    """The tablet held upright (800 × 1280), as it stands at the till."""
    return "portrait"


def _sell_one(tablet: Tablet) -> None:
    page = tablet.page
    open_the_till(page)
    expect(page.locator("#scan")).to_be_focused()
    with page.expect_response(lambda r: r.url.endswith("/counter/cart/scan")):
        page.keyboard.type(ITEMS[0][2], delay=5)
        page.keyboard.press("Enter")
    expect(page.locator(".totals")).to_contain_text("Rs 4,501")
    expect(page.locator(".htmx-request, .htmx-settling, .htmx-swapping")).to_have_count(0)
    page.keyboard.press("F4")
    pay = page.locator("#dialog").get_by_role("dialog")
    pay.get_by_role("button", name="Rs 5,000").click()
    expect(pay.locator("#due")).to_contain_text("Change to give Rs 499")
    pay.get_by_role("button", name="Complete sale").click()
    expect(page.get_by_role("heading", name="Change Rs 499")).to_be_visible()


def test_the_customer_scans_the_receipt_off_the_tablet_and_the_cashier_emails_it(
    tablet: Tablet,
    stocked: None,
    chromium: Browser,
    live_server: str,
    live_app: Flask,
) -> None:
    page = tablet.page
    _sell_one(tablet)
    share = page.locator("#e-receipt")
    qr = share.locator("svg.receipt-link-qr")
    expect(qr).to_be_visible()
    box = qr.bounding_box()
    assert box is not None and box["width"] >= 200, box  # big enough for a phone camera off a tablet screen
    tablet.shoot("counter-done-e-receipt")

    # The customer's phone: what the camera reads off the screen is the link, and it opens signed out.
    [found] = zxingcpp.read_barcodes(Image.open(io.BytesIO(qr.screenshot())))
    link = found.text
    assert link.startswith(f"{live_server}/r/")
    assert share.get_by_role("link", name="Open the customer's receipt").get_attribute("href") == link
    phone = chromium.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    try:
        customer = phone.new_page()
        customer.goto(link)
        expect(customer.locator("#receipt")).to_contain_text("Lawn 3pc Printed")
        expect(customer.locator("#receipt")).to_contain_text("Change")
        expect(customer.get_by_role("link", name="Tax invoice (PDF)")).to_be_visible()
        customer.screenshot(path=str(SCREENSHOTS / "e-receipt-phone.png"), full_page=True)
        assert phone.cookies() == []  # the link sets nothing on the customer's phone
    finally:
        phone.close()

    # "Email it", tapped twice: one email.
    form = share.locator("#receipt-email")
    form.get_by_label("Customer's email").fill("customer@example.pk")
    form.get_by_role("button", name="Email it").dblclick()
    expect(share.locator("#receipt-email [role=status]")).to_contain_text("on their way to customer@example.pk")
    expect(page.locator(".htmx-request")).to_have_count(0)
    with live_app.app_context():
        sent = db.session.scalars(select(OutgoingEmail).where(OutgoingEmail.to_address == "customer@example.pk"))
        assert len(sent.all()) == 1
    assert tablet.unexpected_errors() == []


def test_a_link_past_the_shops_days_says_on_the_phone_that_it_expired(
    tablet: Tablet, stocked: None, chromium: Browser, live_server: str, live_app: Flask
) -> None:
    page = tablet.page
    _sell_one(tablet)
    link = page.locator("#e-receipt").get_by_role("link", name="Open the customer's receipt").get_attribute("href")
    with live_app.app_context():
        sale = db.session.scalar(select(Sale).where(Sale.receipt_key == link.rsplit("/", 1)[1]))
        sale.placed_at = utcnow() - timedelta(days=sale.merchant.receipt_link_days + 1)
        db.session.commit()
    phone = chromium.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    try:
        customer = phone.new_page()
        answer = customer.goto(link)
        assert answer is not None and answer.status == 410
        expect(customer.get_by_role("heading", name="This receipt link has expired")).to_be_visible()
        expect(customer.locator("#receipt-expired")).to_contain_text("keeps receipt links open for 180 days")
        customer.screenshot(path=str(SCREENSHOTS / "e-receipt-expired-phone.png"), full_page=True)
    finally:
        phone.close()
