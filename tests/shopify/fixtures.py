"""Shopify fixtures for the app's side: our app configured against a sandbox on a free port, installs, signing.

Imported by the conftests of the test directories that need them, next to the sandbox's own fixtures.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
import sqlalchemy as sa
from flask import Flask
from sqlalchemy.orm import Session

from ismartsync.models import ShopifyConnection
from ismartsync.shopify.oauth import ShopifyApp, Tokens
from tests.sandbox_fixtures import CLIENT_ID, CLIENT_SECRET, SHOP, TOKEN, RunningSandbox, http  # noqa: F401

SCOPES = "read_products,write_inventory,read_locations,read_orders,read_customers"
_MISSING = object()
_KEYS = ("SHOPIFY_API_BASE", "SHOPIFY_CLIENT_ID", "SHOPIFY_CLIENT_SECRET", "SHOPIFY_SCOPES", "SHOPIFY_WEBHOOK_URL")
# Our shopify.app.toml, which the sandbox reads for our app's declared webhooks when a test asks it to.
APP_TOML = str(Path(__file__).resolve().parents[2] / "shopify.app.toml")
T = TypeVar("T")


@pytest.fixture
def use_sandbox(app: Flask) -> Iterator[Callable[[RunningSandbox], ShopifyApp]]:
    """Point the app's Shopify settings at a running sandbox for this test; the old settings come back after.

    Subscriptions we create go to the sandbox's app URL, where the test has put whatever should receive them (a
    receiver, the app on a real port, or nothing)."""
    saved = {key: app.config.get(key, _MISSING) for key in _KEYS}

    def use(running: RunningSandbox) -> ShopifyApp:
        app.config.update(
            SHOPIFY_API_BASE=f"{running.url}/shops/{{shop}}",
            SHOPIFY_CLIENT_ID=CLIENT_ID,
            SHOPIFY_CLIENT_SECRET=CLIENT_SECRET,
            SHOPIFY_SCOPES=SCOPES,
            SHOPIFY_WEBHOOK_URL=running.sandbox.config["app_url"].rstrip("/") + "/webhooks/shopify",
        )
        return ShopifyApp.from_config(app.config)

    yield use
    for key, value in saved.items():
        if value is _MISSING:
            app.config.pop(key, None)
        else:
            app.config[key] = value


@pytest.fixture
def start_sandbox(app: Flask, make_shopify_sandbox: Callable[..., RunningSandbox]) -> Callable[..., RunningSandbox]:
    """A sandbox whose app URL is ours, so it accepts our callback address (or `app_url`: where webhooks go)."""

    def start(**overrides: Any) -> RunningSandbox:
        return make_shopify_sandbox(**{"app_url": app.config["BASE_URL"], **overrides})

    return start


@pytest.fixture
def sandbox(start_sandbox: Callable[..., RunningSandbox]) -> RunningSandbox:
    return start_sandbox()


@pytest.fixture
def shopify_app(use_sandbox: Callable[[RunningSandbox], ShopifyApp], sandbox: RunningSandbox) -> ShopifyApp:
    return use_sandbox(sandbox)


def press_install(authorize_url: str) -> str:
    """Open Shopify's install page, press Install, and return where Shopify sends the merchant (the callback URL)."""
    page = http("GET", authorize_url)
    assert page.status == 200, page.body
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', page.body.decode()))
    answer = http("POST", authorize_url.split("?")[0], fields, form=True)
    assert answer.status == 302, answer.body
    return answer.headers["Location"]


def callback_params(location: str) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(location).query))


def install_with_oauth(app: ShopifyApp, owner: Any, shop: str = SHOP) -> Any:
    """The owner installs our app on `shop` (authorize, Install, callback): an expiring token and a refresh token.
    Replaces the credentials of a connection the merchant already has."""
    from ismartsync.extensions import db
    from ismartsync.services.audit import Actor
    from ismartsync.services.shopify_store.connection import connect_with_oauth
    from ismartsync.shopify.oauth import authorize_url

    url = authorize_url(app, shop, redirect_uri="http://127.0.0.1:5000/shopify/callback", state="s")
    code = callback_params(press_install(url))["code"]
    connection = connect_with_oauth(db.session, Actor(owner), app, shop=shop, code=code)
    db.session.commit()
    return connection


