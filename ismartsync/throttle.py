"""Throttling of failed sign-in, PIN and code attempts, per account and per address.

Counts live in Flask-Limiter's storage (Redis when configured, memory otherwise). Only failures
count, so a cashier who types the right PIN fifty times a day is never slowed down.
"""

from __future__ import annotations

import math
import time

from flask import current_app
from limits import parse

from ismartsync.errors import Throttled
from ismartsync.extensions import limiter


def _limits(kind: str) -> list[tuple[str, object]]:
    cfg = current_app.config
    if kind == "pin":
        return [("account", parse(cfg["PIN_LIMIT"])), ("address", parse(cfg["LOGIN_ADDRESS_LIMIT"]))]
    return [("account", parse(cfg["LOGIN_LIMIT"])), ("address", parse(cfg["LOGIN_ADDRESS_LIMIT"]))]


def _keys(kind: str, account: str, address: str) -> list[tuple[object, str]]:
    scopes = {"account": account.lower(), "address": address}
    return [(item, f"throttle:{kind}:{scope}:{scopes[scope]}") for scope, item in _limits(kind)]


def check(kind: str, account: str, address: str) -> None:
    """Raise `Throttled` if the account or the address has failed too often lately."""
    strategy = limiter.limiter
    for item, key in _keys(kind, account, address):
        if not strategy.test(item, key):
            reset_at = strategy.get_window_stats(item, key).reset_time
            wait = max(1, math.ceil(reset_at - time.time()))
            minutes = max(1, math.ceil(wait / 60))
            raise Throttled(
                f"Too many wrong attempts. Try again in {minutes} minute{'s' if minutes != 1 else ''}.",
                retry_after_seconds=wait,
            )


def record_failure(kind: str, account: str, address: str) -> None:
    strategy = limiter.limiter
    for item, key in _keys(kind, account, address):
        strategy.hit(item, key)


def clear(kind: str, account: str) -> None:
    """Forget an account's failures after a success (the address count stays)."""
    strategy = limiter.limiter
    for scope, item in _limits(kind):
        if scope == "account":
            strategy.clear(item, f"throttle:{kind}:account:{account.lower()}")
