"""Shopify's timestamps: each one Shopify writes reads back as the same moment in aware UTC; nothing is guessed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from ismartsync.shopify.times import parse_shopify_time

MOMENTS = st.datetimes(min_value=datetime(1970, 1, 1), max_value=datetime(2200, 1, 1), timezones=st.just(UTC))
OFFSETS = st.integers(min_value=-(23 * 60 + 59), max_value=23 * 60 + 59).map(lambda m: timezone(timedelta(minutes=m)))


def _as_shopify_writes_it(moment: datetime, fraction_digits: int) -> str:
    """`updatedAt` (no fraction) or the webhook header (up to nanoseconds), always UTC with `Z`."""
    fraction = f"{moment.microsecond:06d}{'000'}"[:fraction_digits]
    return moment.strftime("%Y-%m-%dT%H:%M:%S") + (f".{fraction}" if fraction else "") + "Z"


@given(MOMENTS, st.integers(min_value=0, max_value=9))
def test_every_timestamp_shopify_writes_reads_back_as_the_same_moment_in_utc(moment, fraction_digits):
    text = _as_shopify_writes_it(moment, fraction_digits)

    parsed = parse_shopify_time(text)

    assert parsed.tzinfo is UTC
    kept = 10 ** (6 - min(fraction_digits, 6))  # digits past microseconds are dropped
    assert parsed == moment.replace(microsecond=moment.microsecond // kept * kept)


@given(MOMENTS, OFFSETS)
def test_a_time_with_an_offset_is_the_same_moment_in_utc(moment, offset):
    parsed = parse_shopify_time(moment.astimezone(offset).isoformat())

    assert parsed == moment and parsed.tzinfo is UTC


@pytest.mark.parametrize("missing", [None, "", "   "])
def test_a_missing_timestamp_is_none(missing):
    assert parse_shopify_time(missing) is None


@pytest.mark.parametrize(
    "garbage",
    [
        "yesterday",
        "2026-11-27T10:15:30",  # no zone: whose ten o'clock?
        "2026-11-27",
        "2026-11-27T10:15Z",
        "2026-11-27 10:15:30Z",
        "20261127T101530Z",
        "2026-W48-5T10:15:30Z",
        "2026-02-30T10:15:30Z",
        "2026-11-27T24:00:00Z",
        "2026-11-27T10:15:30+05:99",
        "2026-11-27T10:15:30+24:00",
        "2026-11-27T10:15:30z",
        "0001-01-01T00:00:00+05:00",
        "٢٠٢٦-11-27T10:15:30Z",
    ],
)
def test_anything_else_is_refused_with_a_clear_error(garbage):
    with pytest.raises(ValueError, match="Not a Shopify timestamp"):
        parse_shopify_time(garbage)


@given(st.text())
@example("2026-11-27T10:15:30.123456789+05:00")
@example("9999-12-31T23:59:59-01:00")
def test_any_text_is_an_aware_utc_moment_or_a_clear_error_never_a_guess(text):
    try:
        parsed = parse_shopify_time(text)
    except ValueError as exc:
        assert "Not a Shopify timestamp" in str(exc)
        return
    if parsed is None:
        assert not text.strip()
    else:
        assert parsed.tzinfo is UTC
        assert parse_shopify_time(parsed.isoformat()) == parsed
