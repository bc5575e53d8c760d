"""The cart at tablet sizes: a cashier sees many lines at once, and the amount to pay, without scrolling the page."""

from __future__ import annotations

import pytest
from flask import Flask
from playwright.sync_api import expect

from ismartsync.extensions import db
from ismartsync.models import Branch, Product, Variant
from ismartsync.models.catalog import search_text
from ismartsync.services.stock.ledger import record_opening_stock
from tests.browser.conftest import Demo, Tablet
from tests.browser.steps import open_the_till, scan

pytestmark = pytest.mark.browser

# Names as a clothing shop's catalogue has them: long enough to wrap in a narrow cart.
RACK = [
    ("Lawn 3pc Printed Suit", "Emerald Green"),
    ("Khussa Embroidered", "Size 38"),
    ("Chiffon Dupatta Block Print", "Maroon"),
    ("Kurta Cotton Slub", "Medium"),
    ("Shalwar Cambric Plain", "Large"),
    ("Lawn 2pc Embroidered", "Sky Blue"),
    ("Peshawari Chappal", "Size 42"),
    ("Karandi Shawl", "Charcoal"),
    ("Silk Scarf Digital Print", "Teal"),
    ("Organza Dupatta", "Ivory"),
]
# Lines fully in view, inside the cart's own scrolling list and inside the window.
LINES_IN_VIEW = """() => {
  const list = document.querySelector("#cart .cart-lines");
  let box = list.getBoundingClientRect();
  for (let el = list; el; el = el.parentElement) {
    if (/(auto|scroll)/.test(getComputedStyle(el).overflowY)) { box = el.getBoundingClientRect(); break; }
  }
  const bottom = Math.min(box.bottom, window.innerHeight);
  return [...list.children].filter((li) => {
    const r = li.getBoundingClientRect();
    return r.top >= box.top - 1 && r.bottom <= bottom + 1;
  }).length;
}"""


@pytest.fixture
def rack(live_app: Flask, demo: Demo) -> list[str]:
    with live_app.app_context():
        branch = db.session.get(Branch, demo.gulberg_id)
        variants = []
        for n, (title, variant_title) in enumerate(RACK):
            shopify_id = f"gid://shopify/Product/{950 + n}"
            product = Product(merchant_id=branch.merchant_id, shopify_id=shopify_id, title=title)
            variants.append(
                Variant(
                    merchant_id=branch.merchant_id,
                    product=product,
                    shopify_id=f"gid://shopify/ProductVariant/{950 + n}",
                    title=variant_title,
                    barcode=f"89642000{n:05d}",
                    price_minor=250000 + n * 10000,
                    search_text=search_text(title, variant_title, "", f"89642000{n:05d}"),
                )
            )
        db.session.add_all(variants)
        db.session.flush()
        record_opening_stock(db.session, branch, {v.id: 20 for v in variants}, "demo")
        db.session.commit()
        return [v.barcode for v in variants]


def test_the_cart_shows_many_lines_and_the_pay_button_at_once(tablet: Tablet, rack: list[str]) -> None:
    page = tablet.page
    open_the_till(page)
    for barcode in rack:
        scan(page, barcode)
    expect(page.locator("#cart .cart-lines > li")).to_have_count(len(rack))
    page.evaluate("window.scrollTo(0, 0)")

    in_view = page.evaluate(LINES_IN_VIEW)
    tablet.shoot("counter-long-cart", full_page=False)
    assert in_view >= 7, f"{in_view} cart lines in view"
    pay = page.get_by_role("link", name="Pay Rs")
    box, height = pay.bounding_box(), page.viewport_size["height"]
    assert box is not None and box["y"] + box["height"] <= height, "the Pay button is below the fold"
