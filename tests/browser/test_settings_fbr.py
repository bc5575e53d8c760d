"""Settings → FBR on a tablet: each counter row saves in place, and the business form's answer moves their status."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import Tablet
from tests.browser.steps import sign_in_with_password

pytestmark = pytest.mark.browser


def test_counter_rows_save_in_place_and_follow_the_business_switch(tablet: Tablet) -> None:
    page = tablet.page
    sign_in_with_password(page, "Ayesha Khan")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Settings").click()
    page.get_by_role("navigation", name="Settings").get_by_role("link", name="FBR", exact=True).click()
    expect(page.get_by_role("heading", name="Reporting to FBR")).to_be_visible()

    rows = page.locator(".fbr-counter")
    dha_2, gulberg_1, gulberg_2 = rows.nth(1), rows.nth(2), rows.nth(3)  # DHA Phase 5 comes first
    expect(gulberg_1.locator(".fbr-counter-head")).to_contain_text("Counter 1")
    gulberg_1.get_by_label("POSID").fill("810099")  # typed, not saved: must survive the other row's answer

    gulberg_2.get_by_label("POSID").fill("810001")
    gulberg_2.get_by_role("button", name="Save").click()
    expect(gulberg_2).to_contain_text("Counter 1 at Gulberg already uses POSID 810001.")
    expect(gulberg_1.get_by_label("POSID")).to_have_value("810099")
    tablet.shoot("settings-fbr-refused")

    dha_2.get_by_label("Report this counter's sales").uncheck()
    dha_2.get_by_role("button", name="Save").click()
    expect(dha_2.locator(".fbr-counter-head")).to_contain_text("Not reported: FBR is off for this counter")
    expect(page.locator("#flashes")).to_contain_text("FBR settings for Counter 2 at DHA Phase 5 saved.")

    page.get_by_label("Report sales to FBR").select_option("off")
    page.locator("#fbr-form").get_by_role("button", name="Save").click()
    expect(page.locator("#flashes")).to_contain_text("FBR settings saved.")
    expect(rows.nth(0).locator(".fbr-counter-head")).to_contain_text("reporting is off for the business")
    expect(dha_2.locator(".fbr-counter-head")).to_contain_text("FBR is off for this counter")
    assert page.locator("#fbr-token-state").inner_text().startswith("A token is saved")

    assert tablet.unexpected_errors(allowed_statuses={422}) == []
