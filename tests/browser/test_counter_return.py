"""Return mode at the counter, as a cashier uses it: after a split-tender sale, F10, the scanner reads the receipt's
barcode (decoded here off the receipt on screen, as a scanner would), and the sale shows with its branch, date,
tenders and lines; a miss says why beside the field; Esc goes back to selling."""

from __future__ import annotations

import io
import re

import pypdfium2
import pytest
import zxingcpp
from PIL import Image
from playwright.sync_api import Page, expect

from tests.browser.conftest import ITEMS, SCREENSHOTS, Tablet
from tests.browser.steps import approve_with_pin, open_the_till, scan
from tests.browser.test_layout import check_screen

pytestmark = pytest.mark.browser


def _sell_two_items_split(page: Page, customer: bool = False) -> None:
    """Lawn and Khussa, Rs 7,001 with the POS fee: Rs 2,000 by card, the rest in cash (for Ayesha, if `customer`)."""
    scan(page, ITEMS[0][2])
    scan(page, ITEMS[1][2])
    if customer:
        page.keyboard.press("F6")
        dialog = page.locator("#dialog")
        dialog.get_by_text("New customer").click()
        dialog.get_by_label("Name", exact=True).fill("Ayesha Khan")
        dialog.get_by_label("Mobile", exact=True).fill("0300 1234567")
        dialog.get_by_role("button", name="Add and attach").click()
        expect(page.locator("#cart")).to_contain_text("Ayesha Khan")
    expect(page.locator(".totals")).to_contain_text("Rs 7,001")
    expect(page.locator(".htmx-request, .htmx-settling, .htmx-swapping")).to_have_count(0)
    page.keyboard.press("F4")
    pay = page.locator("#dialog").get_by_role("dialog")
    pay.get_by_label("Card (Rs)").fill("2000")
    expect(pay.locator("#due")).to_contain_text("Still to pay Rs 5,001")
    pay.get_by_role("button", name="Rs 5,001").click()
    pay.get_by_role("button", name=re.compile("Complete sale")).click()
    expect(page.locator(".receipt-preview")).to_contain_text("Lawn 3pc Printed")


def _code128(image: Image.Image) -> list[zxingcpp.Barcode]:
    return [c for c in zxingcpp.read_barcodes(image) if c.format == zxingcpp.BarcodeFormat.Code128]


def _scan_receipt_barcode(page: Page) -> str:
    """What a scanner reads off the receipt's barcode: decoded from the receipt as the screen shows it."""
    barcode = page.locator(".receipt-preview .barcode-screen")
    expect(barcode).to_be_visible()
    [found] = _code128(Image.open(io.BytesIO(barcode.screenshot(scale="device"))))
    expect(page.locator(".receipt-preview .r-code-text")).to_have_text(f"Receipt {found.text}")
    return found.text


def test_f10_and_a_scan_of_the_receipt_find_the_sale(tablet: Tablet, stocked: None) -> None:
    page = tablet.page
    open_the_till(page)
    _sell_two_items_split(page, customer=True)
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
    check_screen(tablet, "counter-return-panel-whole")  # thumb-sized targets, nothing sideways

    # No receipt: the customer's purchases, then the sale.
    page.keyboard.press("F6")
    picker = page.locator("#dialog").get_by_role("dialog", name="Whose purchase?")
    picker.get_by_label("Mobile or name").fill("0300 123")
    picker.get_by_role("link", name=re.compile("Ayesha Khan")).click()
    purchases = page.locator("#return-purchases")
    expect(purchases).to_contain_text(usin)
    expect(page.locator("#dialog")).to_be_empty()
    tablet.shoot("counter-return-purchases", full_page=False)
    purchases.get_by_role("link").first.click()
    expect(panel).to_contain_text(f"USIN {usin}")
    expect(panel).to_contain_text("Ayesha Khan")

    page.keyboard.press("Escape")
    expect(page.locator("#cart")).to_contain_text("The cart is empty")
    expect(page.locator("#scan")).to_be_focused()
    assert tablet.unexpected_errors(allowed_statuses={422}) == []


