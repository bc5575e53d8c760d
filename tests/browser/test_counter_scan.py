"""Scanning fast on a slow tablet: every code sent by Enter lands in the cart exactly once, with a tone and a flash."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

import pytest
from flask import Flask
from playwright.sync_api import CDPSession, expect

from ismartsync.extensions import db
from ismartsync.models import Branch, Product, Variant
from ismartsync.models.catalog import search_text
from ismartsync.services.stock.ledger import record_opening_stock
from tests.browser.conftest import Demo, Tablet
from tests.browser.steps import open_the_till

pytestmark = pytest.mark.browser

# (name, SKU, barcode): a cashier types either.
SHELF = [(f"Lawn Suit {n}", f"LS-{n:03d}", f"896410000{n:04d}") for n in range(1, 9)]


@pytest.fixture
def shelf(live_app: Flask, demo: Demo) -> None:
    with live_app.app_context():
        branch = db.session.get(Branch, demo.gulberg_id)
        variants = []
        for n, (title, sku, barcode) in enumerate(SHELF):
            shopify_id = f"gid://shopify/Product/{900 + n}"
            product = Product(merchant_id=branch.merchant_id, shopify_id=shopify_id, title=title)
            variants.append(
                Variant(
                    merchant_id=branch.merchant_id,
                    product=product,
                    shopify_id=f"gid://shopify/ProductVariant/{900 + n}",
                    title="Default Title",
                    sku=sku,
                    barcode=barcode,
                    price_minor=150000 + n * 10000,
                    search_text=search_text(title, "", sku, barcode),
                )
            )
        db.session.add_all(variants)
        db.session.flush()
        record_opening_stock(db.session, branch, {v.id: 50 for v in variants}, "demo")
        db.session.commit()


@pytest.fixture
def slow_tablet(tablet: Tablet) -> Iterator[CDPSession]:
    """A cheap tablet on shop Wi-Fi: the CPU four times slower, 40 ms each way."""
    cdp = tablet.page.context.new_cdp_session(tablet.page)
    cdp.send("Network.enable")
    cdp.send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": 40, "downloadThroughput": -1, "uploadThroughput": -1},
    )
    yield cdp
    cdp.detach()


@pytest.mark.parametrize("viewport", ["landscape"])
def test_every_code_entered_lands_once_even_while_the_search_box_is_searching(
    tablet: Tablet, shelf: None, slow_tablet: CDPSession
) -> None:
    page = tablet.page
    open_the_till(page)
    page.evaluate("window.added = 0; document.addEventListener('item-added', () => window.added++)")
    slow_tablet.send("Emulation.setCPUThrottlingRate", {"rate": 4})

    # Barcodes and SKUs, some twice. Enter comes 160 ms after the last key (the search box's own search, fired
    # 150 ms after it, is on its way) or 40 ms after it (that search's timer has not fired yet); the next code is
    # typed at once, while the adds before it are still on their way.
    codes = [barcode if n % 2 else sku for n, (_, sku, barcode) in enumerate(SHELF)]
    codes += [SHELF[0][2], SHELF[3][1], SHELF[0][1], SHELF[7][2]]
    for n, code in enumerate(codes):
        page.keyboard.type(code, delay=5)
        page.wait_for_timeout(160 if n % 2 == 0 else 40)
        page.keyboard.press("Enter")

    wanted = Counter(next(name for name, sku, barcode in SHELF if code in (sku, barcode)) for code in codes)
    lines = page.locator(".cart-lines > li")
    expect(lines).to_have_count(len(wanted), timeout=30_000)
    expect(page.locator(".totals")).to_contain_text(f"Subtotal ({len(codes)} items)", timeout=30_000)
    got = {lines.nth(i).locator("a").inner_text().split("\n")[0]: int(lines.nth(i).locator("b").inner_text())
           for i in range(len(wanted))}
    assert got == dict(wanted)
    expect(page.locator("#scan")).to_have_value("")
    expect(page.locator("#scan")).to_be_focused()
    assert page.evaluate("window.added") == len(codes)  # a tone for every add
    expect(page.locator("#cart [role=alert]")).to_have_count(0)
    slow_tablet.send("Emulation.setCPUThrottlingRate", {"rate": 1})
    tablet.shoot("counter-scanned-fast")
    # htmx logs each search it aborted for an add as an error; nothing else may be logged.
    aborted = ("htmx:sendAbort, [object HTMLDivElement]", "htmx:afterRequest, [object HTMLDivElement]")
    assert [e for e in tablet.unexpected_errors() if e not in aborted] == []


@pytest.mark.parametrize("viewport", ["landscape"])
def test_enter_in_the_pay_dialog_completes_the_sale_while_the_change_due_is_worked_out(
    tablet: Tablet, shelf: None, slow_tablet: CDPSession
) -> None:
    page = tablet.page
    open_the_till(page)
    page.keyboard.type(SHELF[0][2], delay=5)
    page.keyboard.press("Enter")
    expect(page.locator(".cart-lines > li")).to_have_count(1)
    page.keyboard.press("F4")
    expect(page.get_by_label("Cash received (Rs)")).to_be_focused()
    slow_tablet.send("Emulation.setCPUThrottlingRate", {"rate": 4})

    page.keyboard.type("2000", delay=5)
    page.wait_for_timeout(130)  # the change due, asked for 120 ms after the last key, is on its way
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", name="Change Rs 499")).to_be_visible(timeout=15_000)  # Rs 1,500 and Re 1
