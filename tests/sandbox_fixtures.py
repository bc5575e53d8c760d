"""Fixtures for the Shopify sandbox: a real server on a free port, a token, a tiny webhook receiver.

A pytest plugin (`pytest_plugins` in tests/conftest.py), so every test directory can start a sandbox. At the end,
fixtures for the app's Shopify client pointed at a sandbox.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from flask import Flask
from redis import Redis
from werkzeug.serving import make_server

from ismartsync.shopify import bucket
from ismartsync.shopify.client import ShopifyClient
from sandbox.shopify import create_sandbox_app
from sandbox.shopify.core import Sandbox

SHOP = "zari-demo.myshopify.com"
OTHER_SHOP = "noor-footwear.myshopify.com"
CHAIN_SHOP = "sitara-stores.myshopify.com"  # 30 stores: more than a page of 10 inventory levels per item
TOKEN = "shpat_sandbox_test_token"
CLIENT_ID = "ismartsync-demo"
CLIENT_SECRET = "ismartsync-demo-secret"


@dataclass
class HttpResponse:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def http(
    method: str,
    url: str,
    data: Any = None,
    headers: dict[str, str] | None = None,
    form: bool = False,
    timeout: float = 10,
) -> HttpResponse:
    """A plain HTTP call with the standard library (no redirects followed)."""
    body = None
    headers = dict(headers or {})
    if data is not None:
        if form:
            body = urllib.parse.urlencode(data).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        else:
            body = json.dumps(data).encode()
            headers["Content-Type"] = "application/json"

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: Any, **kwargs: Any) -> None:
            return None

    opener = urllib.request.build_opener(NoRedirect())
    request = urllib.request.Request(url, data=body, headers=headers, method=method)
    try:
        with opener.open(request, timeout=timeout) as response:
            return HttpResponse(response.status, dict(response.headers), response.read())
    except urllib.error.HTTPError as exc:
        with exc:
            return HttpResponse(exc.code, dict(exc.headers), exc.read())


@dataclass
class RunningSandbox:
    url: str
    app: Flask

    @property
    def sandbox(self) -> Sandbox:
        return self.app.extensions["shopify_sandbox"]

    def graphql(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        *,
        token: str = TOKEN,
        shop: str = SHOP,
        version: str = "2026-07",
        timeout: float = 10,
    ) -> HttpResponse:
        return http(
            "POST",
            f"{self.url}/shops/{shop}/admin/api/{version}/graphql.json",
            {"query": query, "variables": variables or {}},
            {"X-Shopify-Access-Token": token},
            timeout=timeout,
        )

    def control(self, method: str, path: str, data: Any = None) -> Any:
        response = http(method, f"{self.url}/sandbox/control{path}", data)
        assert response.status == 200, response.body
        return response.json()

    def custom_app_secret(self, shop: str = SHOP) -> str:
        """The API secret key of the shop's custom app (TOKEN's app), as its API credentials page shows it."""
        apps = self.control("GET", "/state")["custom_apps"]
        return next(a["api_secret_key"] for a in apps if a["shop"] == shop)

    def subscriptions(self, shop: str = SHOP) -> list[dict[str, Any]]:
        """The shop-specific subscriptions the sandbox holds (every app's), as (topic, uri, client_id) dicts."""
        with self.sandbox.lock:
            return [
                {"id": s.id, "topic": s.topic, "uri": s.uri, "client_id": s.client_id}
                for s in self.sandbox.subscriptions.get(shop, [])
            ]


SUBSCRIBE = """mutation($topic: WebhookSubscriptionTopic!, $uri: String!) {
  webhookSubscriptionCreate(topic: $topic, webhookSubscription: {uri: $uri, format: JSON}) {
    webhookSubscription { id topic uri } userErrors { field message } } }"""


def subscribe(sandbox: RunningSandbox, uri: str, *topics: str, token: str = TOKEN, shop: str = SHOP) -> list[str]:
    """Subscribe the token's app to `topics` (enum names, e.g. INVENTORY_LEVELS_UPDATE) at `uri`, as an app would
    through the API; the new subscriptions' ids."""
    ids = []
    for topic in topics:
        answer = sandbox.graphql(SUBSCRIBE, {"topic": topic, "uri": uri}, token=token, shop=shop).json()
        payload = answer["data"]["webhookSubscriptionCreate"]
        assert not payload["userErrors"], payload
        ids.append(payload["webhookSubscription"]["id"])
    return ids


def _serve(app: Flask) -> tuple[str, Callable[[], None]]:
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()

    def stop() -> None:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)

    return f"http://127.0.0.1:{server.server_port}", stop


