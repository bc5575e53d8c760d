"""A sale at the counter as a cashier makes it: scanner, a discount a supervisor approves, cash and card, receipt."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from playwright.sync_api import expect

from ismartsync.extensions import db
from ismartsync.models import Branch, Product, Variant
from ismartsync.models.catalog import search_text
from ismartsync.services.stock import record_opening_stock
from tests.browser.conftest import Demo, Tablet
from tests.browser.steps import open_the_till

pytestmark = pytest.mark.browser

# (product, variant, barcode, price in paisa)
ITEMS = [
    ("Lawn 3pc Printed", "Emerald", "8964000000011", 450000),
    ("Khussa Embroidered", "Size 38", "8964000000028", 250000),
    ("Cotton Dupatta", "Default Title", "8964000000035", 120000),
]


@pytest.fixture
def stocked(live_app: Flask, demo: Demo) -> None:
    """Three items with barcodes and stock at Gulberg, as an import from Shopify would leave them."""
    with live_app.app_context():
        branch = db.session.get(Branch, demo.gulberg_id)
        variants = []
        for n, (title, variant_title, barcode, price) in enumerate(ITEMS):
            product = Product(
                merchant_id=branch.merchant_id, shopify_id=f"gid://shopify/Product/{700 + n}", title=title
            )
            variant = Variant(
                merchant_id=branch.merchant_id,
                product=product,
                shopify_id=f"gid://shopify/ProductVariant/{700 + n}",
                title=variant_title,
                sku=f"ZR-{700 + n}",
                barcode=barcode,
                price_minor=price,
                search_text=search_text(title, variant_title, f"ZR-{700 + n}", barcode),
            )
            db.session.add_all([product, variant])
            variants.append(variant)
        db.session.flush()
        record_opening_stock(db.session, branch, {v.id: 20 for v in variants}, "demo")
        db.session.commit()


def _scan(tablet: Tablet, code: str) -> None:
    """A keyboard-wedge scanner: the digits typed fast into whatever has the focus, then Enter."""
    page = tablet.page
    expect(page.locator("#scan")).to_be_focused()
    with page.expect_response(lambda r: r.url.endswith("/counter/cart/scan")) as answer:
        page.keyboard.type(code, delay=5)
        page.keyboard.press("Enter")
    assert answer.value.status == 200, answer.value.text()


def test_cashier_scans_discounts_with_approval_splits_cash_and_card_and_prints(tablet: Tablet, stocked: None) -> None:
    page = tablet.page
    open_the_till(page)

    for _, _, barcode, _ in ITEMS:
        _scan(tablet, barcode)
    _scan(tablet, ITEMS[2][2])  # the dupatta again: its line goes to 2
    lines = page.locator(".cart-lines > li")
    expect(lines).to_have_count(3)
    expect(lines.nth(2)).to_contain_text("Cotton Dupatta")
    expect(lines.nth(2).locator("b")).to_have_text("2")
    lines.nth(0).get_by_role("button", name="One more").click()
    expect(lines.nth(0).locator("b")).to_have_text("2")
    lines.nth(0).get_by_role("button", name="One less").click()
    expect(lines.nth(0).locator("b")).to_have_text("1")
    # 4,500 + 2,500 + 2 × 1,200 = 9,400, and the Re 1 POS fee.
    expect(page.locator(".totals")).to_contain_text("Rs 9,401")

    expect(page.locator("#scan")).to_be_focused()  # back in the scan field after tapping − and +
    page.keyboard.type("0000000000")
    page.keyboard.press("Enter")
    expect(page.locator("#cart [role=alert]")).to_contain_text("Nothing matches")
    tablet.shoot("counter-cart")

    page.get_by_role("link", name="Discount").click()
    dialog = page.locator("#dialog")
    dialog.get_by_label("Discount", exact=True).fill("20")
    dialog.get_by_role("button", name="Apply").click()
    approval = page.locator("#dialog").get_by_role("dialog", name="Discount over limit")
    expect(approval).to_be_visible()
    approval.get_by_label("Bilal Ahmed").check()
    approval.get_by_label("Supervisor PIN").fill("1357")
    approval.get_by_role("button", name="Approve").click()
    expect(page.locator("#dialog")).to_be_empty()
    # 20 % of 9,400 = 1,880 off: 7,520, and Re 1.
    expect(page.locator(".totals")).to_contain_text("−Rs 1,880")
    expect(page.locator(".totals")).to_contain_text("Rs 7,521")

    expect(page.locator(".htmx-request, .htmx-settling, .htmx-swapping")).to_have_count(0)
    page.keyboard.press("F4")
    pay = page.locator("#dialog").get_by_role("dialog")
    expect(pay.locator(".pay-total")).to_have_text("Rs 7,521")
    pay.get_by_label("Card (Rs)").fill("5000")
    expect(pay.locator("#due")).to_contain_text("Still to pay Rs 2,521")
    pay.get_by_role("button", name="Rs 3,000").click()  # quick cash: the next round note above Rs 2,521
    expect(pay.locator("#due")).to_contain_text("Change to give Rs 479")
    tablet.shoot("counter-pay", full_page=False)
    pay.get_by_role("button", name=re.compile("Complete sale")).click()

    expect(page.get_by_role("heading", name="Change Rs 479")).to_be_visible()
    expect(page.locator(".receipt-preview")).to_contain_text("Lawn 3pc Printed")
    tablet.shoot("counter-done")
    page.get_by_role("link", name="Print 80 mm").click()
    receipt = page.locator("body")
    for text in ("Card", "Rs 5,000", "Cash", "Rs 3,000", "Change", "Rs 479", "Sana Iqbal", "Gulberg"):
        expect(receipt).to_contain_text(text)
    tablet.shoot("receipt-80mm")
    assert tablet.unexpected_errors(allowed_statuses={403, 422}) == []