def test_the_printed_58_mm_receipt_carries_a_barcode_that_scans(tablet: Tablet, stocked: None) -> None:
    """The receipt as chromium prints it on a 58 mm roll, read at a 203-dpi thermal head's resolution."""
    page = tablet.page
    open_the_till(page)
    _sell_two_items_split(page)
    code = page.locator(".receipt-preview .r-code-text").inner_text().removeprefix("Receipt ")
    page.get_by_role("link", name="Print 58 mm").click()
    expect(page.locator("#receipt-code")).to_be_visible()
    page.emulate_media(media="print")
    pdf = page.pdf(width="58mm", height="300mm", print_background=True)
    document = pypdfium2.PdfDocument(pdf)
    try:
        image = document[0].render(scale=203 / 72, grayscale=True).to_pil()
    finally:
        document.close()
    [found] = _code128(image.point(lambda v: 255 if v > 127 else 0))  # a thermal dot, or none
    assert found.text == code
    image.save(SCREENSHOTS / f"receipt-58mm-barcode-{tablet.viewport}.png")
    assert tablet.unexpected_errors() == []


def _find_sale_by_its_receipt(page: Page) -> None:
    """After a sale: next customer, F10, the scanner reads the receipt's barcode, and the sale's panel shows."""
    code = _scan_receipt_barcode(page)
    page.get_by_role("link", name="Next customer").click()
    expect(page.locator("#scan")).to_be_focused()
    page.keyboard.press("F10")
    expect(page.locator("#return-code")).to_be_focused()
    page.keyboard.type(code, delay=5)
    page.keyboard.press("Enter")
    expect(page.locator("#return-actions")).to_be_visible()


def test_a_return_of_one_line_refunds_the_card_then_cash_and_prints_the_return_receipt(
    tablet: Tablet, stocked: None
) -> None:
    page = tablet.page
    open_the_till(page)
    _sell_two_items_split(page)
    _find_sale_by_its_receipt(page)
    lawn = page.locator("#return-choices li", has_text="Lawn 3pc Printed")
    expect(lawn.locator(".ra-counts")).to_have_text("sold 1 · returned 0 · returnable 1")
    expect(page.locator("#return-to")).to_contain_text("Tap + on what the customer brought back")

    lawn.get_by_role("button", name="One more").click()
    expect(lawn.get_by_role("textbox")).to_have_value("1")
    expect(lawn.get_by_role("button", name="One more")).to_be_disabled()  # one sold: no more to return
    expect(page.locator("#return-to")).to_have_text("Choose why each item came back.")
    lawn.get_by_role("combobox").select_option(label="Wrong size")
    expect(page.locator("#return-total")).to_have_text("Rs 4,500")
    expect(page.locator("#return-to")).to_have_text("Back as: Card Rs 2,000 · Cash Rs 2,500")  # cash last
    expect(lawn.get_by_label("Back on the shelf")).to_be_checked()
    tablet.shoot("counter-return-chosen", full_page=False)
    check_screen(tablet, "counter-return-chosen-whole")

    reference = page.get_by_label("Card refund reference")
    expect(reference).to_be_visible()
    page.once("dialog", lambda confirm: confirm.accept())
    page.get_by_role("button", name="Refund Rs 4,500").click()  # the card slip's reference not typed yet
    expect(page.locator("#return-actions [data-field^='reference-']")).to_have_text(
        "Enter the reference of the card refund."
    )
    page.get_by_label("Card refund reference").fill("RRN 004411")
    with page.expect_response("**/counter/returns/preview"):  # leaving the field previews again, keeping it
        page.get_by_label("Card refund reference").press("Tab")
    expect(page.get_by_label("Card refund reference")).to_have_value("RRN 004411")
    page.once("dialog", lambda confirm: confirm.accept())
    page.get_by_role("button", name="Refund Rs 4,500").click()
    approval = page.locator("#dialog").get_by_role("dialog", name="Issue refund")
    expect(approval.locator("#approval-what")).to_contain_text("Refund Rs 4,500 on sale")
    expect(approval.locator("#approval-what")).to_contain_text("Lawn 3pc Printed — Emerald × 1 (wrong size)")
    tablet.shoot("counter-return-approval", full_page=False)
    approve_with_pin(page, "Issue refund")

    expect(page.locator("#return-done-refunds")).to_contain_text("Rs 2,500 in cash from the drawer")
    expect(page.locator("#return-done-refunds")).to_contain_text("Rs 2,000 back to Card ref. RRN 004411")
    expect(page.locator("#e-receipt")).to_be_visible()  # the customer's copy: QR, email, WhatsApp
    receipt = page.locator("#return-receipt")
    expect(receipt.locator("#return-receipt-title")).to_have_text(re.compile("^(Return|Credit note)$"))
    expect(receipt.locator("#return-receipt-lines")).to_contain_text("Wrong size · restocked")
    expect(receipt.locator("#return-receipt-refunds")).to_contain_text("Cash refunded")
    tablet.shoot("counter-return-done")
    page.get_by_role("link", name="Print 58 mm").click()
    expect(page.locator("#return-receipt")).to_be_visible()
    tablet.shoot("return-receipt-58mm")
    assert tablet.unexpected_errors(allowed_statuses={403, 422}) == []


