"""How long to wait before trying Shopify again: exponential backoff with full jitter, Retry-After, THROTTLED.

Shopify's advice (and reference/shopify.md §3): on THROTTLED wait until the bucket holds the requested cost
(`(requested - currentlyAvailable) / restoreRate`) plus a little jitter; on 429 honour `Retry-After` (a float
string such as "2.0"); on 5xx or a network failure back off exponentially (1, 2, 4, 8 … capped at 30 s), each wait
drawn uniformly below that ceiling ("full jitter") so workers that failed together do not return together.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

BACKOFF_BASE_SECONDS = 1.0
BACKOFF_CAP_SECONDS = 30.0
RETRY_AFTER_CAP_SECONDS = 60.0
THROTTLE_JITTER_SECONDS = 0.25


@dataclass(frozen=True)
class Retry:
    """The decision to try again after `delay` seconds, and why (for the log and the final error)."""

    delay: float
    reason: str


def backoff(attempt: int) -> float:
    """Full-jitter exponential backoff for the `attempt`-th failure (1-based)."""
    ceiling = min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * 2 ** max(0, attempt - 1))
    return random.uniform(0, ceiling)


def retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header: a number ("2", "2.0") or an HTTP date; None when absent or unreadable."""
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            seconds = (parsedate_to_datetime(value) - datetime.now(UTC)).total_seconds()
        except (TypeError, ValueError):
            return None
    if seconds != seconds:  # NaN
        return None
    return min(max(seconds, 0.0), RETRY_AFTER_CAP_SECONDS)


def throttle_wait(body: Any) -> float:
    """How long a THROTTLED answer says to wait: until the bucket refills to the requested cost, plus jitter."""
    try:
        cost = body["extensions"]["cost"]
        status = cost["throttleStatus"]
        missing = float(cost["requestedQueryCost"]) - float(status["currentlyAvailable"])
        wait = max(0.0, missing) / max(float(status["restoreRate"]), 1.0)
    except (KeyError, TypeError, ValueError):
        wait = 1.0  # no figures: Shopify restores at least 50 points a second, so a second is a fair guess
    return wait + random.uniform(0, THROTTLE_JITTER_SECONDS)


def error_codes(body: Any) -> list[str]:
    """The `extensions.code` of each GraphQL error in a response body."""
    errors = body.get("errors") if isinstance(body, dict) else None
    if not isinstance(errors, list):
        return []
    return [str((e.get("extensions") or {}).get("code") or "") for e in errors if isinstance(e, dict)]


def requested_cost(body: Any) -> int | None:
    """The cost Shopify asked the bucket for, which is what the next request of this operation will need."""
    try:
        return int(body["extensions"]["cost"]["requestedQueryCost"])
    except (KeyError, TypeError, ValueError):
        return None
