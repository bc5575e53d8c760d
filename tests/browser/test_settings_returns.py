"""Settings → Returns on a tablet: the settings form answers in place (a bad window beside its field), a reason is
added and switched off in place."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import Tablet
from tests.browser.steps import sign_in_with_password

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("viewport", ["landscape"], indirect=True)
def test_returns_settings_and_reasons_save_in_place(tablet: Tablet) -> None:
    page = tablet.page
    sign_in_with_password(page, "Ayesha Khan")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Settings").click()
    page.get_by_role("navigation", name="Settings").get_by_role("link", name="Returns", exact=True).click()
    expect(page.get_by_role("heading", name="Return reasons")).to_be_visible()

    form = page.locator("#returns-form")
    form.get_by_label("Return window (days after the sale)").fill("0")
    form.get_by_role("button", name="Save").click()
    expect(form.locator("#field-return_window_days")).to_contain_text("Enter 1 to 365 days.")
    form.get_by_label("Return window (days after the sale)").fill("30")
    form.get_by_label("A supervisor approves refunds above (Rs, blank for no limit)").fill("5000")
    form.get_by_role("button", name="Save").click()
    expect(page.locator("#flashes")).to_contain_text("Returns settings saved.")

    reasons = page.locator("#return-reasons")
    reasons.locator("#new-reason").get_by_label("Reason").fill("Stained")
    reasons.locator("#new-reason").get_by_label("Can be sold again").uncheck()
    reasons.get_by_role("button", name="Add reason").click()
    expect(page.locator("#flashes")).to_contain_text("“Stained” added")
    stained = page.locator("tr", has_text="code stained")
    expect(stained).to_be_visible()
    stained.get_by_label("Offered at the counter").uncheck()
    stained.get_by_role("button", name="Save").click()
    expect(page.locator("#flashes")).to_contain_text("“Stained” saved.")
    expect(page.locator("tr.muted", has_text="code stained")).to_be_visible()
    tablet.shoot("settings-returns")

    assert tablet.unexpected_errors(allowed_statuses={422}) == []
