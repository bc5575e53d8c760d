"""Shopify's calculated-cost leaky bucket, one per app and shop: maximumAvailable points, restoreRate per second."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any


@dataclass
class Bucket:
    maximum: float
    restore_rate: float
    available: float
    stamp: float

    def refill(self, now: float) -> float:
        self.available = min(self.maximum, self.available + (now - self.stamp) * self.restore_rate)
        self.stamp = now
        return self.available

    def status(self) -> dict[str, Any]:
        return {
            "maximumAvailable": float(self.maximum),
            "currentlyAvailable": int(self.available),
            "restoreRate": float(self.restore_rate),
        }


class RateLimiter:
    """Buckets keyed by (shop, client_id). Shop overrides (set through the control API) apply to new and existing
    buckets of that shop."""

    def __init__(self, defaults: dict[str, Any]) -> None:
        self.defaults = {
            "maximum_available": float(defaults["maximum_available"]),
            "restore_rate": float(defaults["restore_rate"]),
        }
        self.overrides: dict[str, dict[str, float]] = {}
        self.buckets: dict[tuple[str, str], Bucket] = {}
        self.initial: dict[str, float] = {}
        self.lock = threading.Lock()

    def _settings(self, shop: str) -> dict[str, float]:
        return {**self.defaults, **self.overrides.get(shop, {})}

    def bucket(self, shop: str, client_id: str) -> Bucket:
        key = (shop, client_id)
        if key not in self.buckets:
            s = self._settings(shop)
            start = min(self.initial.get(shop, s["maximum_available"]), s["maximum_available"])
            self.buckets[key] = Bucket(s["maximum_available"], s["restore_rate"], start, time.monotonic())
        return self.buckets[key]

    def take(self, shop: str, client_id: str, cost: int) -> tuple[bool, Bucket]:
        """Charge the requested cost if the bucket holds it; Shopify refunds the unused part afterwards."""
        with self.lock:
            bucket = self.bucket(shop, client_id)
            bucket.refill(time.monotonic())
            if bucket.available < cost:
                return False, bucket
            bucket.available -= cost
            return True, bucket

    def refund(self, shop: str, client_id: str, points: float) -> dict[str, Any]:
        with self.lock:
            bucket = self.bucket(shop, client_id)
            bucket.refill(time.monotonic())
            bucket.available = min(bucket.maximum, bucket.available + max(0.0, points))
            return bucket.status()

    def configure(
        self,
        shop: str | None,
        *,
        maximum_available: float | None = None,
        restore_rate: float | None = None,
        currently_available: float | None = None,
    ) -> None:
        """Change limits for one shop (or the defaults for all when shop is None), as Shopify may do at any time."""
        with self.lock:
            changes = {
                k: float(v)
                for k, v in (("maximum_available", maximum_available), ("restore_rate", restore_rate))
                if v is not None
            }
            if shop is None:
                self.defaults.update(changes)
                self.overrides.clear()
                targets = list(self.buckets.values())
            else:
                self.overrides.setdefault(shop, {}).update(changes)
                targets = [b for (s, _), b in self.buckets.items() if s == shop]
                if currently_available is not None:
                    self.initial[shop] = float(currently_available)
            for bucket in targets:
                bucket.refill(time.monotonic())
                bucket.maximum = changes.get("maximum_available", bucket.maximum)
                bucket.restore_rate = changes.get("restore_rate", bucket.restore_rate)
                bucket.available = min(bucket.available, bucket.maximum)
                if currently_available is not None:
                    bucket.available = min(float(currently_available), bucket.maximum)

    def reset(self, defaults: dict[str, Any]) -> None:
        with self.lock:
            self.buckets.clear()
            self.overrides.clear()
            self.initial.clear()
            self.defaults = {
                "maximum_available": float(defaults["maximum_available"]),
                "restore_rate": float(defaults["restore_rate"]),
            }
