"""A circuit breaker between us and FBR: counters stop waiting on an FBR that mostly fails, and the fiscal queue sends
one probe at a time while FBR fails, instead of its whole backlog.

Every finished attempt (the counter's and the queue's) is noted with whether FBR answered. Two views of the same notes:

- **The counter's** (`allows_inline`): the circuit opens when, over the last `WINDOW_SECONDS`, at least
  `MIN_ATTEMPTS` attempts ended and at least `FAILURE_RATE` of them found FBR unreachable or silent. One failure never
  opens it (a 5 % failure rate costs the receipts that failed, not a minute of receipts at every counter), and a slow
  queue attempt that timed out after 20 s is one failure among the others. While it is open, checkouts skip their
  inline attempt and hand the document to the queue.
- **The queue's** (`admit_queued`): nothing is urgent there (the law allows 24 h) and each attempt FBR does not answer
  may become "unknown", which a person must reconcile. So once the last attempt failed, the queue sends one document
  at a time, a probe, and the others wait for its answer; after a failed probe the next one waits out a pause
  (`probe_seconds`, doubling after each failed probe up to `MAX_PROBE_PAUSE`: FBR's retry schedule of 30 s, 1, 2,
  4, 8 min, then every 10 min at the default).

The first answer from FBR closes both. Shared through Redis between processes when there is one; without Redis, or
when Redis fails, a process's own memory keeps the same rules (Redis trouble must never cost a sale).
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol, TypeVar

from redis import Redis

log = logging.getLogger(__name__)

WINDOW_SECONDS = 30
MIN_ATTEMPTS = 2
FAILURE_RATE = 0.6
MAX_PROBE_PAUSE = 600
# A circuit nobody probes (no sales, no queue) lapses after this long, refreshed by every failure.
HOLD_SECONDS = 900
_PREFIX = "ismartsync:fbr:circuit:"
T = TypeVar("T")


@dataclass(frozen=True)
class Admission:
    """The queue's answer to "may I send now?": go, go as the probe, or wait `wait_seconds` (then ask again)."""

    probe: bool = False
    wait_seconds: float = 0.0

    @property
    def go(self) -> bool:
        return self.wait_seconds == 0


GO = Admission()


def allows_inline(redis: Redis | None, url: str) -> bool:
    """May the counter wait on FBR at `url` after a sale? No while most recent attempts failed."""
    return not _run(redis, lambda store: store.is_set(_key(url, "open")))


def admit_queued(redis: Redis | None, url: str, *, sending_seconds: float) -> Admission:
    """May the queue send a document to FBR at `url` now? While the last attempt failed, one probe at a time (held
    for `sending_seconds`, its longest wait); the others wait for its answer."""

    def admit(store: _Store) -> Admission:
        if not store.is_set(_key(url, "failing")):
            return GO
        if store.take(_key(url, "probe"), sending_seconds):
            return Admission(probe=True)
        return Admission(wait_seconds=max(store.ttl(_key(url, "probe")), 0.01))

    return _run(redis, admit)


def record(redis: Redis | None, url: str, *, answered: bool, probe: bool = False, probe_seconds: float = 30) -> None:
    """Note how an attempt ended: FBR `answered` (with a number or a refusal of the data), or did not."""

    def note(store: _Store) -> None:
        attempts, failures = store.note(_key(url, "attempts"), _key(url, "failures"), failed=not answered)
        if answered:
            if store.is_set(_key(url, "open")):
                store.clear(_key(url, "attempts"), _key(url, "failures"))  # FBR is back: the old failures are over
            store.clear(*(_key(url, name) for name in ("open", "failing", "probe", "probes")))
            return
        store.set(_key(url, "failing"), HOLD_SECONDS)
        if probe:
            failed_probes = store.count_up(_key(url, "probes"), HOLD_SECONDS)
            store.set(_key(url, "probe"), min(probe_seconds * 2 ** (failed_probes - 1), MAX_PROBE_PAUSE))
        if store.is_set(_key(url, "open")) or (attempts >= MIN_ATTEMPTS and failures >= FAILURE_RATE * attempts):
            store.set(_key(url, "open"), HOLD_SECONDS)

    _run(redis, note)


def release_probe(redis: Redis | None, url: str) -> None:
    """The probe was not sent after all (nothing to send, or an answer that says nothing about FBR): the next one
    may go at once."""
    _run(redis, lambda store: store.clear(_key(url, "probe")))


