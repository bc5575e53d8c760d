"""Webhook delivery: HMAC-signed REST-shaped JSON POSTs to every subscription, from a background thread, at least
once (retries with backoff), optionally paused, duplicated or reordered on request."""

from __future__ import annotations

import base64
import hashlib
import heapq
import hmac
import itertools
import json
import random
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sandbox.shopify.core import Sandbox


def sign(secret: str, body: bytes) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


@dataclass(eq=False)
class Subscription:
    id: int
    shop: str
    client_id: str
    topic: str
    uri: str
    api_version: str
    created_at: float
    format: str = "JSON"
    include_fields: list[str] = field(default_factory=list)
    filter: str | None = None
    name: str | None = None
    typename = "WebhookSubscription"


@dataclass(eq=False)
class Delivery:
    webhook_id: str
    event_id: str
    topic: str
    shop: str
    client_id: str
    uri: str
    secret: str
    api_version: str
    triggered_at: float
    build: Callable[[], dict[str, Any]]
    body: list[bytes | None]
    name: str | None = None
    include_fields: list[str] = field(default_factory=list)
    attempts: int = 0
    status: str = "pending"
    history: list[dict[str, Any]] = field(default_factory=list)
    duplicate: bool = False

    def describe(self) -> dict[str, Any]:
        body = self.body[0]
        return {
            "webhook_id": self.webhook_id,
            "event_id": self.event_id,
            "topic": self.topic,
            "shop": self.shop,
            "client_id": self.client_id,
            "uri": self.uri,
            "status": self.status,
            "attempts": self.attempts,
            "duplicate": self.duplicate,
            "history": self.history,
            "triggered_at": datetime.fromtimestamp(self.triggered_at, UTC).isoformat(),
            "payload": json.loads(body) if body else None,
        }


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # a 3xx is a failed delivery, as at Shopify


