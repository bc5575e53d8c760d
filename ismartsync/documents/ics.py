"""iCalendar (RFC 5545) files written by hand: escaped text, lines folded at 75 octets, CRLF endings, UTC times."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

CRLF = "\r\n"
MAX_OCTETS = 75
PRODID = "-//iSmartSync//Staff rosters//EN"
CONTENT_TYPE = "text/calendar; charset=utf-8"


@dataclass(frozen=True)
class Event:
    uid: str
    starts_at: datetime  # aware
    ends_at: datetime
    summary: str
    location: str = ""
    description: str = ""


def escape_text(value: str) -> str:
    """A TEXT value (RFC 5545 §3.3.11): backslash, semicolon and comma escaped, line breaks as \\n."""
    value = value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    return value.replace("\r\n", "\\n").replace("\n", "\\n").replace("\r", "\\n")


def utc_stamp(value: datetime) -> str:
    """A DATE-TIME in UTC ("form #2"): 20261207T050000Z."""
    if value.tzinfo is None:
        raise ValueError("naive datetime given; use aware datetimes")
    return value.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def fold(line: str) -> str:
    """Split a content line into lines of at most 75 octets, each continuation starting with one space
    (§3.1); a UTF-8 character is never cut in two."""
    pieces: list[str] = []
    current, size = "", 0
    limit = MAX_OCTETS
    for char in line:
        width = len(char.encode("utf-8"))
        if size + width > limit:
            pieces.append(current)
            current, size = " ", 1
        current += char
        size += width
    pieces.append(current)
    return CRLF.join(pieces)


def _event_lines(event: Event, stamp: datetime) -> list[str]:
    lines = [
        "BEGIN:VEVENT",
        f"UID:{escape_text(event.uid)}",
        f"DTSTAMP:{utc_stamp(stamp)}",
        f"DTSTART:{utc_stamp(event.starts_at)}",
        f"DTEND:{utc_stamp(event.ends_at)}",
        f"SUMMARY:{escape_text(event.summary)}",
    ]
    if event.location:
        lines.append(f"LOCATION:{escape_text(event.location)}")
    if event.description:
        lines.append(f"DESCRIPTION:{escape_text(event.description)}")
    lines.append("END:VEVENT")
    return lines


def calendar(name: str, events: Iterable[Event], stamp: datetime) -> str:
    """A whole VCALENDAR; `stamp` (when it was made) is every event's DTSTAMP."""
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODID}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{escape_text(name)}",
    ]
    for event in events:
        lines.extend(_event_lines(event, stamp))
    lines.append("END:VCALENDAR")
    return "".join(fold(line) + CRLF for line in lines)
