"""The per-shop cost bucket every worker draws from before calling Shopify, so together they never get THROTTLED.

Shopify meters each app and shop with a leaky bucket of query-cost points (`extensions.cost.throttleStatus`:
currentlyAvailable, maximumAvailable, restoreRate). We keep our own copy of it, as last reported and restored
linearly since, and *reserve* a request's estimated cost before sending it. Reservations still in flight are
subtracted whenever a new report arrives, because that report may not include them yet. With Redis the state is
shared by every process (Lua scripts make each step atomic, times come from the Redis server's clock); without it
one in-process bucket per shop is shared by the threads of this process.
"""

from __future__ import annotations

import logging
import random
import threading
import time
import uuid
from dataclasses import dataclass, replace
from typing import Any, Protocol

from redis import Redis, RedisError

from ismartsync.shopify import bucket_scripts
from ismartsync.shopify.errors import ShopifyUnavailable

log = logging.getLogger("ismartsync.shopify")

# Until Shopify has reported a shop's bucket, assume the smallest one it ever had and let one request through
# to learn the real figures.
DEFAULT_MAXIMUM = 1000.0
DEFAULT_RESTORE_RATE = 50.0
# Until an operation has been answered once: a query as a page of 250 simple nodes, a mutation as Shopify prices
# them (10 points). After that, the cost Shopify last requested for the operation.
DEFAULT_QUERY_ESTIMATE = 250
DEFAULT_MUTATION_ESTIMATE = 10
HOLD_SECONDS = 120  # a reservation not settled by then belongs to a dead worker and stops counting as in flight
MAX_POLL_SECONDS = 0.5  # re-check at least this often: another worker's report may free room sooner
MAX_WAIT_SECONDS = 300.0
STATE_TTL_SECONDS = 3600
ESTIMATE_TTL_SECONDS = 30 * 86400


@dataclass(frozen=True)
class ThrottleStatus:
    """Shopify's report of the bucket after a request."""

    available: float
    maximum: float
    restore_rate: float

    @classmethod
    def from_body(cls, body: Any) -> ThrottleStatus | None:
        """The `extensions.cost.throttleStatus` of a GraphQL response body, if it has one."""
        try:
            status = body["extensions"]["cost"]["throttleStatus"]
            return cls(
                float(status["currentlyAvailable"]), float(status["maximumAvailable"]), float(status["restoreRate"])
            )
        except (KeyError, TypeError, ValueError):
            return None


@dataclass(frozen=True)
class Reservation:
    """Points held for one request until it is settled."""

    member: str
    cost: float
    local: bool = False  # held in this process's bucket because Redis failed


class CostBucket(Protocol):
    def acquire(self, cost: float) -> Reservation: ...
    def settle(self, reservation: Reservation, status: ThrottleStatus | None, *, refund: bool = False) -> None: ...
    def estimate(self, operation: str, default: int) -> int: ...
    def remember(self, operation: str, cost: int) -> None: ...
    def snapshot(self) -> dict[str, float] | None: ...


class _BucketBase:
    """The waiting loop shared by both stores; subclasses provide the atomic steps."""

    def _try_reserve(self, member: str, cost: float) -> tuple[float, str | None]:
        raise NotImplementedError

    def acquire(self, cost: float) -> Reservation:
        """Wait until the bucket holds `cost` points (capped at its size) and take them.

        The wait is real time whatever `sleep` the client was given: only real time refills Shopify's bucket.
        """
        reservation_id, waited = uuid.uuid4().hex, 0.0
        while True:
            wait, member = self._try_reserve(reservation_id, float(cost))
            if member is not None:
                return Reservation(member, float(member.rsplit(":", 1)[1]))
            if waited >= MAX_WAIT_SECONDS:
                raise ShopifyUnavailable(f"the Shopify cost bucket stayed short for {waited:.0f} s")
            pause = min(wait, MAX_POLL_SECONDS) + random.uniform(0, 0.02)  # jitter so waiting workers don't stampede
            time.sleep(pause)
            waited += pause


