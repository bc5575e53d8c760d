"""The sandbox as one object: configuration, clock, shops, credentials, rate limits, faults, webhooks, bulk
operations and what the API has seen (request log, idempotency keys). Everything lives in memory."""

from __future__ import annotations

import itertools
import shutil
import tempfile
import threading
import time
from collections import Counter, deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from sandbox.shopify.auth import Auth, custom_app
from sandbox.shopify.bulk import BulkRunner
from sandbox.shopify.faults import Faults
from sandbox.shopify.idempotency import IdempotencyRecord
from sandbox.shopify.ratelimit import RateLimiter
from sandbox.shopify.seed import SEED_EPOCH, seed_shop
from sandbox.shopify.store import ShopState
from sandbox.shopify.webhooks import Subscription, WebhookDispatcher


@dataclass(eq=False)
class Sandbox:
    config: dict[str, Any]
    lock: threading.RLock = field(default_factory=threading.RLock)
    stopping: threading.Event = field(default_factory=threading.Event)
    clock_offset: float = 0.0
    shops: dict[str, ShopState] = field(default_factory=dict)
    idempotency: dict[tuple[str, str, str], IdempotencyRecord] = field(default_factory=dict)
    subscriptions: dict[str, list[Subscription]] = field(default_factory=dict)
    custom_apps: dict[str, dict[str, Any]] = field(default_factory=dict)  # shop domain → its custom app
    requests: deque[dict[str, Any]] = field(default_factory=lambda: deque(maxlen=20_000))
    request_seq: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    def __post_init__(self) -> None:
        self.tmpdir = tempfile.mkdtemp(prefix="shopify-sandbox-")
        self.auth = Auth(self)
        self.limiter = RateLimiter(self.config["rate_limit"])
        self.faults = Faults()
        self.webhooks = WebhookDispatcher(self)
        self.bulk = BulkRunner(self)
        # What the control API may change (token lifetimes, slow bulk operations), restored by reset().
        self.configured = {name: dict(self.config[name]) for name in ("ttl", "bulk")}
        self.reset()

    def now(self) -> float:
        """Sandbox time: wall clock plus whatever the control API advanced it by (token expiry tests)."""
        return time.time() + self.clock_offset

    def reset(self, *, variants: int | None = None, seed: int | None = None, keep_tokens: bool = False) -> None:
        """Back to the seeded start: shops, logs, keys, limits, faults, webhook queue (and credentials unless kept)."""
        with self.lock:
            if variants is not None:
                self.config["variants"] = int(variants)
            if seed is not None:
                self.config["seed"] = int(seed)
            self.shops = {}
            for ordinal, spec in enumerate(self.config["shops"]):
                shop = ShopState(
                    domain=spec["domain"],
                    name=spec.get("name") or spec["domain"],
                    ordinal=ordinal,
                    created_at=SEED_EPOCH - 800 * 86_400,
                    email=f"owner@{spec['domain']}",
                    kind=spec.get("kind", "apparel"),
                )
                count = spec.get("variants") if spec.get("variants") is not None else self.config["variants"]
                seed_shop(
                    shop,
                    variants=int(count),
                    seed=int(spec.get("seed") or self.config["seed"]),
                    locations=spec.get("locations"),
                )
                self.shops[shop.domain] = shop
                self.custom_apps[shop.domain] = custom_app(
                    shop.domain, shop.name, int(self.config["seed"]), spec.get("custom_app_scopes") or ""
                )
            self.idempotency.clear()
            self.subscriptions.clear()
            self.requests.clear()
            self.limiter.reset(self.config["rate_limit"])
            self.faults.clear()
            self.webhooks.clear()
            self.bulk.clear()
            self.clock_offset = 0.0
            for name, values in self.configured.items():
                self.config[name] = dict(values)
            if not keep_tokens:
                self.auth.tokens.clear()
                self.auth.refresh_tokens.clear()
                self.auth.grants.clear()
                self.auth.installs.clear()
                self.auth.load_configured_tokens()

    def shop(self, domain: str) -> ShopState | None:
        return self.shops.get(domain)

    def emit(self, shop: ShopState, topic: str, build: Any, event_id: str | None = None) -> int:
        return self.webhooks.emit(shop.domain, topic, build, event_id)

    def subscriptions_for(self, shop: str, topic: str) -> list[tuple[Subscription, str]]:
        """Subscriptions of apps installed on `shop`, each with the secret that signs it: those an app declares in
        its `shopify.app.toml` and those it created through the API. Nothing else: no app is subscribed for it."""
        found: dict[tuple[str, str], tuple[Subscription, str]] = {}
        with self.lock:
            for app in self.config["apps"]:
                if (shop, app["client_id"]) not in self.auth.installs:
                    continue
                for declared in app.get("declared_webhooks") or []:
                    if topic not in declared["topics"]:
                        continue
                    sub = Subscription(
                        0,
                        shop,
                        app["client_id"],
                        topic,
                        declared["uri"],
                        declared["api_version"],
                        0.0,
                        include_fields=declared["include_fields"],
                        filter=declared["filter"],
                    )
                    found[(app["client_id"], sub.uri)] = (sub, app["client_secret"])
            for sub in self.subscriptions.get(shop, []):
                app = self.auth.app(sub.client_id)
                if sub.topic == topic and app is not None and (shop, sub.client_id) in self.auth.installs:
                    found[(sub.client_id, sub.uri)] = (sub, app["client_secret"])
        return list(found.values())

    def log_request(self, entry: dict[str, Any]) -> None:
        entry["seq"] = next(self.request_seq)
        self.requests.append(entry)

    def request_summary(self, shop: str | None = None) -> dict[str, Any]:
        entries = [e for e in self.requests if shop is None or e.get("shop") == shop]
        return {
            "total": len(entries),
            "by_operation": dict(Counter(e.get("operation_name") or "(anonymous)" for e in entries)),
            "by_root_field": dict(Counter(f for e in entries for f in e.get("root_fields", ()))),
            "by_status": dict(Counter(str(e.get("status")) for e in entries)),
            "throttled": sum(1 for e in entries if e.get("throttled")),
        }

    def close(self) -> None:
        """Stop the background threads and remove bulk result files."""
        self.stopping.set()
        self.webhooks.close()
        self.bulk.close()
        shutil.rmtree(self.tmpdir, ignore_errors=True)
