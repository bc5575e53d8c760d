"""Importing the demo store's catalog in a real browser, as an owner watches it.

Settings → Shopify → connect → Settings → Locations & import → “Import catalog”: the import card polls (htmx, every
second) until the run succeeds. Then the Gulberg branch is linked to a Shopify location, a full re-import brings in its
stock, and Products shows it, down to the “Opening” movement of one variant.

With Redis the import is an RQ job on the "shopify" queue: a worker thread works it off while the browser watches.
Without Redis it runs in-process when the request commits, and the page shows the finished run at once.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from flask import Flask
from playwright.sync_api import Page, expect
from rq import Queue, SimpleWorker
from rq.timeouts import TimerDeathPenalty

from ismartsync.queue import redis_connection
from tests.browser.conftest import Demo, Tablet
from tests.browser.steps import sign_in_with_password
from tests.browser.test_shopify_connect import connect_demo_store, shopify_sandbox_for_live_app  # noqa: F401
from tests.sandbox_fixtures import RunningSandbox

pytestmark = pytest.mark.browser

IMPORT_TIMEOUT = 60_000  # ms


class _ThreadWorker(SimpleWorker):
    """An RQ worker that can live in a thread: no signal handlers, timeouts by timer rather than SIGALRM."""

    death_penalty_class = TimerDeathPenalty

    def _install_signal_handlers(self) -> None:
        """Signals belong to the main thread (pytest's)."""


@dataclass
class Worker:
    """The test's hold on the worker: clear `go_ahead` and queued jobs wait until it is set again."""

    go_ahead: threading.Event
    queued: bool  # with Redis; without it, jobs run in-process at commit and nothing waits


@pytest.fixture
def shopify_worker(live_app: Flask) -> Iterator[Worker]:
    """Work off the "shopify" queue while the test runs (with Redis); without Redis, jobs run at commit."""
    go_ahead = threading.Event()
    go_ahead.set()
    with live_app.app_context():
        connection = redis_connection()
    if connection is None:
        yield Worker(go_ahead, queued=False)
        return
    stop = threading.Event()
    failures: list[BaseException] = []

    def work() -> None:
        try:
            with live_app.app_context():
                queue = Queue("shopify", connection=connection)
                while not stop.is_set():
                    if go_ahead.wait(0.2):
                        _ThreadWorker([queue], connection=connection).work(burst=True, logging_level="WARNING")
                    stop.wait(0.2)
        except BaseException as exc:  # surfaced in the test, not lost in the thread
            failures.append(exc)

    thread = threading.Thread(target=work, name="rq-shopify", daemon=True)
    thread.start()
    try:
        yield Worker(go_ahead, queued=True)
    finally:
        stop.set()
        go_ahead.set()
        thread.join(timeout=30)
    assert not thread.is_alive(), "the RQ worker thread did not stop"
    assert failures == []


def _expect_import_succeeded(page: Page, kind: str) -> None:
    card = page.locator("#import")
    expect(card.get_by_role("status")).to_contain_text(f"{kind} import · Succeeded", timeout=IMPORT_TIMEOUT)
    expect(card.locator("progress")).to_have_attribute("value", "100")


def test_owner_imports_the_demo_catalog(
    tablet: Tablet,
    demo: Demo,
    shopify_sandbox_for_live_app: RunningSandbox,  # noqa: F811
    shopify_worker: Worker,
) -> None:
    page = tablet.page
    sign_in_with_password(page, "Ayesha Khan")
    connect_demo_store(page)

    page.get_by_role("navigation", name="Settings").get_by_role("link", name="Locations & import").click()
    expect(page.locator("#mapping")).to_contain_text("No locations yet")
    shopify_worker.go_ahead.clear()  # the page shows the import queued before the worker takes it
    page.locator("#import").get_by_role("button", name="Import catalog").click()
    if shopify_worker.queued:
        expect(page.locator("#import").get_by_role("status")).to_contain_text("Queued")
        expect(page.locator("#mapping")).to_contain_text("No locations yet")
    shopify_worker.go_ahead.set()
    _expect_import_succeeded(page, "Full")
    tablet.shoot("shopify-import-done")

    # The locations arrived with the import, and the mapping card with the import's poll, without a reload: link
    # Gulberg to the first active one (htmx posts on change).
    expect(page.locator("#mapping")).not_to_contain_text("No locations yet")
    select = page.locator(f"#location-{demo.gulberg_id}")
    first_location = select.locator("option:not([value=''])").first.get_attribute("value")
    assert first_location
    with page.expect_response(lambda r: "/settings/locations/" in r.url and r.request.method == "POST") as answer:
        select.select_option(first_location)
    assert answer.value.status == 200, answer.value.text()
    expect(page.locator(f"#location-{demo.gulberg_id}")).to_have_value(first_location)

    page.locator("#import").get_by_role("button", name="Full re-import").click()
    _expect_import_succeeded(page, "Full")

    # Products: the lawn suits, with stock at Gulberg.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Products").click()
    with page.expect_response(lambda r: "q=lawn" in r.url):
        page.locator("#q").fill("lawn")
    rows = page.locator("#variant-rows")
    expect(rows.locator("thead th", has_text=re.compile(r"^GUL$"))).to_have_count(1)
    expect(rows.locator("tbody tr").first).to_contain_text(re.compile("lawn", re.IGNORECASE))
    headers = rows.locator("thead th").all_inner_texts()
    gulberg_column = headers.index("GUL")
    stock = rows.locator(f"tbody tr td:nth-child({gulberg_column + 1})").all_inner_texts()
    assert any(re.fullmatch(r"-?\d+", cell.strip()) for cell in stock), stock
    tablet.shoot("shopify-import-products")

    # A variant stocked at Gulberg shows the opening stock the import recorded.
    stocked = rows.locator("tbody tr").filter(
        has=page.locator(f"td:nth-child({gulberg_column + 1})", has_text=re.compile(r"^-?\d+$"))
    )
    stocked.first.get_by_role("link").click()
    movements = page.locator("section.card").filter(has=page.get_by_role("heading", name="Stock movements"))
    expect(movements.locator("tbody tr").filter(has_text="Opening").first).to_be_visible()
    expect(movements).to_contain_text("Gulberg")

    assert tablet.unexpected_errors(allowed_statuses=[404]) == []  # the sandbox's pages have no favicon
