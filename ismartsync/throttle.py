"""Throttling of sign-in, PIN and code attempts: per account at an address, per account, and per address.

Every attempt is counted before its password, PIN or code is checked (an atomic increment in Redis, then the
comparison), so forty guesses sent at once check at most the limit; a right answer takes its attempt back and
clears the account's count, so a cashier who types the right PIN fifty times a day is never slowed down.

The limits are keyed so that one attacker cannot lock a shop out: the tight limit counts one account at one address
(`LOGIN_LIMIT`, `PIN_LIMIT`), a looser one the account from anywhere (`LOGIN_ACCOUNT_LIMIT`), and a much higher
ceiling the whole address (`LOGIN_ADDRESS_LIMIT`), so the members behind a shop's one NAT address keep signing in
while someone there guesses at another account. Counts live in Redis when configured; when Redis cannot be reached
they fall back to this process's memory for a while (like `fiscal/circuit.py`): throttling never costs a sign-in.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from flask import Flask, current_app
from limits import RateLimitItem, parse
from limits.errors import StorageError
from limits.storage import MemoryStorage, storage_from_string
from limits.strategies import FixedWindowRateLimiter
from redis.exceptions import RedisError

from ismartsync.errors import Throttled

log = logging.getLogger(__name__)

# After Redis failed, this long on the process's own counts before trying Redis again (no wait on every sign-in).
FALLBACK_SECONDS = 30
T = TypeVar("T")


@dataclass
class _State:
    primary: FixedWindowRateLimiter
    local: FixedWindowRateLimiter = field(default_factory=lambda: FixedWindowRateLimiter(MemoryStorage()))
    primary_down_until: float = 0.0


def init_app(app: Flask) -> None:
    storage = storage_from_string(app.config["RATELIMIT_STORAGE_URI"], **app.config["RATELIMIT_STORAGE_OPTIONS"])
    app.extensions["ismartsync.throttle"] = _State(FixedWindowRateLimiter(storage))


def _state() -> _State:
    return current_app.extensions["ismartsync.throttle"]


def _counted(operation: Callable[[FixedWindowRateLimiter], T]) -> T:
    """Run `operation` on Redis, or on this process's counts while Redis is unreachable."""
    state = _state()
    if time.monotonic() >= state.primary_down_until:
        try:
            return operation(state.primary)
        except (RedisError, StorageError, OSError):
            log.warning("throttle storage unreachable; counting in this process for %s s", FALLBACK_SECONDS)
            state.primary_down_until = time.monotonic() + FALLBACK_SECONDS
    return operation(state.local)


def _limits(kind: str, account: str, address: str) -> list[tuple[RateLimitItem, str]]:
    """Each limit on an attempt of `kind` at `account` from `address`, with its key, the widest first."""
    cfg = current_app.config
    account = account.lower()
    return [
        (parse(cfg["LOGIN_ADDRESS_LIMIT"]), f"throttle:address:{address}"),
        (parse(cfg["LOGIN_ACCOUNT_LIMIT"]), f"throttle:{kind}:account:{account}"),
        (parse(cfg["PIN_LIMIT" if kind == "pin" else "LOGIN_LIMIT"]), f"throttle:{kind}:pair:{address}:{account}"),
    ]


@dataclass(frozen=True)
class Attempt:
    """One counted attempt, to hand back to `succeeded` when the answer was right."""

    kind: str
    account: str
    address: str


def _hit(item: RateLimitItem, key: str) -> bool:
    return _counted(lambda strategy: strategy.hit(item, key))


def _seconds_left(item: RateLimitItem, key: str) -> int:
    reset_at = _counted(lambda strategy: strategy.get_window_stats(item, key).reset_time)
    return max(1, math.ceil(reset_at - time.time()))


def attempt(kind: str, account: str, address: str) -> Attempt:
    """Count an attempt before it is checked; raise `Throttled` when the address or the account is over a limit."""
    for item, key in _limits(kind, account, address):
        if not _hit(item, key):
            wait = _seconds_left(item, key)
            minutes = max(1, math.ceil(wait / 60))
            raise Throttled(
                f"Too many wrong attempts. Try again in {minutes} minute{'s' if minutes != 1 else ''}.",
                retry_after_seconds=wait,
            )
    return Attempt(kind, account, address)


def succeeded(counted: Attempt) -> None:
    """The answer was right: forget the account's failures, and give the address its attempt back."""
    (address_item, address_key), *account_limits = _limits(counted.kind, counted.account, counted.address)

    def settle(strategy: FixedWindowRateLimiter) -> None:
        for item, key in account_limits:
            strategy.clear(item, key)
        strategy.storage.incr(address_item.key_for(address_key), address_item.get_expiry(), amount=-1)

    _counted(settle)


def reset() -> None:
    """Forget every count (tests start from zero)."""
    state = _state()
    state.primary.storage.reset()
    state.local.storage.reset()
    state.primary_down_until = 0.0
