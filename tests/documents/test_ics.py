"""iCalendar files: lines folded at 75 octets without cutting a character, text values escaped, times in UTC."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import icalendar
import pytest

from ismartsync.documents import ics

STAMP = datetime(2026, 12, 4, 10, 30, tzinfo=UTC)


def _physical_lines(body: str) -> list[str]:
    assert body.endswith("\r\n") and "\n" not in body.replace("\r\n", "")
    return body.split("\r\n")[:-1]


def _content_line(body: str, name: str) -> str:
    """The content line `name` of the body, unfolded (RFC 5545 §3.1) as a client reads it."""
    unfolded = "\r\n".join(_physical_lines(body)).replace("\r\n ", "")
    [line] = [line for line in unfolded.split("\r\n") if line.startswith(f"{name}:")]
    return line


def test_folding_never_cuts_a_character_in_two():
    summary = "شفٹ" * 40
    event = ics.Event("u-1@ismartsync", STAMP, STAMP + timedelta(hours=6), summary, description="a\\b;c,d\ne")
    body = ics.calendar("Roster", [event], STAMP)
    assert all(len(part.encode()) <= 75 for part in _physical_lines(body))
    assert _content_line(body, "SUMMARY") == "SUMMARY:" + summary
    assert _content_line(body, "DESCRIPTION") == "DESCRIPTION:a\\\\b\\;c\\,d\\ne"


def test_a_calendar_client_reads_back_every_event_as_written():
    karachi = timezone(timedelta(hours=5))
    night = (datetime(2026, 12, 4, 22, tzinfo=karachi), datetime(2026, 12, 5, 6, tzinfo=karachi))
    events = [
        ics.Event("u-1@ismartsync", *night, "Night, Mall; Gate 2", location="Mall; Gate 2, Lahore"),
        ics.Event("u-2@ismartsync", STAMP, STAMP + timedelta(hours=6), "Morning"),
    ]
    body = ics.calendar("Gulberg roster, week of 7 Dec", events, STAMP)
    parsed = icalendar.Calendar.from_ical(body)

    # An X- property is TEXT too: escaped like the others (icalendar's parser leaves X- values as written).
    assert _content_line(body, "X-WR-CALNAME") == "X-WR-CALNAME:Gulberg roster\\, week of 7 Dec"
    first, second = parsed.walk("VEVENT")
    assert (str(first["UID"]), str(first["SUMMARY"]), str(first["LOCATION"])) == (
        "u-1@ismartsync",
        "Night, Mall; Gate 2",
        "Mall; Gate 2, Lahore",
    )
    assert first.decoded("DTSTART") == datetime(2026, 12, 4, 17, tzinfo=UTC)  # written in UTC
    assert first.decoded("DTSTAMP") == second.decoded("DTSTAMP") == STAMP
    assert "LOCATION" not in second and "DESCRIPTION" not in second


def test_a_time_without_a_zone_is_refused():
    naive = ics.Event("u-1@ismartsync", datetime(2026, 12, 4, 22), datetime(2026, 12, 5, 6), "Night")
    with pytest.raises(ValueError, match="naive"):
        ics.calendar("Roster", [naive], STAMP)
