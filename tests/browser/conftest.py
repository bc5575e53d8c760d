"""Browser fixtures: the app on a real port in a thread, Debian's chromium driven by Playwright.

A live server answers from another thread, so it cannot join the rolled-back transaction of
`tests/conftest.py`: these tests commit for real, seed the demo merchant through the live app and
truncate every table afterwards.
"""

from __future__ import annotations

import functools
import os
import re
import threading
from collections.abc import Collection, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Browser, ConsoleMessage, Page, sync_playwright
from sqlalchemy import select
from werkzeug.serving import WSGIRequestHandler, make_server

from ismartsync import cli, create_app, passwords, throttle
from ismartsync.extensions import db, limiter
from ismartsync.models import Branch, Product, Variant
from ismartsync.models.catalog import search_text
from ismartsync.services import merchants
from ismartsync.services.stock.ledger import record_opening_stock
from tests.conftest import make_test_config
from tests.sandbox_fixtures import _serve

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# The two ways a counter tablet is held.
VIEWPORTS = {"portrait": {"width": 800, "height": 1280}, "landscape": {"width": 1280, "height": 800}}
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
# Chrome logs every 4xx/5xx answer as a console error; tests that expect one (a wrong PIN) allow it.
HTTP_STATUS_ERROR = re.compile(r"Failed to load resource: the server responded with a status of (\d+)")


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in {"", "0", "false", "no"}


@pytest.fixture(autouse=True)
def _transaction() -> Iterator[None]:
    """Replaces the rolled-back transaction of `tests/conftest.py`: the live server commits for real."""
    yield


@pytest.fixture(scope="session")
def chromium() -> Iterator[Browser]:
    """One headless chromium for the whole run; each test gets a fresh context."""
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} is missing: install Debian's chromium (apt-get install chromium)"
        if _in_ci():
            pytest.fail(message + "; browser tests may not be skipped in CI", pytrace=False)
        pytest.skip(message)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def demo_fbr() -> Iterator[Flask]:
    """The FBR sandbox `make run` starts: the demo token for the demo counters' POSIDs (seed-demo switches them on)."""
    from sandbox.fbr import create_fbr_sandbox_app

    fbr = create_fbr_sandbox_app(
        {"tokens": [{"posid": p, "token": cli.DEMO_FBR_TOKEN} for p in cli.DEMO_FBR_POSIDS.values()]}
    )
    fbr.config["URL"], stop = _serve(fbr)
    yield fbr
    stop()


@pytest.fixture(scope="session")
def live_app(app: Flask, database_url: str, demo_fbr: Flask) -> Iterator[Flask]:
    """A second app on the same database (the session `app` ran the migrations), without the test transaction."""
    live = create_app(
        make_test_config(
            database_url,
            FBR_API_BASE=demo_fbr.config["URL"],  # never FBR's own hosts
            SERVER_NAME=None,  # answer on 127.0.0.1:<port>
            # Plain http on loopback: cookies must not require https.
            SESSION_COOKIE_SECURE=False,
            REMEMBER_COOKIE_SECURE=False,
            DEVICE_COOKIE_SECURE=False,
        )
    )
    yield live
    with live.app_context():
        db.engine.dispose()


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, *args: object, **kwargs: object) -> None:
        """The app logs its own requests."""


@pytest.fixture(scope="session")
def live_server(chromium: Browser, live_app: Flask) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, live_app, threaded=True, request_handler=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)
    server.server_close()


@dataclass
class Demo:
    """Ids of the seeded demo merchant (see `ismartsync.cli.DEMO_STAFF` for names, emails and PINs)."""

    gulberg_id: int


