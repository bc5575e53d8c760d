"""A return without a receipt at the counter, as a cashier does it: Return mode, No receipt, the khussa scanned (it
sold for Rs 2,500 earlier), a reason, the customer added by mobile, store credit asked of the supervisor with what
is approved, and the return's done screen with its receipt."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import ITEMS, Tablet
from tests.browser.steps import approve_with_pin, open_the_till, scan
from tests.browser.test_layout import check_screen

pytestmark = pytest.mark.browser


def test_a_return_without_a_receipt_gives_store_credit_once_a_supervisor_approves(
    tablet: Tablet, stocked: None
) -> None:
    page = tablet.page
    open_the_till(page)
    # The khussa sold once today, for cash: that is its lowest price in 90 days.
    scan(page, ITEMS[1][2])
    expect(page.locator(".htmx-request, .htmx-settling, .htmx-swapping")).to_have_count(0)
    page.keyboard.press("F4")
    pay = page.locator("#dialog").get_by_role("dialog")
    pay.get_by_role("button", name="Rs 2,501").click()
    pay.get_by_role("button", name="Complete sale (F4)").click()
    expect(page.locator(".receipt-preview")).to_contain_text("Khussa Embroidered")
    page.get_by_role("link", name="Next customer").click()
    expect(page.locator("#scan")).to_be_focused()

    page.keyboard.press("F10")
    expect(page.get_by_role("heading", name="↩ Return")).to_be_visible()
    page.get_by_role("link", name="No receipt").click()
    panel = page.locator("#no-receipt")
    expect(panel).to_contain_text("Scan the first item the customer brought back")
    expect(page.locator("#nr-code")).to_be_focused()
    page.keyboard.type(ITEMS[1][2], delay=5)
    page.keyboard.press("Enter")
    khussa = page.locator("#nr-choices li", has_text="Khussa Embroidered")
    expect(khussa.get_by_role("textbox")).to_have_value("1")
    expect(page.locator("#return-to")).to_have_text("Choose why each item came back.")
    khussa.get_by_role("combobox").select_option(label="Wrong size")
    expect(page.locator("#return-total")).to_have_text("Rs 2,500")
    expect(page.locator("#nr-approval")).to_contain_text("Needs a supervisor")
    expect(page.locator("#return-to")).to_contain_text("Choose the customer")
    tablet.shoot("counter-no-receipt-item", full_page=False)

    search = page.locator("#return-customer-q")
    search.click()
    page.keyboard.type("0300 123", delay=20)  # nobody yet: the search keeps the focus while the panel answers
    expect(page.locator("#return-customer-none")).to_contain_text("No customer matches")
    expect(search).to_be_focused()
    page.get_by_label("New customer's name").fill("Ayesha Khan")
    page.get_by_label("New customer's mobile").fill("0300 1234567")
    page.get_by_role("button", name="Add customer").click()
    expect(page.locator("#return-customer-picked")).to_contain_text("Ayesha Khan")
    submit = page.locator("#return-submit")
    expect(submit).to_have_text("Give store credit Rs 2,500")
    tablet.shoot("counter-no-receipt-ready", full_page=False)
    check_screen(tablet, "counter-no-receipt-ready-whole")

    page.once("dialog", lambda confirm: confirm.accept())
    submit.click()
    approval = page.locator("#dialog").get_by_role("dialog", name="Issue refund")
    expect(approval.locator("#approval-what")).to_contain_text(
        "Refund Rs 2,500 with no receipt, as store credit to Ayesha Khan"
    )
    expect(approval.locator("#approval-what")).to_contain_text("Khussa Embroidered — Size 38 × 1 (wrong size)")
    tablet.shoot("counter-no-receipt-approval", full_page=False)
    approve_with_pin(page, "Issue refund")

    expect(page.locator("#return-done-refunds")).to_contain_text("Rs 2,500 as store credit to Ayesha Khan")
    expect(page.locator("#return-receipt")).to_contain_text("Khussa Embroidered")
    tablet.shoot("counter-no-receipt-done")
    assert tablet.unexpected_errors(allowed_statuses={403}) == []
