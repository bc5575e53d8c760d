"""What a person does on the tablet, as reusable steps for the browser tests."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from ismartsync.cli import DEMO_PASSWORD, DEMO_STAFF

# name -> (email, PIN) of the seeded demo staff
STAFF = {name: (email, pin) for _, name, email, pin, _ in DEMO_STAFF}


def sign_in_with_password(page: Page, name: str) -> None:
    email, _ = STAFF[name]
    page.goto("/sign-in")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name=f"Hello, {name.split()[0]}")).to_be_visible()


def pair_this_browser(page: Page, branch: str, counter: str) -> None:
    """Settings → Branches → the branch → “Pair this browser” on one counter."""
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Settings").click()
    page.get_by_role("link", name="Branches & counters").click()
    page.get_by_role("link", name=branch, exact=True).click()
    expect(page.get_by_role("heading", name=branch, exact=True)).to_be_visible()
    page.locator(".row").filter(has=page.locator(f'input[name=name][value="{counter}"]')).get_by_role(
        "button", name="Pair this browser"
    ).click()
    expect(page.get_by_text(re.compile(r"This browser is now .* at "))).to_be_visible()


def sign_out(page: Page) -> None:
    page.get_by_role("button", name="Sign out").click()


def tap_pin(page: Page, pin: str) -> None:
    """Type the PIN with the on-screen keypad (app.js fills the field), then press OK."""
    keypad = page.locator(".keypad")
    for digit in pin:
        keypad.locator(f'[data-key="{digit}"]').click()
    expect(page.locator("#pin")).to_have_value(pin)
    keypad.locator(".key-go").click()


def pin_in(page: Page, name: str) -> None:
    """On the PIN pad: tap the member's tile, key their PIN, land at the counter (everyone here may sell)."""
    expect(page.get_by_role("heading", name="Who is at the counter?")).to_be_visible()
    page.locator(".user-tile").filter(has_text=name).click()
    expect(page.get_by_role("heading", name=name)).to_be_visible()
    tap_pin(page, STAFF[name][1])
    expect(page).to_have_url(re.compile(r"/counter$"))
    expect(page.locator(".topbar .avatar")).to_have_attribute("title", re.compile(name))


def set_grant(page: Page, role: str, permission: str, effect: str) -> None:
    """Change one cell of the roles matrix; htmx posts the <select> on change and swaps the cell."""
    with page.expect_response(lambda r: "/grants" in r.url and r.request.method == "POST") as answer:
        page.get_by_label(f"{role}: {permission}", exact=True).select_option(label=effect)
    assert answer.value.status == 200, answer.value.text()
    cell = page.get_by_label(f"{role}: {permission}", exact=True)
    expect(cell.locator("option:checked")).to_have_text(effect)


def open_the_till(page: Page) -> None:
    """Bilal pairs this tablet to Gulberg · Counter 1; Sana signs in by PIN, starts the register and opens her shift."""
    sign_in_with_password(page, "Bilal Ahmed")
    pair_this_browser(page, "Gulberg", "Counter 1")
    sign_out(page)
    pin_in(page, "Sana Iqbal")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Counter").click()
    page.get_by_label("Opening float (Rs)").fill("5000")
    page.get_by_role("button", name="Start the register").click()
    page.get_by_role("button", name="Open my shift").click()
    expect(page.locator("#cart")).to_contain_text("The cart is empty")


def scan(page: Page, code: str) -> None:
    """A keyboard-wedge scanner: the digits typed fast into whatever has the focus, then Enter."""
    expect(page.locator("#scan")).to_be_focused()
    with page.expect_response(lambda r: r.url.endswith("/counter/cart/scan")) as answer:
        page.keyboard.type(code, delay=5)
        page.keyboard.press("Enter")
    assert answer.value.status == 200, answer.value.text()


def approve_with_pin(page: Page, permission_label: str, approver: str = "Bilal Ahmed") -> None:
    """The supervisor's dialog: tap who approves, key their PIN, approve."""
    approval = page.locator("#dialog").get_by_role("dialog", name=permission_label)
    expect(approval).to_be_visible()
    approval.get_by_label(approver).check()
    approval.get_by_label("Supervisor PIN").fill(STAFF[approver][1])
    approval.get_by_role("button", name="Approve").click()