def _empty_database() -> None:
    tables = db.metadata.sorted_tables
    if db.engine.dialect.name == "postgresql":
        names = ", ".join(f'"{t.name}"' for t in tables)
        db.session.execute(db.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    else:
        for table in reversed(tables):
            db.session.execute(table.delete())
    db.session.commit()


@functools.cache
def _hash_once(kind: str, secret: str) -> str:
    return passwords.hash_pin(secret) if kind == "pin" else passwords.hash_password(secret)


def _seed_demo_quickly() -> None:
    """`seed_demo()`, with each Argon2 hash computed once per run rather than a dozen times per test."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(cli, "hash_password", functools.partial(_hash_once, "password"))
        patch.setattr(cli, "hash_pin", functools.partial(_hash_once, "pin"))
        patch.setattr(merchants, "hash_password", functools.partial(_hash_once, "password"))
        cli.seed_demo()


@pytest.fixture
def demo(live_app: Flask, live_server: str, demo_fbr: Flask) -> Iterator[Demo]:
    """The demo merchant, committed; every table is emptied afterwards (even if seeding failed)."""
    try:
        with live_app.app_context():
            _seed_demo_quickly()
            gulberg = db.session.scalar(select(Branch).where(Branch.code == "GUL"))
            seeded = Demo(gulberg_id=gulberg.id)
        yield seeded
    finally:
        with live_app.app_context():
            db.session.remove()
            _empty_database()
            limiter.reset()
            throttle.reset()
        demo_fbr.extensions["fbr_sandbox"].reset()  # sale numbers start again with the next demo


@dataclass
class Tablet:
    """A page in a fresh browser context, plus what its console said."""

    page: Page
    viewport: str
    console_errors: list[str] = field(default_factory=list)

    def shoot(self, name: str, *, full_page: bool = True) -> None:
        """Save a screenshot for people to look at (test-artifacts/ is not committed).

        A full page is taken from the top, so the sticky top bar sits where it belongs; an open dialog
        is taken as the screen shows it.
        """
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        if full_page:
            self.page.evaluate("window.scrollTo(0, 0)")
        self.page.screenshot(path=str(SCREENSHOTS / f"{name}-{self.viewport}.png"), full_page=full_page)

    def unexpected_errors(self, allowed_statuses: Collection[int] = ()) -> list[str]:
        """Console errors other than the HTTP statuses a test expects (CSP violations always count)."""
        return [
            text
            for text in self.console_errors
            if not ((m := HTTP_STATUS_ERROR.search(text)) and int(m.group(1)) in allowed_statuses)
        ]


@pytest.fixture(params=list(VIEWPORTS), ids=list(VIEWPORTS))
def viewport(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def tablet(chromium: Browser, live_server: str, demo: Demo, viewport: str) -> Iterator[Tablet]:
    context = chromium.new_context(base_url=live_server, viewport=VIEWPORTS[viewport], has_touch=True)
    context.set_default_timeout(10_000)
    page = context.new_page()
    tablet = Tablet(page=page, viewport=viewport)

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            tablet.console_errors.append(message.text)

    page.on("console", on_console)
    page.on("pageerror", lambda exc: tablet.console_errors.append(f"uncaught: {exc}"))
    try:
        yield tablet
    finally:
        context.close()


# (product, variant, barcode, price in paisa)
ITEMS = [
    ("Lawn 3pc Printed", "Emerald", "8964000000011", 450000),
    ("Khussa Embroidered", "Size 38", "8964000000028", 250000),
    ("Cotton Dupatta", "Default Title", "8964000000035", 120000),
]


@pytest.fixture
def stocked(live_app: Flask, demo: Demo) -> None:
    """Three items with barcodes and stock at Gulberg, as an import from Shopify would leave them."""
    with live_app.app_context():
        branch = db.session.get(Branch, demo.gulberg_id)
        variants = []
        for n, (title, variant_title, barcode, price) in enumerate(ITEMS):
            product = Product(
                merchant_id=branch.merchant_id, shopify_id=f"gid://shopify/Product/{700 + n}", title=title
            )
            variant = Variant(
                merchant_id=branch.merchant_id,
                product=product,
                shopify_id=f"gid://shopify/ProductVariant/{700 + n}",
                title=variant_title,
                sku=f"ZR-{700 + n}",
                barcode=barcode,
                price_minor=price,
                search_text=search_text(title, variant_title, f"ZR-{700 + n}", barcode),
            )
            db.session.add_all([product, variant])
            variants.append(variant)
        db.session.flush()
        record_opening_stock(db.session, branch, {v.id: 20 for v in variants}, "demo")
        db.session.commit()
