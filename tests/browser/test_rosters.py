"""A manager plans the week on a tablet: the usual slots in one tap, members added in place, an overlap refused in
its cell, the week published."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import Demo, Tablet
from tests.browser.steps import sign_in_with_password
from tests.browser.test_layout import check_screen

pytestmark = pytest.mark.browser


def test_a_manager_rosters_the_week_and_publishes_it(tablet: Tablet, demo: Demo) -> None:
    page = tablet.page
    today = datetime.now(UTC).astimezone(ZoneInfo("Asia/Karachi")).date()
    monday = today - timedelta(days=today.weekday())
    tuesday, saturday = monday + timedelta(days=1), monday + timedelta(days=5)
    sign_in_with_password(page, "Bilal Ahmed")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Rosters").click()
    page.get_by_label("Branch").select_option(label="Gulberg")
    page.get_by_role("button", name="Show").click()
    expect(page.locator("#roster-empty")).to_contain_text("No slots at Gulberg yet")
    page.get_by_role("link", name="Set up slots").click()
    page.get_by_role("button", name="Add the usual slots").click()
    expect(page.locator("#roster-slots")).to_contain_text("Weekend 10:00–22:00 Sat, Sun")
    check_screen(tablet, "roster-slots")
    page.get_by_role("link", name=re.compile("Roster · Gulberg", re.IGNORECASE)).click()

    page.get_by_label(f"Add a member to Morning, {tuesday:%a %d %b}").select_option(label="Sana Iqbal")
    cell = page.locator(".roster-cell").filter(has=page.get_by_label(f"Add a member to Morning, {tuesday:%a %d %b}"))
    cell.get_by_role("button", name="Add").click()
    expect(cell).to_contain_text("Sana Iqbal (new)")
    expect(page.locator("#roster-status")).to_contain_text("1 assignment.")

    weekend = page.locator(".roster-cell").filter(
        has=page.get_by_label(f"Add a member to Weekend, {saturday:%a %d %b}")
    )
    weekend.get_by_label(f"Add a member to Weekend, {saturday:%a %d %b}").select_option(label="Sana Iqbal")
    weekend.get_by_role("button", name="Add").click()
    expect(weekend).to_contain_text("Sana Iqbal (new)")
    morning = page.locator(".roster-cell").filter(
        has=page.get_by_label(f"Add a member to Morning, {saturday:%a %d %b}")
    )
    morning.get_by_label(f"Add a member to Morning, {saturday:%a %d %b}").select_option(label="Sana Iqbal")
    morning.get_by_role("button", name="Add").click()
    expect(morning.get_by_role("alert")).to_contain_text("which overlaps Morning")
    check_screen(tablet, "roster-week")

    page.get_by_role("button", name="Publish", exact=True).click()
    expect(page.locator("#flashes")).to_contain_text("Published. 1 member was emailed their roster.")
    expect(page.locator("#roster-status")).to_contain_text("Published")
    assert tablet.unexpected_errors(allowed_statuses={422}) == []
