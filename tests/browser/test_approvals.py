"""A cashier's action that needs approval: a supervisor picks their name and types their PIN on the tablet."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest
from playwright.sync_api import Download, expect

from tests.browser.conftest import Tablet
from tests.browser.steps import pair_this_browser, pin_in, set_grant, sign_in_with_password, sign_out

pytestmark = pytest.mark.browser

NEW_PHONE = "+92 42 111 222 333"


def _owner_sets_cashier_grants(tablet: Tablet, grants: dict[str, str]) -> None:
    """The owner, signed in with her password, changes cells of the roles matrix."""
    page = tablet.page
    sign_in_with_password(page, "Ayesha Khan")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Staff").click()
    page.get_by_role("link", name="Roles & permissions").click()
    for permission, effect in grants.items():
        set_grant(page, "Cashier", permission, effect)
    tablet.shoot("roles-after-grants")


def _csv_rows(download: Download) -> list[list[str]]:
    assert download.suggested_filename == "audit-log.csv"
    return list(csv.reader(Path(download.path()).read_text(encoding="utf-8").splitlines()))


def test_settings_change_needs_supervisor_pin_in_dialog(tablet: Tablet) -> None:
    page = tablet.page
    _owner_sets_cashier_grants(tablet, {"Settings": "Allowed", "Change settings": "Needs approval"})
    pair_this_browser(page, "Gulberg", "Counter 1")
    sign_out(page)
    pin_in(page, "Sana Iqbal")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Settings").click()
    page.get_by_label("Phone").fill(NEW_PHONE)
    page.get_by_role("button", name="Save", exact=True).click()

    dialog = page.locator("#dialog").get_by_role("dialog", name="Change settings")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("Needs approval")
    expect(dialog.locator(".approvers label")).to_have_text(
        [re.compile(r"Ayesha Khan\s+Owner"), re.compile(r"Bilal Ahmed\s+Manager")]
    )
    expect(dialog.get_by_label("Supervisor PIN")).to_be_visible()
    tablet.shoot("approval-dialog", full_page=False)

    dialog.get_by_label("Bilal Ahmed").check()
    dialog.get_by_label("Supervisor PIN").fill("0000")
    dialog.get_by_role("button", name="Approve").click()
    dialog = page.locator("#dialog").get_by_role("dialog", name="Change settings")
    expect(dialog.get_by_role("alert")).to_have_text("Approval refused: wrong approver or PIN.")
    expect(page.locator("#business-form").get_by_label("Phone")).to_have_value(NEW_PHONE)  # still being edited
    tablet.shoot("approval-wrong-pin", full_page=False)

    dialog.get_by_label("Bilal Ahmed").check()
    dialog.get_by_label("Supervisor PIN").fill("1357")
    dialog.get_by_role("button", name="Approve").click()
    expect(page.locator("#flashes")).to_contain_text("Business profile saved.")
    expect(page.locator("#dialog")).to_be_empty()
    expect(page.locator("#dialog")).to_be_hidden()
    page.reload()
    expect(page.get_by_label("Phone")).to_have_value(NEW_PHONE)

    # The owner sees in the audit log who approved it.
    sign_out(page)
    pin_in(page, "Ayesha Khan")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Audit log").click()
    approved = page.locator("#audit-table tbody tr").filter(has_text="Sana Iqbal").filter(has_text="approved by")
    expect(approved.first).to_contain_text("approved by Bilal Ahmed")
    tablet.shoot("audit-approved")

    assert tablet.unexpected_errors(allowed_statuses={403, 422}) == []


@pytest.mark.parametrize("viewport", ["portrait"], indirect=True)
def test_export_needs_supervisor_pin_then_downloads(tablet: Tablet) -> None:
    """The export is a plain download (no htmx), so the approval is a page of its own."""
    page = tablet.page
    _owner_sets_cashier_grants(tablet, {"Audit log": "Allowed", "Export data": "Needs approval"})
    # The owner may export outright: the file downloads, the page stays as it was.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Audit log").click()
    with page.expect_download() as download:
        page.get_by_role("button", name="Export CSV").click()
    assert _csv_rows(download.value)[0][:4] == ["time", "action", "summary", "by"]
    expect(page.get_by_role("heading", name="Audit log")).to_be_visible()

    pair_this_browser(page, "Gulberg", "Counter 1")
    sign_out(page)
    pin_in(page, "Sana Iqbal")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Audit log").click()
    page.get_by_role("button", name="Export CSV").click()
    prompt = page.get_by_role("dialog", name="Export data")
    expect(prompt).to_be_visible()
    prompt.get_by_label("Supervisor PIN").fill("9999")
    prompt.get_by_role("button", name="Approve").click()
    expect(prompt.get_by_role("alert")).to_have_text("Approval refused: wrong approver or PIN.")

    prompt.get_by_label("Ayesha Khan").check()
    prompt.get_by_label("Supervisor PIN").fill("2580")
    with page.expect_download() as download:
        prompt.get_by_role("button", name="Approve").click()
    rows = _csv_rows(download.value)
    assert any(row[1] == "approval" and row[4] == "Ayesha Khan" for row in rows[1:]), rows

    assert tablet.unexpected_errors(allowed_statuses={403, 422}) == []
