"""What a cash report covers (`ReportFilters`: branches, counter, register, cashier, local dates) and the helpers
every cash report shares: the filters' time span, paging, percentages and the members a report may name."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import Session

from ismartsync.models import CashLog, Counter, Register, Shift, User, user_branches, user_counters
from ismartsync.services.cash.day_close import business_day_bounds

PAGE_SIZE = 50
MAX_PAGE = 10_000
MAX_EXPORT_ROWS = 100_000


@dataclass(frozen=True)
class ReportFilters:
    """What a report covers: visible branches, narrowed by what a person chose (None or "" means any)."""

    branch_ids: tuple[int, ...]
    counter_id: int | None = None
    register_id: int | None = None
    cashier_id: int | None = None  # whose shift (and whose sales)
    since: date | None = None  # merchant-local dates, both ends included
    until: date | None = None
    status: str = ""  # shifts: a ShiftStatus value
    direction: str = ""  # cash logs: a CashDirection value
    reason: str = ""  # cash logs: a CashReason value
    member_id: int | None = None  # cash logs: who recorded it


def _span(filters: ReportFilters, zone: str) -> tuple[datetime | None, datetime | None]:
    start = business_day_bounds(filters.since, zone)[0] if filters.since else None
    end = business_day_bounds(filters.until, zone)[1] if filters.until else None
    return start, end


def within(column: Any, filters: ReportFilters, zone: str) -> list[ColumnElement[bool]]:
    """The conditions keeping `column` (an aware UTC time) inside the filters' local days."""
    start, end = _span(filters, zone)
    return ([column >= start] if start else []) + ([column < end] if end else [])


def page_number(page: int) -> int:
    return min(max(1, page), MAX_PAGE)


def percent(part: int, whole: int) -> Decimal | None:
    """A share as a percentage with one decimal, or None when there is nothing to take a share of."""
    if whole == 0:
        return None
    return (Decimal(part * 100) / Decimal(whole)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def members_for(session: Session, merchant_id: int, branch_ids: tuple[int, ...]) -> list[User]:
    """The members a report may name: those who work at (or across) the branches, or had a shift there."""
    assigned = select(user_branches.c.user_id).where(user_branches.c.branch_id.in_(branch_ids))
    via_counters = (
        select(user_counters.c.user_id)
        .join(Counter, Counter.id == user_counters.c.counter_id)
        .where(Counter.branch_id.in_(branch_ids))
    )
    worked = (
        select(Shift.user_id).join(Register, Register.id == Shift.register_id).where(Register.branch_id.in_(branch_ids))
    )
    logged = select(CashLog.user_id).where(CashLog.branch_id.in_(branch_ids))
    query = select(User).where(
        User.merchant_id == merchant_id,
        or_(User.all_branches, User.id.in_(assigned.union(via_counters, worked, logged).scalar_subquery())),
    )
    return list(session.scalars(query.order_by(User.full_name, User.id)))
