"""The sales list on a tablet: a sale made elsewhere appears by itself; its receipt prints without the app around it."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from playwright.sync_api import expect
from sqlalchemy import select

from ismartsync.extensions import db
from ismartsync.models import Branch, Counter, Product, Tender, User, Variant
from ismartsync.services import cart as carts
from ismartsync.services.audit import Actor
from ismartsync.services.cash.registers import open_shift, start_register
from ismartsync.services.checkout import Payment, checkout_sale
from ismartsync.services.stock.ledger import record_opening_stock
from tests.browser.conftest import Demo, Tablet
from tests.browser.steps import sign_in_with_password
from tests.browser.test_layout import check_screen

pytestmark = pytest.mark.browser


@pytest.fixture
def sell(live_app: Flask, demo: Demo) -> Callable[[], str]:
    """Sana rings up a lawn suit at Gulberg's Counter 1, paid in cash with change; gives the sale's USIN."""
    with live_app.app_context():
        branch = db.session.get(Branch, demo.gulberg_id)
        counter = db.session.scalar(select(Counter).where(Counter.branch_id == branch.id, Counter.name == "Counter 1"))
        bilal = db.session.scalar(select(User).where(User.full_name == "Bilal Ahmed"))
        sana = db.session.scalar(select(User).where(User.full_name == "Sana Iqbal"))
        product = Product(merchant_id=branch.merchant_id, shopify_id="gid://shopify/Product/801", title="Lawn 3pc")
        variant = Variant(
            merchant_id=branch.merchant_id,
            product=product,
            shopify_id="gid://shopify/ProductVariant/801",
            title="Emerald",
            sku="ZR-801",
            barcode="8964000000801",
            price_minor=450000,
        )
        db.session.add_all([product, variant])
        db.session.flush()
        record_opening_stock(db.session, branch, {variant.id: 20}, "demo")
        start_register(db.session, Actor(bilal), counter, 500_000)
        open_shift(db.session, Actor(sana, counter_id=counter.id), counter)
        db.session.commit()
        ids = (counter.id, sana.id, variant.id)

    def ring_up() -> str:
        with live_app.app_context():
            counter, sana, variant = db.session.get(Counter, ids[0]), db.session.get(User, ids[1]), ids[2]
            actor = Actor(sana, branch_id=counter.branch_id, counter_id=counter.id)
            cart = carts.open_cart(db.session, actor, counter)
            carts.add_variant(db.session, cart, db.session.get(Variant, variant))
            sale = checkout_sale(db.session, actor, counter, cart.uuid, [Payment(Tender.CASH, 500_000)]).sale
            db.session.commit()
            return sale.usin

    return ring_up


def test_a_new_sale_appears_by_itself_and_its_receipt_prints_alone(
    tablet: Tablet, demo: Demo, sell: Callable[[], str]
) -> None:
    page = tablet.page
    first = sell()
    sign_in_with_password(page, "Bilal Ahmed")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Sales").click()
    # A manager of every branch lands on all of them, each sale naming its branch.
    expect(page.locator("#sales-caption")).to_contain_text("All branches")
    expect(page.locator("#sales-list tbody tr").first).to_contain_text(first)
    expect(page.locator("#sales-list tbody tr").first).to_contain_text("Gulberg · Counter 1")
    page.wait_for_load_state("load")  # htmx (deferred) listens for the filter's change only once it has run
    page.get_by_label("Branch").select_option(label="Gulberg")
    expect(page.locator("#sales-caption")).to_contain_text("Gulberg")
    expect(page.locator("#sales-list")).to_contain_text(first)
    assert f"branch={demo.gulberg_id}" in page.url  # a reload or a shared link shows the same branch
    check_screen(tablet, "sales")

    second = sell()  # at the counter, while the list is open
    # The list re-reads itself every 10 s; allow for a busy machine.
    expect(page.locator("#sales-list")).to_contain_text(second, timeout=25_000)

    expect(page.locator(".htmx-request, .htmx-settling, .htmx-swapping")).to_have_count(0)
    page.get_by_role("link", name="No. 2").click()
    expect(page.get_by_role("heading", name="Sale no. 2")).to_be_visible()
    check_screen(tablet, "sale")

    page.get_by_role("link", name="58 mm").click()
    expect(page.locator("#receipt")).to_contain_text("FBR number pending")
    expect(page.locator("#receipt-tenders .r-change")).to_contain_text("Rs 499")
    assert page.locator("header.topbar").count() == 0
    print_button = page.get_by_role("button", name="Print")
    expect(print_button).to_be_visible()
    check_screen(tablet, "receipt-58mm")
    page.emulate_media(media="print")
    expect(print_button).to_be_hidden()
    width_mm = page.locator("#receipt").evaluate("el => el.getBoundingClientRect().width") * 25.4 / 96
    assert 47 <= width_mm <= 49  # 48 mm printed on a 58 mm roll
    font_px = page.locator("#receipt-totals td").first.evaluate("el => parseFloat(getComputedStyle(el).fontSize)")
    assert font_px >= 11
    tablet.shoot("receipt-58mm-print")

    page.emulate_media(media="screen")
    page.get_by_role("link", name="Back").click()
    expect(page.get_by_role("heading", name="Sale no. 2")).to_be_visible()
    assert tablet.unexpected_errors() == []
