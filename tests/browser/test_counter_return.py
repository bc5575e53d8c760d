"""Return mode at the counter, as a cashier uses it: after a split-tender sale, F10, the scanner reads the receipt's
barcode (decoded here off the receipt on screen, as a scanner would), and the sale shows with its branch, date,
tenders and lines; a miss says why beside the field; Esc goes back to selling."""

from __future__ import annotations

import io
import re

import pytest
import zxingcpp
from PIL import Image
from playwright.sync_api import Page, expect

from tests.browser.conftest import ITEMS, Tablet
from tests.browser.steps import open_the_till, scan

pytestmark = pytest.mark.browser


def _sell_two_items_split(page: Page) -> None:
    """Lawn and Khussa, Rs 7,001 with the POS fee: Rs 2,000 by card, the rest in cash."""
    scan(page, ITEMS[0][2])
    scan(page, ITEMS[1][2])
    expect(page.locator(".totals")).to_contain_text("Rs 7,001")
    expect(page.locator(".htmx-request, .htmx-settling, .htmx-swapping")).to_have_count(0)
    page.keyboard.press("F4")
    pay = page.locator("#dialog").get_by_role("dialog")
    pay.get_by_label("Card (Rs)").fill("2000")
    expect(pay.locator("#due")).to_contain_text("Still to pay Rs 5,001")
    pay.get_by_role("button", name="Rs 5,001").click()
    pay.get_by_role("button", name=re.compile("Complete sale")).click()
    expect(page.locator(".receipt-preview")).to_contain_text("Lawn 3pc Printed")


def _scan_receipt_barcode(page: Page) -> str:
    """What a scanner reads off the receipt's barcode: decoded from the receipt as the screen shows it."""
    barcode = page.locator(".receipt-preview .receipt-barcode")
    expect(barcode).to_be_visible()
    image = Image.open(io.BytesIO(barcode.screenshot(scale="device")))
    [found] = [c for c in zxingcpp.read_barcodes(image) if c.format == zxingcpp.BarcodeFormat.Code128]
    expect(page.locator(".receipt-preview .r-code-text")).to_have_text(f"Receipt {found.text}")
    return found.text


def test_f10_and_a_scan_of_the_receipt_find_the_sale(tablet: Tablet, stocked: None) -> None:
    page = tablet.page
    open_the_till(page)
    _sell_two_items_split(page)
    code = _scan_receipt_barcode(page)
    usin = page.locator(".receipt-preview .r-facts dd").nth(1).inner_text()

    page.get_by_role("link", name="Next customer").click()
    expect(page.locator("#scan")).to_be_focused()
    expect(page.locator("#return-mode")).to_be_visible()
    tablet.shoot("counter-with-return-button", full_page=False)
    page.keyboard.press("F10")
    expect(page.get_by_role("heading", name="↩ Return")).to_be_visible()
    expect(page.locator("#return-code")).to_be_focused()
    tablet.shoot("counter-return-mode", full_page=False)

    # A code that is no sale's: the reason beside the field, and the field ready for the next scan.
    page.keyboard.type("GUL-C1-999999", delay=5)
    page.keyboard.press("Enter")
    expect(page.locator("#return-code-error")).to_contain_text("No sale of yours has")
    tablet.shoot("counter-return-not-found", full_page=False)

    page.locator("#return-code").fill("")
    page.keyboard.type(code, delay=5)  # the scanner: the digits, then Enter
    page.keyboard.press("Enter")
    panel = page.locator("#return-sale")
    expect(panel).to_contain_text(f"USIN {usin}")
    expect(page.locator("#return-branch")).to_have_text("Gulberg")
    expect(page.locator("#return-date")).to_contain_text("today")
    expect(page.locator("#return-tenders")).to_contain_text("Card Rs 2,000")
    expect(page.locator("#return-tenders")).to_contain_text("Cash Rs 5,001")
    expect(page.locator("#return-lines")).to_contain_text("Lawn 3pc Printed")
    expect(page.locator("#return-lines")).to_contain_text("Emerald")
    expect(page.locator("#return-lines")).to_contain_text("Khussa Embroidered")
    expect(panel).to_contain_text("Sana Iqbal")
    expect(page).to_have_url(re.compile(r"/counter/returns/\d+$"))  # a reload shows the same sale
    expect(page.locator("#return-code")).to_be_focused()
    tablet.shoot("counter-return-panel", full_page=False)

    page.keyboard.press("Escape")
    expect(page.locator("#cart")).to_contain_text("The cart is empty")
    expect(page.locator("#scan")).to_be_focused()
    assert tablet.unexpected_errors(allowed_statuses={422}) == []