class RedisCostBucket(_BucketBase):
    """The bucket of one shop, shared through Redis by every worker and web process.

    If Redis fails, this process paces itself with an in-process bucket instead (and says so once in the log): a
    Redis outage may cost a THROTTLED retry or two, never a failed Shopify call.
    """

    def __init__(self, redis: Redis, shop: str) -> None:
        self.redis = redis
        prefix = f"ismartsync:shopify:{{{shop}}}"  # one hash slot per shop, so the scripts may touch all three keys
        self.keys = [f"{prefix}:bucket", f"{prefix}:in-flight"]
        self.costs_key = f"{prefix}:costs"
        self._reserve = redis.register_script(bucket_scripts.RESERVE)
        self._settle = redis.register_script(bucket_scripts.SETTLE)
        self._fallback = LocalCostBucket(shop)
        self._warned = False

    def _try_reserve(self, member: str, cost: float) -> tuple[float, str | None]:
        args = [member, cost, DEFAULT_MAXIMUM, DEFAULT_RESTORE_RATE, HOLD_SECONDS, STATE_TTL_SECONDS]
        wait, reserved = self._reserve(keys=self.keys, args=args)
        return float(_text(wait)), _text(reserved) or None

    def acquire(self, cost: float) -> Reservation:
        try:
            return super().acquire(cost)
        except RedisError as exc:
            self._redis_failed(exc)
            return replace(self._fallback.acquire(cost), local=True)

    def settle(self, reservation: Reservation, status: ThrottleStatus | None, *, refund: bool = False) -> None:
        """Forget the reservation; adopt Shopify's report, or give the points back if the request never ran."""
        if reservation.local:
            self._fallback.settle(reservation, status, refund=refund)
            return
        report = [status.available, status.maximum, status.restore_rate] if status else ["", "", ""]
        args = [reservation.member, "1" if refund else "0", *report, STATE_TTL_SECONDS]
        try:
            self._settle(keys=self.keys, args=args)
        except RedisError as exc:
            self._redis_failed(exc)

    def estimate(self, operation: str, default: int) -> int:
        try:
            value = self.redis.hget(self.costs_key, operation)
        except RedisError as exc:
            self._redis_failed(exc)
            return self._fallback.estimate(operation, default)
        return int(float(_text(value))) if value is not None else default

    def remember(self, operation: str, cost: int) -> None:
        self._fallback.remember(operation, cost)
        try:
            pipe = self.redis.pipeline(transaction=False)
            pipe.hset(self.costs_key, operation, int(cost))
            pipe.expire(self.costs_key, ESTIMATE_TTL_SECONDS)
            pipe.execute()
        except RedisError as exc:
            self._redis_failed(exc)

    def snapshot(self) -> dict[str, float] | None:
        """The bucket as we currently believe it is (for a health screen), or None before Shopify reported it."""
        try:
            raw = self.redis.hgetall(self.keys[0])
            now = _redis_now(self.redis)
        except RedisError as exc:
            self._redis_failed(exc)
            return self._fallback.snapshot()
        if not raw:
            return None
        state = {_text(k): float(_text(v)) for k, v in raw.items()}
        restored = state["available"] + max(0.0, now - state["stamp"]) * state["rate"]
        return {"available": min(state["maximum"], restored), "maximum": state["maximum"], "rate": state["rate"]}

    def _redis_failed(self, exc: RedisError) -> None:
        if not self._warned:
            self._warned = True
            log.warning(
                "Redis is unavailable for the Shopify cost bucket; pacing within this process only",
                extra={"fields": {"shop": self._fallback.shop, "error": type(exc).__name__}},
            )


@dataclass
class _LocalState:
    available: float
    maximum: float
    rate: float
    stamp: float


class LocalCostBucket(_BucketBase):
    """The same bucket kept in this process (no Redis): shared by every client and thread of the process."""

    _states: dict[str, _LocalState] = {}  # noqa: RUF012 - deliberately process-wide: one bucket per shop
    _in_flight: dict[str, dict[str, tuple[float, float]]] = {}  # noqa: RUF012
    _estimates: dict[str, dict[str, int]] = {}  # noqa: RUF012
    _lock = threading.Lock()

    def __init__(self, shop: str) -> None:
        self.shop = shop

    def _try_reserve(self, member: str, cost: float) -> tuple[float, str | None]:
        now = time.monotonic()
        with self._lock:
            state = self._states.get(self.shop)
            if state is None:
                state = self._states[self.shop] = _LocalState(cost, DEFAULT_MAXIMUM, DEFAULT_RESTORE_RATE, now)
            cost = min(cost, state.maximum)
            state.available = min(state.maximum, state.available + max(0.0, now - state.stamp) * state.rate)
            state.stamp = now
            if state.available < cost:
                return (cost - state.available) / max(state.rate, 1.0), None
            state.available -= cost
            member = f"{member}:{cost}"
            self._in_flight.setdefault(self.shop, {})[member] = (cost, now + HOLD_SECONDS)
            return 0.0, member

    def settle(self, reservation: Reservation, status: ThrottleStatus | None, *, refund: bool = False) -> None:
        now = time.monotonic()
        with self._lock:
            in_flight = self._in_flight.setdefault(self.shop, {})
            held = in_flight.pop(reservation.member, None)
            for member, (_, expires) in list(in_flight.items()):
                if expires <= now:
                    del in_flight[member]
            state = self._states.get(self.shop)
            if state is None:
                return
            if status is not None:
                pending = sum(cost for cost, _ in in_flight.values())
                state.maximum, state.rate = status.maximum, max(status.restore_rate, 1.0)
                state.available, state.stamp = min(status.available, status.maximum) - pending, now
            elif refund and held is not None:
                state.available = min(state.maximum, state.available + held[0])

    def estimate(self, operation: str, default: int) -> int:
        with self._lock:
            return self._estimates.get(self.shop, {}).get(operation, default)

    def remember(self, operation: str, cost: int) -> None:
        with self._lock:
            self._estimates.setdefault(self.shop, {})[operation] = int(cost)

    def snapshot(self) -> dict[str, float] | None:
        with self._lock:
            state = self._states.get(self.shop)
            if state is None:
                return None
            restored = state.available + max(0.0, time.monotonic() - state.stamp) * state.rate
            return {"available": min(state.maximum, restored), "maximum": state.maximum, "rate": state.rate}


def cost_bucket(shop: str, redis: Redis | None) -> CostBucket:
    """The shop's bucket: in Redis when there is one, else in this process."""
    return RedisCostBucket(redis, shop) if redis is not None else LocalCostBucket(shop)


def forget(shop: str, redis: Redis | None) -> None:
    """Drop what we learnt of a shop's bucket and operation costs (the shop's limits changed, or it disconnected)."""
    if redis is None:
        with LocalCostBucket._lock:
            for store in (LocalCostBucket._states, LocalCostBucket._in_flight, LocalCostBucket._estimates):
                store.pop(shop, None)
        return
    store = RedisCostBucket(redis, shop)
    redis.delete(*store.keys, store.costs_key)


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _redis_now(redis: Redis) -> float:
    seconds, micros = redis.time()
    return float(seconds) + float(micros) / 1_000_000