class WebhookDispatcher:
    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox
        self.cond = threading.Condition()
        self.queue: list[tuple[float, int, Delivery]] = []
        self.seq = itertools.count()
        self.log: deque[Delivery] = deque(maxlen=5000)
        self.paused = False
        self.duplicate = 0
        self.reorder = False
        self.busy = 0
        self.thread: threading.Thread | None = None
        self.opener = urllib.request.build_opener(_NoRedirect())

    @property
    def settings(self) -> dict[str, Any]:
        return self.sandbox.config["webhooks"]

    def emit(
        self,
        shop: str,
        topic: str,
        build: Callable[[], dict[str, Any]],
        event_id: str | None = None,
        targets: list[tuple[Subscription, str]] | None = None,
    ) -> int:
        """Queue one delivery per subscription to `topic` of an app installed on `shop` (or per given target); the
        payload is built at the first attempt (so it shows the state then, as Shopify's do)."""
        if not self.settings.get("enabled", True):
            return 0
        event_id = event_id or str(uuid.uuid4())
        now = self.sandbox.now()
        count = 0
        if targets is None:
            targets = self.sandbox.subscriptions_for(shop, topic)
        for sub, secret in targets:
            body: list[bytes | None] = [None]
            webhook_id = str(uuid.uuid4())
            for copy in range(1 + self.duplicate):
                delivery = Delivery(
                    webhook_id,
                    event_id,
                    topic,
                    shop,
                    sub.client_id,
                    sub.uri,
                    secret,
                    sub.api_version,
                    now,
                    build,
                    body,
                    sub.name,
                    sub.include_fields,
                    duplicate=copy > 0,
                )
                self._enqueue(delivery, 0.05 * copy)
                count += 1
        return count

    def _enqueue(self, delivery: Delivery, delay: float) -> None:
        with self.cond:
            if delivery.attempts == 0:
                self.log.append(delivery)
            heapq.heappush(self.queue, (time.monotonic() + delay, next(self.seq), delivery))
            if self.thread is None:
                self.thread = threading.Thread(target=self._run, name="shopify-sandbox-webhooks", daemon=True)
                self.thread.start()
            self.cond.notify_all()

    def _run(self) -> None:
        stopping = self.sandbox.stopping
        while not stopping.is_set():
            with self.cond:
                now = time.monotonic()
                if self.paused or not self.queue or self.queue[0][0] > now:
                    timeout = None if self.paused or not self.queue else self.queue[0][0] - now
                    self.cond.wait(timeout if timeout is not None else 0.5)
                    continue
                batch = []
                while self.queue and self.queue[0][0] <= now:
                    batch.append(heapq.heappop(self.queue)[2])
                self.busy += 1
            try:
                for delivery in reversed(batch) if self.reorder else batch:
                    if not stopping.is_set():
                        self.attempt(delivery)
            finally:
                with self.cond:
                    self.busy -= 1
                    self.cond.notify_all()

    def _body(self, delivery: Delivery) -> bytes:
        if delivery.body[0] is None:
            with self.sandbox.lock:
                payload = delivery.build()
            if delivery.include_fields:
                payload = {k: v for k, v in payload.items() if k in delivery.include_fields}
            delivery.body[0] = json.dumps(payload).encode()
        return delivery.body[0]

    def attempt(self, delivery: Delivery) -> None:
        """One POST; on failure schedule the next retry, or give up after the last."""
        body = self._body(delivery)
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "Shopify-Captain-Hook",
            "X-Shopify-Topic": delivery.topic,
            "X-Shopify-Hmac-Sha256": sign(delivery.secret, body),
            "X-Shopify-Shop-Domain": delivery.shop,
            "X-Shopify-Webhook-Id": delivery.webhook_id,
            "X-Shopify-Event-Id": delivery.event_id,
            "X-Shopify-Triggered-At": datetime.fromtimestamp(delivery.triggered_at, UTC)
            .isoformat()
            .replace("+00:00", "Z"),
            "X-Shopify-API-Version": delivery.api_version,
        }
        if delivery.name:
            headers["X-Shopify-Name"] = delivery.name
        delivery.attempts += 1
        outcome: dict[str, Any] = {"at": self.sandbox.now()}
        try:
            request = urllib.request.Request(delivery.uri, data=body, headers=headers, method="POST")
            with self.opener.open(request, timeout=float(self.settings.get("timeout_seconds", 5))) as response:
                outcome["status"] = response.status
        except urllib.error.HTTPError as exc:
            outcome["status"] = exc.code
            exc.close()
        except (OSError, ValueError) as exc:
            outcome["error"] = str(exc) or type(exc).__name__
        delivery.history.append(outcome)
        if 200 <= outcome.get("status", 0) < 300:
            delivery.status = "delivered"
            return
        delays = self.settings.get("retry_delays") or []
        if delivery.attempts > len(delays):
            delivery.status = "failed"
            return
        self._enqueue(delivery, float(delays[delivery.attempts - 1]))

    def configure(
        self, *, paused: bool | None = None, duplicate: int | None = None, reorder: bool | None = None
    ) -> None:
        with self.cond:
            self.paused = self.paused if paused is None else paused
            self.duplicate = self.duplicate if duplicate is None else max(0, int(duplicate))
            self.reorder = self.reorder if reorder is None else reorder
            self.cond.notify_all()

    def flush(self, order: str = "fifo") -> int:
        """Deliver everything queued right now, in the caller's thread: fifo, reverse or shuffle."""
        with self.cond:
            batch = [d for _, _, d in sorted(self.queue, key=lambda entry: entry[1])]  # in the order queued
            self.queue.clear()
        if order == "reverse":
            batch.reverse()
        elif order == "shuffle":
            random.shuffle(batch)
        for delivery in batch:
            self.attempt(delivery)
        return len(batch)

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """True once nothing is queued or being sent (paused deliveries count as queued)."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while self.queue or self.busy:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self.cond.wait(min(remaining, 0.05))
        return True

    def deliveries(self) -> list[dict[str, Any]]:
        with self.cond:
            return [d.describe() for d in self.log]

    def clear(self) -> None:
        with self.cond:
            self.queue.clear()
            self.log.clear()
            self.paused, self.duplicate, self.reorder = False, 0, False

    def close(self) -> None:
        with self.cond:
            self.cond.notify_all()
        if self.thread is not None:
            self.thread.join(timeout=10)
