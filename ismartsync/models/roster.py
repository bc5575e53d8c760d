"""Staff rosters (scheduling only, not the cash drawer's shifts): a branch's roster slots, its weeks and who is
rostered on which slot on which day."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ismartsync.models.base import Base, TenantMixin, TimestampMixin
from ismartsync.models.merchant import Branch
from ismartsync.models.staff import Role, User

# Days a slot is worked, as bits of a mask: Monday is 1, Sunday 64.
EVERY_DAY = 0b1111111
WEEKEND = 0b1100000
DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
DAY_ABBREVIATIONS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
# The most members a roster slot may want.
MAX_COVERAGE = 50


class RosterSlot(TenantMixin, TimestampMixin, Base):
    """A named part of a branch's days (Morning, Evening) with local start and end times; an end before the start
    ends after midnight."""

    __tablename__ = "roster_slots"
    __table_args__ = (sa.UniqueConstraint("branch_id", "name"),)

    # Indexed by the unique constraint, which leads with it.
    branch_id: Mapped[int] = mapped_column(sa.ForeignKey("branches.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(sa.String(60))
    start_time: Mapped[time] = mapped_column(sa.Time())
    end_time: Mapped[time] = mapped_column(sa.Time())
    days: Mapped[int] = mapped_column(default=EVERY_DAY)
    # How many members the slot wants, counting only members of `coverage_role` when one is set (None: no target).
    coverage_target: Mapped[int | None]
    coverage_role_id: Mapped[int | None] = mapped_column(sa.ForeignKey("roles.id", ondelete="SET NULL"))

    branch: Mapped[Branch] = relationship()
    coverage_role: Mapped[Role | None] = relationship()

    @property
    def overnight(self) -> bool:
        return self.end_time <= self.start_time

    @property
    def hours_label(self) -> str:
        return f"{self.start_time:%H:%M}–{self.end_time:%H:%M}"

    @property
    def days_label(self) -> str:
        if self.days == EVERY_DAY:
            return "Every day"
        return ", ".join(name for n, name in enumerate(DAY_ABBREVIATIONS) if self.days & (1 << n))

    def works_on(self, day: date) -> bool:
        return bool(self.days & (1 << day.weekday()))

    def __repr__(self) -> str:
        return f"<RosterSlot {self.id} {self.name!r}>"


class RosterWeek(TenantMixin, Base):
    """A branch's week (Monday to Sunday): a draft until published; changes after that wait for the next publish."""

    __tablename__ = "roster_weeks"
    __table_args__ = (sa.UniqueConstraint("branch_id", "week_start"),)

    # Indexed by the unique constraint, which leads with it.
    branch_id: Mapped[int] = mapped_column(sa.ForeignKey("branches.id", ondelete="CASCADE"))
    week_start: Mapped[date]
    published_at: Mapped[datetime | None]
    published_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    # The first change since the last publish (None: what members were told is what the roster says).
    changed_at: Mapped[datetime | None]
    # What each member was told at the last publish, {user id: [their assignments as text]}: a new publish emails only
    # the members whose list differs.
    published_assignments: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)

    published_by: Mapped[User | None] = relationship()

    @property
    def changed_since_publishing(self) -> bool:
        return self.published_at is not None and self.changed_at is not None


class RosterAssignment(TenantMixin, TimestampMixin, Base):
    """One member rostered on one slot on one day; the slot's name and times are kept as they were rostered, so
    the history survives the slot's deletion."""

    __tablename__ = "roster_assignments"
    __table_args__ = (
        sa.UniqueConstraint("slot_id", "work_date", "user_id"),
        sa.Index("ix_roster_assignments_branch_starts", "branch_id", "starts_at"),
        sa.Index("ix_roster_assignments_user_starts", "user_id", "starts_at"),
    )

    branch_id: Mapped[int] = mapped_column(sa.ForeignKey("branches.id", ondelete="CASCADE"))
    week_id: Mapped[int] = mapped_column(sa.ForeignKey("roster_weeks.id", ondelete="CASCADE"), index=True)
    slot_id: Mapped[int | None] = mapped_column(sa.ForeignKey("roster_slots.id", ondelete="SET NULL"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    work_date: Mapped[date]
    slot_name: Mapped[str] = mapped_column(sa.String(60))
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    # Set by publishing: members see (who's on now, their calendar) only what has been published.
    published: Mapped[bool] = mapped_column(default=False)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))

    week: Mapped[RosterWeek] = relationship()
    slot: Mapped[RosterSlot | None] = relationship()
    user: Mapped[User] = relationship(foreign_keys=[user_id])
    branch: Mapped[Branch] = relationship()

    def __repr__(self) -> str:
        return f"<RosterAssignment {self.id} {self.user_id} {self.slot_name!r} {self.work_date}>"
