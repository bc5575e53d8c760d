"""Every main screen at tablet sizes: thumb-sized targets, no sideways scrolling, a quiet console."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import Demo, Tablet
from tests.browser.steps import STAFF, pair_this_browser, sign_in_with_password

pytestmark = pytest.mark.browser

MIN_TARGET_PX = 44
# Checkboxes and radios are tapped through their label, so the label is what must be big enough.
SMALL_TARGETS = """(min) => {
  const shown = (el) => {
    const box = el.getBoundingClientRect(), style = getComputedStyle(el);
    return box.width > 1 && box.height > 1 && style.visibility !== "hidden";
  };
  const name = (el) => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") + (el.name ? `[name=${el.name}]` : "")
    + ` "${(el.textContent || el.value || "").trim().slice(0, 30)}"`;
  return [...document.querySelectorAll("button, a.btn, input:not([type=hidden]), select, textarea")]
    .filter(shown)
    .map((el) => [el, ["checkbox", "radio"].includes(el.type) ? el.closest("label") || el : el])
    .filter(([, target]) => target.getBoundingClientRect().height < min)
    .map(([el, target]) => `${name(el)}: ${Math.round(target.getBoundingClientRect().height)}px`);
}"""
# What sticks out sideways; the roles matrix scrolls inside its own box on purpose.
OVERFLOW = """() => {
  const width = window.innerWidth;
  if (document.documentElement.scrollWidth <= width) return [];
  return [...document.body.querySelectorAll("*")]
    .filter((el) => el.getBoundingClientRect().right > width + 1 && !el.parentElement.closest(".matrix-wrap"))
    .map((el) => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") + (el.className ? "." + el.className : ""))
    .slice(0, 12)
    .concat([`scrollWidth ${document.documentElement.scrollWidth} > ${width}`]);
}"""


def check_screen(tablet: Tablet, name: str) -> None:
    page: Page = tablet.page
    page.wait_for_load_state("load")
    assert page.evaluate(SMALL_TARGETS, MIN_TARGET_PX) == [], f"targets under {MIN_TARGET_PX}px on {name}"
    assert page.evaluate(OVERFLOW) == [], f"{name} scrolls sideways"
    tablet.shoot(name)


def test_main_screens_fit_the_tablet_and_fingers(tablet: Tablet, demo: Demo) -> None:
    page = tablet.page
    page.goto("/sign-in")
    check_screen(tablet, "sign-in")
    sign_in_with_password(page, "Ayesha Khan")
    pair_this_browser(page, "Gulberg", "Counter 1")

    screens = {
        "dashboard": "/",
        "staff": "/staff",
        "staff-invite": "/staff/invite",
        "roles": "/roles",
        "rosters": "/rosters",
        "settings-business": "/settings/business",
        "settings-selling": "/settings/selling",
        "settings-payment-types": "/settings/payment-types",
        "settings-branches": "/settings/branches",
        "settings-branch": f"/settings/branches/{demo.gulberg_id}",
        "settings-fbr": "/settings/fbr",
        "settings-cash": "/settings/cash",
        "audit": "/audit",
        "account": "/account",
        "products": "/products",
        "customers": "/customers",
        "shopify": "/shopify",
        "locations-import": "/settings/locations",
        "sync-health": "/settings/sync",
        "stock-differences": "/inventory/drift",
        "counter": "/counter",
        "sales": "/sales",
        "fbr-register": "/fiscal",
        "registers": "/registers",
        "report-shifts": "/reports/shifts",
        "report-over-short": "/reports/over-short",
        "report-cashiers": "/reports/cashiers",
        "report-cash-logs": "/reports/cash-logs",
    }
    for name, path in screens.items():
        page.goto(path)
        expect(page.locator("main h1").first).to_be_visible()
        check_screen(tablet, name)

    page.get_by_role("button", name="Lock").click()
    expect(page.locator("#locked")).to_be_visible()
    check_screen(tablet, "locked")

    page.get_by_role("link", name="Switch user").click()
    expect(page.locator("#pin-pad")).to_be_visible()
    check_screen(tablet, "pin-pad")
    page.locator(".user-tile").filter(has_text="Sana Iqbal").click()
    expect(page.locator("#pin-entry")).to_be_visible()
    check_screen(tablet, "pin-entry")
    assert STAFF["Sana Iqbal"][1]  # the PIN pad lists the cashier by name; the PIN is hers alone

    assert tablet.console_errors == []