def test_an_exchange_of_a_size_charges_the_difference_in_one_ticket(tablet: Tablet, stocked: None) -> None:
    page = tablet.page
    open_the_till(page)
    _sell_two_items_split(page)
    _find_sale_by_its_receipt(page)
    khussa = page.locator("#return-choices li", has_text="Khussa Embroidered")
    khussa.get_by_role("button", name="One more").click()
    expect(khussa.get_by_role("textbox")).to_have_value("1")
    khussa.get_by_role("combobox").select_option(label="Wrong size")
    expect(page.locator("#return-total")).to_have_text("Rs 2,500")
    page.get_by_role("button", name=re.compile("Exchange instead")).click()

    expect(page.locator("#exchange-note")).to_contain_text("Rs 2,500 back from sale")
    scan(page, ITEMS[0][2])  # the new size: here the lawn suit, Rs 4,500
    expect(page.locator("#exchange-credit")).to_have_text("−Rs 2,500")
    expect(page.locator("#exchange-due")).to_have_text("Rs 2,001")  # with the Re 1 FBR POS fee
    tablet.shoot("counter-exchange-cart", full_page=False)
    check_screen(tablet, "counter-exchange-cart-whole")
    page.keyboard.press("F4")
    pay = page.locator("#dialog").get_by_role("dialog")
    expect(pay.locator("#pay-title")).to_have_text("To pay Rs 2,001")
    pay.get_by_role("button", name="Rs 2,001").click()
    tablet.shoot("counter-exchange-pay", full_page=False)
    pay.get_by_role("button", name=re.compile("Complete exchange")).click()
    approval = page.locator("#dialog").get_by_role("dialog", name="Issue refund")
    expect(approval.locator("#approval-what")).to_contain_text("Refund Rs 2,500 on sale")
    approve_with_pin(page, "Issue refund")

    receipt = page.locator("#return-receipt")
    expect(receipt.locator("#return-receipt-title")).to_contain_text("exchange")
    expect(receipt).to_contain_text("Exchanged: new items on sale")
    expect(page.locator("#return-done-refunds")).to_contain_text("Rs 2,500 towards the new items")
    expect(page.locator("#return-done-exchange")).to_contain_text("paid Rs 2,001")
    tablet.shoot("counter-exchange-done")
    page.get_by_role("link", name="Next customer").click()
    expect(page.locator("#cart")).to_contain_text("The cart is empty")
    expect(page.locator("#exchange-note")).to_have_count(0)
    assert tablet.unexpected_errors(allowed_statuses={403}) == []
