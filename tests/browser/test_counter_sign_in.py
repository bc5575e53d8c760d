"""A manager pairs a tablet; cashiers then sign in, switch and lock with PINs on its keypad."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import Tablet
from tests.browser.steps import pair_this_browser, pin_in, sign_in_with_password, sign_out, tap_pin

pytestmark = pytest.mark.browser


def test_paired_tablet_signs_cashier_in_switches_user_and_locks(tablet: Tablet) -> None:
    page = tablet.page
    sign_in_with_password(page, "Bilal Ahmed")
    pair_this_browser(page, "Gulberg", "Counter 1")
    expect(page.locator(".topbar .chip")).to_have_text("Gulberg · Counter 1")

    sign_out(page)
    expect(page).to_have_url(re.compile(r"/device/pin$"))
    tiles = page.locator(".user-tile .tile-name")
    # Everyone who works at Gulberg; Usman works only at DHA.
    expect(tiles).to_have_text(["Ayesha Khan", "Bilal Ahmed", "Hamza Raza", "Mariam Siddiqui", "Sana Iqbal"])

    page.locator(".user-tile").filter(has_text="Sana Iqbal").click()
    tap_pin(page, "1111")
    expect(page.get_by_role("alert")).to_have_text("Wrong PIN. Try again.")
    tablet.shoot("pin-entry-wrong-pin")
    tap_pin(page, "2468")
    expect(page).to_have_url(re.compile(r"/counter$"))  # a cashier's PIN opens the counter, ready to sell
    expect(page.get_by_role("heading", name="Gulberg · Counter 1: the register is not started")).to_be_visible()
    tablet.shoot("counter-after-pin")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Dashboard").click()
    expect(page.get_by_role("heading", name="Hello, Sana")).to_be_visible()
    expect(page.locator(".page-head .eyebrow")).to_have_text("Cashier · Gulberg · Counter 1")
    tablet.shoot("dashboard-cashier")

    page.get_by_role("link", name="Switch user").click()
    pin_in(page, "Bilal Ahmed")
    expect(page.get_by_text("Switched to Bilal Ahmed.")).to_be_visible()

    page.get_by_role("button", name="Lock").click()
    expect(page.locator("#locked")).to_contain_text("Gulberg · Counter 1 · Locked")
    expect(page.get_by_role("heading", name="Bilal Ahmed")).to_be_visible()
    page.goto("/settings/business")  # a locked screen reaches nothing else
    expect(page.locator("#locked")).to_be_visible()
    tap_pin(page, "1357")
    expect(page.get_by_role("heading", name="Hello, Bilal")).to_be_visible()

    assert tablet.unexpected_errors(allowed_statuses={401}) == []
