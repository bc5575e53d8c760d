"""iCalendar (RFC 5545) files of roster assignments, made by `icalendar`: it escapes the text, folds lines at 75 octets
(never inside a character) and ends them with CRLF; every time is written in UTC."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

import icalendar

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


def _utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("naive datetime given; use aware datetimes")
    return value.astimezone(UTC)


def _vevent(event: Event, stamp: datetime) -> icalendar.Event:
    vevent = icalendar.Event()
    vevent.add("uid", event.uid)
    vevent.add("dtstamp", _utc(stamp))
    vevent.add("dtstart", _utc(event.starts_at))
    vevent.add("dtend", _utc(event.ends_at))
    vevent.add("summary", event.summary)
    if event.location:
        vevent.add("location", event.location)
    if event.description:
        vevent.add("description", event.description)
    return vevent


def calendar(name: str, events: Iterable[Event], stamp: datetime) -> str:
    """A whole VCALENDAR; `stamp` (when it was made) is every event's DTSTAMP."""
    vcalendar = icalendar.Calendar()
    vcalendar.add("version", "2.0")
    vcalendar.add("prodid", PRODID)
    vcalendar.add("calscale", "GREGORIAN")
    vcalendar.add("method", "PUBLISH")
    # A text value like any other (escaped), which icalendar only knows to do for an X- property when told.
    vcalendar.add("x-wr-calname", icalendar.vText(name))
    for event in events:
        vcalendar.add_component(_vevent(event, stamp))
    return vcalendar.to_ical().decode("utf-8")
