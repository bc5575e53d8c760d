"""Shopify's timestamps (`updatedAt`, `X-Shopify-Triggered-At`) read as aware UTC datetimes, in one place."""

from __future__ import annotations

import re
from datetime import UTC, datetime

# ISO 8601 as Shopify writes it: `2026-07-01T10:15:30Z`, fractions of any length (the webhook header sends
# nanoseconds), `Z` or a `±hh:mm` offset. Digits 0-9 only; no week dates, basic format, space for `T` or missing zone.
SHOPIFY_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]([01]\d|2[0-3]):[0-5]\d)", re.ASCII)


def parse_shopify_time(value: str | None) -> datetime | None:
    """A Shopify timestamp as an aware UTC datetime; None when there is none (missing or blank).

    Anything else raises ValueError: a time without a zone would be read in whichever zone the server runs in, and
    an impossible date or any other shape means the text is not a timestamp at all, so neither is guessed at. Fractions
    beyond microseconds are dropped.
    """
    if value is None or not value.strip():
        return None
    text = value.strip()
    if not SHOPIFY_TIME.fullmatch(text):
        raise ValueError(f"Not a Shopify timestamp (ISO 8601 with a zone): {text[:64]!r}")
    try:
        return datetime.fromisoformat(text).astimezone(UTC)
    except (ValueError, OverflowError) as exc:  # February 30th; year 1 or 9999 moved out of range by its offset
        raise ValueError(f"Not a Shopify timestamp ({exc}): {text[:64]!r}") from None
