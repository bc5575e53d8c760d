"""Pick and pack a COD web order at Gulberg on a tablet: one wrong scan beeps and is refused, the right items are
counted, and Dispatch with a TCS tracking number (after a confirmation saying what it does) takes them off stock."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from playwright.sync_api import expect
from sqlalchemy import select

from ismartsync.extensions import db
from ismartsync.models import Branch, Dispatch, Variant
from ismartsync.services.stock.ledger import level_of
from tests.browser.conftest import ITEMS, Demo, Tablet
from tests.browser.steps import sign_in_with_password
from tests.fulfilment_fixtures import make_fulfilment_order

pytestmark = pytest.mark.browser


@pytest.fixture
def web_order(live_app: Flask, demo: Demo, stocked: None) -> int:
    """A COD order of two of the first item, its fulfilment order open at Gulberg."""
    with live_app.app_context():
        branch = db.session.get(Branch, demo.gulberg_id)
        variant = db.session.scalar(select(Variant).where(Variant.barcode == ITEMS[0][2]))
        fo = make_fulfilment_order(branch, variant, quantity=2, name="#1042", customer_name="Zainab Ali")
        db.session.commit()
        return fo.id


def _scan(page, code: str) -> None:
    field = page.get_by_label("Scan an item")
    field.fill(code)
    field.press("Enter")


def test_pick_a_cod_order_by_scanning_and_dispatch_it_with_tcs(tablet: Tablet, live_app: Flask, demo, web_order):
    page = tablet.page
    sign_in_with_password(page, "Bilal Ahmed")
    page.goto(f"/fulfilment/orders/{web_order}")
    expect(page.get_by_role("heading", name="Pick and pack #1042")).to_be_visible()
    expect(page.locator("#dispatch-button")).to_be_disabled()

    _scan(page, ITEMS[1][2])  # the khussa: not on this order
    expect(page.get_by_text(re.compile("Wrong item: .* is not on this order"))).to_be_visible()
    expect(page.get_by_text("0 of 2", exact=True)).to_be_visible()
    tablet.shoot("fulfilment-wrong-scan")

    _scan(page, ITEMS[0][2])
    expect(page.get_by_text("1 of 2", exact=True)).to_be_visible()
    _scan(page, ITEMS[0][2])
    expect(page.get_by_text("2 of 2", exact=True)).to_be_visible()
    page.get_by_label("Courier").select_option("TCS")
    page.get_by_label("Tracking number").fill("TCS778812345")
    tablet.shoot("fulfilment-picked")

    messages = []
    page.once("dialog", lambda dialog: (messages.append(dialog.message), dialog.accept()))
    page.locator("#dispatch-button").click()

    expect(page.get_by_text("#1042 dispatched.")).to_be_visible()
    expect(page.get_by_role("link", name="TCS778812345")).to_be_visible()
    assert "2 items leave Gulberg stock now" in messages[0] and "Shopify is told" in messages[0]
    tablet.shoot("fulfilment-dispatched")
    with live_app.app_context():
        (dispatch,) = db.session.scalars(select(Dispatch)).all()
        variant = db.session.scalar(select(Variant).where(Variant.barcode == ITEMS[0][2]))
        branch = db.session.get(Branch, demo.gulberg_id)
        assert (dispatch.courier, dispatch.tracking_number, dispatch.units) == ("TCS", "TCS778812345", 2)
        assert level_of(db.session, variant, branch) == 18  # 20 stocked, 2 dispatched
    assert tablet.unexpected_errors(allowed_statuses={422}) == []