def store_of(merchant: Any, shop: str = SHOP, **values: Any) -> ShopifyConnection:
    """The merchant's store `shop`, connected with a pasted admin token that no sandbox answers to (`values`: status,
    client_secret, …): for what we read and show about a store without calling it."""
    from ismartsync.extensions import db
    from ismartsync.models.shopify import AuthMethod

    connection = ShopifyConnection(
        merchant=merchant, shop_domain=shop, auth_method=AuthMethod.ADMIN_TOKEN, access_token="shpat_x", **values
    )
    db.session.add(connection)
    db.session.flush()
    return connection


def sign(params: dict[str, str], secret: str = CLIENT_SECRET) -> dict[str, str]:
    """Sign query parameters as Shopify does (what a forger without the secret cannot do)."""
    message = "&".join(f"{k}={v}" for k, v in sorted(params.items()) if k != "hmac")
    return {**params, "hmac": hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()}


def signed_query(secret: str = CLIENT_SECRET, **params: str) -> str:
    params.setdefault("timestamp", str(int(time.time())))
    return urlencode(sign(params, secret))


@dataclass
class RacedConnection:
    """An OAuth connection to the sandbox's Zari shop, committed for real on an engine of its own, for tests that
    race two workers on its row lock (each worker in its own session, as two RQ workers would be)."""

    engine: sa.Engine
    merchant_id: int
    id: int
    tokens: Tokens

    def in_two_workers(self, work: Callable[[Session, Callable[[], None]], T]) -> list[T]:
        """`work(session, ready)` in two threads at once, each with its own session; `ready()` waits for the other
        worker, so what follows it runs in both at the same moment. Their answers, in the order they finished."""
        start = threading.Barrier(2)
        results: list[T] = []

        def worker() -> None:
            with Session(self.engine) as session:
                results.append(work(session, start.wait))

        threads = [threading.Thread(target=worker) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        return results

    def saved_access_token(self) -> str:
        with Session(self.engine) as session:
            return session.get(ShopifyConnection, self.id).access_token


@pytest.fixture
def raced_connection(database_url: str, shopify_app: ShopifyApp) -> Iterator[Callable[..., RacedConnection]]:
    """`raced_connection(expires_in=timedelta(...))`: install our app on the sandbox's shop and commit the OAuth
    connection for a new merchant; both rows are deleted after the test. PostgreSQL only (SQLite has no row locks)."""
    from ismartsync.models import Merchant
    from ismartsync.models.base import utcnow
    from ismartsync.models.shopify import AuthMethod
    from ismartsync.shopify.oauth import authorize_url, exchange_code

    if not database_url.startswith("postgresql"):
        pytest.skip("needs ISMARTSYNC_TEST_DATABASE_URL: SQLite has no row locks to race on")
    engine = sa.create_engine(database_url, pool_size=4)
    made: list[RacedConnection] = []

    def make(*, expires_in: timedelta) -> RacedConnection:
        url = authorize_url(shopify_app, SHOP, redirect_uri="http://127.0.0.1:5000/shopify/callback", state="s")
        tokens = exchange_code(shopify_app, SHOP, callback_params(press_install(url))["code"])
        with Session(engine) as session:
            merchant = Merchant(legal_name="Race Ltd", brand_name="Race")
            connection = ShopifyConnection(
                merchant=merchant,
                shop_domain=SHOP,
                auth_method=AuthMethod.OAUTH,
                access_token=tokens.access_token,
                access_token_expires_at=utcnow() + expires_in,
                refresh_token=tokens.refresh_token,
            )
            session.add_all([merchant, connection])
            session.commit()
            made.append(RacedConnection(engine, merchant.id, connection.id, tokens))
        return made[-1]

    try:
        yield make
    finally:
        with engine.begin() as conn:
            for raced in made:
                conn.execute(sa.text("DELETE FROM shopify_connections WHERE id = :id"), {"id": raced.id})
                conn.execute(sa.text("DELETE FROM merchants WHERE id = :id"), {"id": raced.merchant_id})
        engine.dispose()