def sandbox_config(**overrides: Any) -> dict[str, Any]:
    """Small, fast settings, quick retries. TOKEN is a pasted admin token of the shop's custom app; nothing is
    subscribed to any webhook until a test (or our code at connect) subscribes."""
    config: dict[str, Any] = {
        "tokens": [{"token": TOKEN, "shop": SHOP}],
        "apps": [{"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}],
        "webhooks": {"retry_delays": [0.05, 0.1]},
        "bulk_delay_seconds": 0.0,
    }
    config.update(overrides)
    return config


def _forget_cost_buckets() -> None:
    """A new sandbox is a new Shopify: what the app's client learnt about the old one's rate limits is void."""
    url = os.environ.get("ISMARTSYNC_TEST_REDIS_URL")
    redis = Redis.from_url(url) if url else None
    for shop in (SHOP, OTHER_SHOP, CHAIN_SHOP):
        bucket.forget(shop, None)
        if redis is not None:
            bucket.forget(shop, redis)
    if redis is not None:
        redis.close()


@pytest.fixture
def make_shopify_sandbox() -> Iterator[Callable[..., RunningSandbox]]:
    """Start a sandbox with `sandbox_config(**overrides)` on a free port; everything stops after the test."""
    stops: list[Callable[[], None]] = []

    def start(**overrides: Any) -> RunningSandbox:
        _forget_cost_buckets()
        app = create_sandbox_app(sandbox_config(**overrides))
        url, stop = _serve(app)
        sb = app.extensions["shopify_sandbox"]
        stops.append(lambda: (stop(), sb.close()))
        return RunningSandbox(url, app)

    yield start
    for stop in reversed(stops):
        stop()


@pytest.fixture
def shopify_sandbox(make_shopify_sandbox: Callable[..., RunningSandbox]) -> RunningSandbox:
    return make_shopify_sandbox()


@dataclass
class Receiver:
    """Records webhook POSTs; answers with the statuses queued in `answers` (then 200)."""

    url: str
    calls: list[dict[str, Any]] = field(default_factory=list)
    answers: list[int] = field(default_factory=list)


@pytest.fixture
def webhook_receiver() -> Iterator[Receiver]:
    receiver = Receiver("")
    lock = threading.Lock()

    def wsgi(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        raw = environ["wsgi.input"].read(length)
        headers = {k[5:].replace("_", "-").title(): v for k, v in environ.items() if k.startswith("HTTP_")}
        with lock:
            receiver.calls.append({"headers": headers, "body": raw})
            status = receiver.answers.pop(0) if receiver.answers else 200
        start_response(f"{status} X", [("Content-Type", "text/plain")])
        return [b"ok"]

    url, stop = _serve(wsgi)  # type: ignore[arg-type]
    receiver.url = f"{url}/webhooks/shopify"
    yield receiver
    stop()


# The app's Shopify client against a sandbox.

TEST_REDIS_URL = os.environ.get("ISMARTSYNC_TEST_REDIS_URL")
FAST_TIMEOUT = httpx.Timeout(connect=2, read=5, write=5, pool=2)


class Sleeps(list[float]):
    """A `sleep` for the client that only records: retry tests need not wait out real backoffs."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def requests_log(sandbox: RunningSandbox, shop: str = SHOP) -> list[dict[str, Any]]:
    """What the sandbox saw, in order: one entry per GraphQL request."""
    return sandbox.control("GET", f"/requests?shop={shop}")["requests"]


@pytest.fixture
def shared_redis() -> Iterator[Redis | None]:
    """The test Redis when configured (the cost bucket is then shared through it), else None (in-process bucket)."""
    if not TEST_REDIS_URL:
        yield None
        return
    redis = Redis.from_url(TEST_REDIS_URL)
    yield redis
    redis.close()


@pytest.fixture
def make_client(shared_redis: Redis | None) -> Iterator[Callable[..., ShopifyClient]]:
    """`make_client(sandbox, token=..., **options)`: a ShopifyClient for the sandbox's Zari shop, closed after."""
    clients: list[ShopifyClient] = []

    def make(sandbox: RunningSandbox, *, token: str = TOKEN, shop: str = SHOP, **options: Any) -> ShopifyClient:
        options.setdefault("timeout", FAST_TIMEOUT)
        options.setdefault("redis", shared_redis)
        client = ShopifyClient(shop, token, api_base_template=f"{sandbox.url}/shops/{{shop}}", **options)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


@pytest.fixture
def shopify_log() -> Iterator[list[logging.LogRecord]]:
    """Every record the client logs, debug included (the app's logger does not propagate to caplog)."""
    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    logger = logging.getLogger("ismartsync.shopify")
    handler, level = Keep(logging.DEBUG), logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    yield records
    logger.removeHandler(handler)
    logger.setLevel(level)


# The FBR IMS POS sandbox (sandbox/fbr) on a free port.


@dataclass
class RunningFbr:
    url: str
    app: Flask

    @property
    def cloud_url(self) -> str:
        """The sandbox-environment PostData URL (the spec's `https://esp.fbr.gov.pk:8244/FBR/v1/api/Live/PostData`)."""
        return f"{self.url}/FBR/v1/api/Live/PostData"

    def control(self, method: str, path: str, data: Any = None) -> Any:
        response = http(method, f"{self.url}/control{path}", data)
        assert response.status == 200, response.body
        return response.json()


@pytest.fixture
def make_fbr_sandbox() -> Iterator[Callable[..., RunningFbr]]:
    """`make_fbr_sandbox(tokens=[{posid, token, environment}])`: a real FBR sandbox server; stops after the test."""
    from sandbox.fbr import create_fbr_sandbox_app

    stops: list[Callable[[], None]] = []

    def start(**config: Any) -> RunningFbr:
        app = create_fbr_sandbox_app(config)
        url, stop = _serve(app)
        stops.append(stop)
        return RunningFbr(url, app)

    yield start
    for stop in reversed(stops):
        stop()