def _key(url: str, name: str) -> str:
    return f"{_PREFIX}{url}:{name}"


def _run(redis: Redis | None, action: Callable[[_Store], T]) -> T:
    if redis is not None:
        try:
            return action(_RedisStore(redis))
        except Exception:  # Redis trouble must never cost a sale: this process keeps the rules meanwhile
            log.warning("could not use the FBR circuit in Redis; this process keeps it meanwhile")
    with _local.lock:
        return action(_local)


class _Store(Protocol):
    def note(self, attempts: str, failures: str, *, failed: bool) -> tuple[int, int]:
        """Add an attempt to the window; the attempts and failures it holds now."""
        ...

    def is_set(self, key: str) -> bool: ...

    def set(self, key: str, seconds: float) -> None: ...

    def take(self, key: str, seconds: float) -> bool:
        """Set the key unless it is set: true for the one caller that set it."""
        ...

    def ttl(self, key: str) -> float: ...

    def count_up(self, key: str, seconds: float) -> int: ...

    def clear(self, *keys: str) -> None: ...


class _RedisStore:
    def __init__(self, redis: Redis) -> None:
        self.redis = redis

    def note(self, attempts: str, failures: str, *, failed: bool) -> tuple[int, int]:
        now, member = time.time(), uuid.uuid4().hex
        pipe = self.redis.pipeline()
        pipe.zadd(attempts, {member: now})
        if failed:
            pipe.zadd(failures, {member: now})
        for key in (attempts, failures):
            pipe.zremrangebyscore(key, "-inf", now - WINDOW_SECONDS)
            pipe.zcard(key)
            pipe.expire(key, WINDOW_SECONDS + 5)
        *_, attempt_count, _, _, failure_count, _ = pipe.execute()
        return int(attempt_count), int(failure_count)

    def is_set(self, key: str) -> bool:
        return bool(self.redis.exists(key))

    def set(self, key: str, seconds: float) -> None:
        self.redis.set(key, 1, px=max(int(seconds * 1000), 1))

    def take(self, key: str, seconds: float) -> bool:
        return bool(self.redis.set(key, 1, nx=True, px=max(int(seconds * 1000), 1)))

    def ttl(self, key: str) -> float:
        return max(int(self.redis.pttl(key)), 0) / 1000

    def count_up(self, key: str, seconds: float) -> int:
        pipe = self.redis.pipeline()
        pipe.incr(key)
        pipe.expire(key, int(seconds))
        return int(pipe.execute()[0])

    def clear(self, *keys: str) -> None:
        self.redis.delete(*keys)


class _LocalStore:
    """The same rules in this process's memory (the demo without Redis, or while Redis is unreachable)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.values: dict[str, tuple[int, float]] = {}
        self.windows: dict[str, list[float]] = {}

    def note(self, attempts: str, failures: str, *, failed: bool) -> tuple[int, int]:
        now = time.monotonic()
        for key in (attempts, failures) if failed else (attempts,):
            self.windows.setdefault(key, []).append(now)
        counts = []
        for key in (attempts, failures):
            window = self.windows[key] = [t for t in self.windows.get(key, []) if t > now - WINDOW_SECONDS]
            counts.append(len(window))
        return counts[0], counts[1]

    def _live(self, key: str) -> tuple[int, float] | None:
        value = self.values.get(key)
        if value is not None and value[1] <= time.monotonic():
            del self.values[key]
            return None
        return value

    def is_set(self, key: str) -> bool:
        return self._live(key) is not None

    def set(self, key: str, seconds: float) -> None:
        self.values[key] = (1, time.monotonic() + seconds)

    def take(self, key: str, seconds: float) -> bool:
        if self.is_set(key):
            return False
        self.set(key, seconds)
        return True

    def ttl(self, key: str) -> float:
        value = self._live(key)
        return max(value[1] - time.monotonic(), 0.0) if value else 0.0

    def count_up(self, key: str, seconds: float) -> int:
        value = self._live(key)
        count = (value[0] if value else 0) + 1
        self.values[key] = (count, time.monotonic() + seconds)
        return count

    def clear(self, *keys: str) -> None:
        for key in keys:
            self.values.pop(key, None)
            self.windows.pop(key, None)


_local = _LocalStore()


def forget_local() -> None:
    """Empty this process's circuit (tests start with FBR presumed answering)."""
    with _local.lock:
        _local.values.clear()
        _local.windows.clear()
