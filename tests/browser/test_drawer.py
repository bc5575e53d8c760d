"""A cashier's shift from float to Z report: start the register, sell for cash, cash out, count the drawer closed."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import ITEMS, Tablet
from tests.browser.steps import approve_with_pin, open_the_till, scan

pytestmark = pytest.mark.browser


def test_cashier_sells_for_cash_drops_cash_and_closes_with_the_notes_counted(tablet: Tablet, stocked: None) -> None:
    page = tablet.page
    open_the_till(page)  # Rs 5,000 float
    drawer = page.locator("#drawer")
    expect(drawer).to_contain_text("Your shift since")

    # A lawn suit, Rs 4,500 and the Re 1 FBR POS fee, paid with a Rs 5,000 note: Rs 499 change.
    scan(page, ITEMS[0][2])
    expect(page.locator(".htmx-request, .htmx-settling, .htmx-swapping")).to_have_count(0)
    page.keyboard.press("F4")
    pay = page.locator("#dialog").get_by_role("dialog")
    pay.get_by_role("button", name="Rs 5,000").click()
    expect(pay.locator("#due")).to_contain_text("Change to give Rs 499")
    pay.get_by_role("button", name=re.compile("Complete sale")).click()
    expect(page.get_by_role("heading", name="Change Rs 499")).to_be_visible()
    page.get_by_role("link", name="Next customer").click()

    # Rs 2,000 to the safe: a cashier's cash out needs a supervisor.
    drawer.get_by_role("link", name="Cash in / out").click()
    cash = page.locator("#dialog").get_by_role("dialog", name="Cash in / out")
    cash.get_by_text("Cash out", exact=True).click()
    cash.get_by_label("Reason").select_option(label="Safe drop")
    cash.get_by_label("Amount (Rs)").fill("2000")
    tablet.shoot("drawer-cash-out", full_page=False)
    cash.get_by_role("button", name="Record").click()
    approve_with_pin(page, "Cash in / out")
    expect(page.get_by_text("Cash out of Rs 2,000 recorded: Safe drop.")).to_be_visible()

    # The X report mid-shift: 5,000 + 4,501 − 2,000 = Rs 7,501 expected.
    drawer.get_by_role("link", name="X report").click()
    expect(page.get_by_role("heading", name=re.compile("X report"))).to_be_visible()
    expect(page.locator("main")).to_contain_text("Rs 7,501")
    page.go_back()

    # Count the drawer note by note: 5,000 + 2 × 1,000 + 500 + 1 = 7,501.
    page.locator("#drawer").get_by_role("link", name="Close shift").click()
    form = page.locator("#close-shift")
    for note, pieces in (("5,000", "1"), ("1,000", "2"), ("500", "1"), ("1", "1")):
        form.get_by_label(f"Rs {note}", exact=True).fill(pieces)
    expect(form.locator("#count-total")).to_contain_text("Counted Rs 7,501")
    expect(form.locator("#count-total")).to_contain_text("Even")
    tablet.shoot("drawer-close")
    form.get_by_role("button", name="Close the shift").click()

    # The Z report: opening, the cash sale and its change, the safe drop, expected against counted.
    expect(page.get_by_role("heading", name=re.compile("Z report"))).to_be_visible()
    report = page.locator("main")
    for text in ("Rs 5,000", "Rs 499", "Safe drop", "Rs 2,000", "Rs 7,501", "Sana Iqbal"):
        expect(report).to_contain_text(text)
    expect(page.get_by_role("link", name="PDF")).to_have_attribute("href", re.compile(r"/shifts/\d+/report\.pdf$"))
    tablet.shoot("drawer-z-report")
    assert tablet.unexpected_errors(allowed_statuses={403}) == []
