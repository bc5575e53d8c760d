"""A sale at the counter as a cashier makes it: scanner, a discount a supervisor approves, cash and card, receipt."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import ITEMS, Tablet
from tests.browser.steps import open_the_till, scan

pytestmark = pytest.mark.browser


def test_cashier_scans_discounts_with_approval_splits_cash_and_card_and_prints(tablet: Tablet, stocked: None) -> None:
    page = tablet.page
    open_the_till(page)

    for _, _, barcode, _ in ITEMS:
        scan(tablet.page, barcode)
    scan(tablet.page, ITEMS[2][2])  # the dupatta again: its line goes to 2
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
