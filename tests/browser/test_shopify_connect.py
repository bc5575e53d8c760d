"""Connecting the demo store in a real browser: Settings → Shopify → Shopify's install page → back, connected.

Once with htmx (the window is sent to Shopify) and once with JavaScript off (a plain form answered by a redirect to
Shopify, which the page's Content-Security-Policy must allow).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from flask import Flask
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import VIEWPORTS, Demo, Tablet
from tests.browser.steps import sign_in_with_password
from tests.sandbox_fixtures import CLIENT_ID, CLIENT_SECRET, RunningSandbox

pytestmark = pytest.mark.browser


@pytest.fixture
def shopify_sandbox_for_live_app(
    live_app: Flask, live_server: str, make_shopify_sandbox: Callable[..., RunningSandbox]
) -> Iterator[RunningSandbox]:
    """A sandbox that knows the live app's address, and the live app pointed at it (settings restored after)."""
    running = make_shopify_sandbox(app_url=live_server)
    keys = ("BASE_URL", "SHOPIFY_API_BASE", "SHOPIFY_CLIENT_ID", "SHOPIFY_CLIENT_SECRET")
    saved = {key: live_app.config.get(key) for key in keys}
    live_app.config.update(
        BASE_URL=live_server,
        SHOPIFY_API_BASE=f"{running.url}/shops/{{shop}}",
        SHOPIFY_CLIENT_ID=CLIENT_ID,
        SHOPIFY_CLIENT_SECRET=CLIENT_SECRET,
    )
    yield running
    live_app.config.update(saved)


def connect_demo_store(page: Page) -> None:
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Settings").click()
    page.get_by_role("link", name="Shopify", exact=True).click()
    expect(page.locator("#shopify-status")).to_contain_text("Not connected")
    page.locator("#connect-oauth").get_by_label("Store address").fill("zari-demo")
    page.get_by_role("button", name="Connect with Shopify").click()
    expect(page.get_by_role("heading", name="Install iSmartSync on Zari Demo")).to_be_visible()
    page.get_by_role("button", name="Install").click()
    status = page.locator("#shopify-status")
    expect(status).to_contain_text("Connected")
    expect(status).to_contain_text("Zari Demo")
    expect(status).to_contain_text("renews automatically")


def test_owner_connects_the_demo_store_with_shopify(
    tablet: Tablet, demo: Demo, shopify_sandbox_for_live_app: RunningSandbox
) -> None:
    sign_in_with_password(tablet.page, "Ayesha Khan")
    connect_demo_store(tablet.page)
    tablet.shoot("shopify-connected")
    assert tablet.unexpected_errors(allowed_statuses=[404]) == []  # the sandbox's pages have no favicon


def test_connecting_works_without_javascript(
    chromium: Browser, live_server: str, demo: Demo, shopify_sandbox_for_live_app: RunningSandbox
) -> None:
    context = chromium.new_context(base_url=live_server, viewport=VIEWPORTS["landscape"], java_script_enabled=False)
    context.set_default_timeout(10_000)
    page = context.new_page()
    blocked: list[str] = []
    page.on("console", lambda message: blocked.append(message.text) if message.type == "error" else None)
    try:
        sign_in_with_password(page, "Ayesha Khan")
        connect_demo_store(page)
    finally:
        context.close()
    assert [m for m in blocked if "status of 404" not in m] == []  # the sandbox's pages have no favicon


def test_owner_pastes_a_custom_apps_token_with_its_api_secret_key(
    tablet: Tablet, demo: Demo, shopify_sandbox_for_live_app: RunningSandbox
) -> None:
    page = tablet.page
    # The merchant's side: Develop apps → the app → API credentials, in the sandbox's admin.
    page.goto(f"{shopify_sandbox_for_live_app.url}/sandbox/shops/zari-demo.myshopify.com")
    secret = page.locator("#custom-app-secret").inner_text()
    page.get_by_role("button", name="Install app and reveal token").click()
    token = page.locator("#custom-app-token").inner_text()

    page.goto("/")
    sign_in_with_password(page, "Ayesha Khan")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Settings").click()
    page.get_by_role("link", name="Shopify", exact=True).click()
    form = page.locator("#connect-token")
    expect(form.locator("#api-secret-key-help")).to_contain_text("Develop apps")
    form.get_by_label("Store address").fill("zari-demo")
    form.get_by_label("Admin API access token").fill(token)
    form.get_by_label("API secret key").fill(secret)
    form.get_by_role("button", name="Check and save").click()

    status = page.locator("#shopify-status")
    expect(status).to_contain_text("Admin API token")
    expect(status).to_contain_text("verified with the app's API secret key")
    tablet.shoot("shopify-pasted-token")
    assert tablet.unexpected_errors(allowed_statuses=[404]) == []
