"""Roster tests' calendar: a week two weeks ahead (so "from today on" always includes it), Karachi wall-clock times
as UTC, and the emails a member was sent."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa

from ismartsync.extensions import db
from ismartsync.models import OutgoingEmail, User
from ismartsync.services import rosters

MONDAY = rosters.week_start(date.today()) + timedelta(weeks=2)
TUESDAY, FRIDAY, SATURDAY = (MONDAY + timedelta(days=n) for n in (1, 4, 5))


def karachi(day: date, hour: int, minute: int = 0) -> datetime:
    """A Karachi wall-clock time (UTC+5, no daylight saving) as UTC."""
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC) - timedelta(hours=5)


def emails_to(user: User) -> list[OutgoingEmail]:
    return list(db.session.scalars(sa.select(OutgoingEmail).where(OutgoingEmail.to_address == user.email)))
