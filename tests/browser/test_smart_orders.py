"""Smart Orders on a tablet: Sana (a Gulberg cashier) finds the COD orders to confirm, opens one, sees the call and
WhatsApp links carry the customer and the order, records "confirmed", and the list shows it."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask
from playwright.sync_api import expect
from sqlalchemy import select

from ismartsync.extensions import db
from ismartsync.models import Branch, ShopifyLocation
from ismartsync.services.online_orders.intake import apply_order
from tests.browser.conftest import Demo, Tablet
from tests.browser.steps import sign_in_with_password
from tests.browser.test_layout import check_screen
from tests.services.online_orders.test_intake import GULBERG, _order

pytestmark = pytest.mark.browser


@pytest.fixture
def cod_order(live_app: Flask, demo: Demo) -> None:
    """#1001, Ayesha Khan's COD order of a lawn suit, assigned to Gulberg's Shopify location."""
    with live_app.app_context():
        branch = db.session.get(Branch, demo.gulberg_id)
        location = db.session.scalar(select(ShopifyLocation).where(ShopifyLocation.branch_id == branch.id))
        if location is None:
            db.session.add(
                ShopifyLocation(merchant_id=branch.merchant_id, shopify_id=GULBERG, name="Gulberg", branch=branch)
            )
            location_id = GULBERG
        else:
            location_id = location.shopify_id
        db.session.flush()
        node = _order()
        node["fulfillmentOrders"]["nodes"][0]["assignedLocation"]["location"]["id"] = location_id
        apply_order(db.session, branch.merchant_id, node)
        db.session.commit()


def test_a_cashier_confirms_a_cod_order_by_whatsapp(tablet: Tablet, demo: Demo, cod_order: None) -> None:
    page = tablet.page
    sign_in_with_password(page, "Sana Iqbal")
    page.goto("/online-orders")
    page.wait_for_load_state("load")
    page.get_by_label("Status").select_option(label="To confirm")
    expect(page).to_have_url(re.compile(r"status=to_confirm"))  # pushed: a reload shows the same list
    expect(page.locator("#online-orders-list tbody tr").first).to_contain_text("#1001")
    check_screen(tablet, "smart-orders")

    page.get_by_role("link", name="#1001").click()
    expect(page.get_by_role("heading", name="Order #1001")).to_be_visible()
    expect(page.locator("#order-call")).to_have_attribute("href", "tel:+923001234567")
    link = urlsplit(page.locator("#order-whatsapp").get_attribute("href") or "")
    text = parse_qs(link.query)["text"][0]
    assert (link.netloc, link.path) == ("wa.me", "/923001234567")
    assert "#1001" in text and "Lawn suit (M / Red) × 2" in text and text.endswith("Reply YES to confirm.")
    check_screen(tablet, "smart-order")

    page.get_by_label("Confirmed").check()
    page.get_by_label("Note").fill("deliver after 5 pm")
    page.get_by_role("button", name="Record").click()
    expect(page.locator("#order-confirmation-state")).to_contain_text("Confirmed")
    expect(page.locator("#order-confirmation-state")).to_contain_text("Sana Iqbal")
    expect(page.locator("#order-confirmations")).to_contain_text("deliver after 5 pm")
    tablet.shoot("smart-order-confirmed")

    page.get_by_role("link", name="Smart Orders").first.click()
    page.wait_for_load_state("load")
    page.get_by_label("Status").select_option(label="Confirmed")
    expect(page).to_have_url(re.compile(r"status=confirmed"))
    expect(page.locator("#online-orders-list tbody tr").first).to_contain_text("#1001")
    expect(page.locator("#online-orders-list tbody tr .order-confirmation").first).to_contain_text("Confirmed")
    assert tablet.unexpected_errors() == []
