"""The shifts-and-registers report and the over/short report with its exceptions, across the branches a member sees.

Every cash report (these, `cashier_performance`, `cash_log_report`) reads the rows themselves (the shifts' figures
fixed at close, placed sales, cash logs, audit entries) over the branches a member may see, narrowed by the same
`ReportFilters`; a page and its CSV/XLSX export read the same query, so they always agree.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import datetime

from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.orm import Session, joinedload

from ismartsync.models import (
    AuditEntry,
    Branch,
    Counter,
    Merchant,
    Register,
    Shift,
    ShiftStatus,
    User,
)
from ismartsync.services.cash.report_filters import MAX_EXPORT_ROWS, PAGE_SIZE, ReportFilters, page_number, within

# The exceptions the over/short report counts per branch and cashier, in the order its table shows them.
EXCEPTION_KINDS: tuple[tuple[str, str], ...] = (
    ("cart.remove_line", "Voided lines"),
    ("cart.discard", "Carts cleared"),
    ("cart.price_override", "Price overrides"),
    ("cart.discount_approved", "Discounts over limit"),
    ("approval", "Approvals"),
    ("cash.in", "Cash in"),
    ("cash.out", "Cash out"),
)


# Shifts and registers


@dataclass(frozen=True)
class ShiftRow:
    """One shift as the reports show and export it; Expected is fixed at close, live while open."""

    id: int
    branch: str
    counter: str
    cashier: str
    status: str
    opened_at: datetime
    closed_at: datetime | None
    opening_minor: int
    cash_sales_minor: int
    cash_in_minor: int
    cash_out_minor: int
    refunds_minor: int
    expected_minor: int
    counted_minor: int | None
    over_short_minor: int | None
    approved_by: str
    note: str

    @classmethod
    def of(cls, shift: Shift) -> ShiftRow:
        closed = shift.status == ShiftStatus.CLOSED
        return cls(
            id=shift.id,
            branch=shift.register.counter.branch.name,
            counter=shift.register.counter.name,
            cashier=shift.user.full_name,
            status=shift.status,
            opened_at=shift.opened_at,
            closed_at=shift.closed_at,
            opening_minor=shift.opening_float_minor,
            cash_sales_minor=shift.cash_sales_minor,
            cash_in_minor=shift.cash_in_minor,
            cash_out_minor=shift.cash_out_minor,
            refunds_minor=shift.cash_refunds_minor,
            expected_minor=shift.expected_minor
            if closed and shift.expected_minor is not None
            else shift.expected_cash_minor,
            counted_minor=shift.counted_minor,
            over_short_minor=shift.over_short_minor,
            approved_by=shift.approved_by.full_name if shift.approved_by else "",
            note=shift.close_note,
        )


@dataclass(frozen=True)
class ShiftTotals:
    """The figures that add up across shifts: the cash each shift itself moved, and over/short of the closed ones.

    Opening, Expected and Counted are not here: a shift's opening float is the last count on its register (the
    drawer is handed over), so adding them up over shifts would count the same notes again, and an open shift's
    Expected is live while a closed one's is fixed.
    """

    count: int = 0
    cash_sales_minor: int = 0
    cash_in_minor: int = 0
    cash_out_minor: int = 0
    refunds_minor: int = 0
    over_short_minor: int = 0


@dataclass(frozen=True)
class ShiftReport:
    rows: list[ShiftRow]
    totals: ShiftTotals
    page: int
    has_more: bool


OVER_SHORT = Shift.counted_minor - Shift.expected_minor


def shift_conditions(merchant: Merchant, filters: ReportFilters) -> list[ColumnElement[bool]]:
    conditions = [Shift.merchant_id == merchant.id, Register.branch_id.in_(filters.branch_ids)]
    if filters.counter_id:
        conditions.append(Register.counter_id == filters.counter_id)
    if filters.register_id:
        conditions.append(Shift.register_id == filters.register_id)
    if filters.cashier_id:
        conditions.append(Shift.user_id == filters.cashier_id)
    if filters.status in set(ShiftStatus):
        conditions.append(Shift.status == filters.status)
    return conditions + within(Shift.opened_at, filters, merchant.time_zone)


def _loaded_shifts(conditions: list[ColumnElement[bool]]) -> Select:
    return (
        select(Shift)
        .join(Register, Register.id == Shift.register_id)
        .where(*conditions)
        .options(
            joinedload(Shift.register).joinedload(Register.counter).joinedload(Counter.branch),
            joinedload(Shift.user).lazyload(User.role),
            joinedload(Shift.approved_by).lazyload(User.role),
        )
    )


def shift_totals(session: Session, merchant: Merchant, filters: ReportFilters) -> ShiftTotals:
    """The additive columns' sums over every shift the filters match (not only the page shown).

    Over/short is counted minus Expected, both fixed at close: an open shift has neither, so the sum skips it.
    """
    sums = session.execute(
        select(
            func.count(Shift.id),
            *(
                func.coalesce(func.sum(c), 0)
                for c in (
                    Shift.cash_sales_minor,
                    Shift.cash_in_minor,
                    Shift.cash_out_minor,
                    Shift.cash_refunds_minor,
                    OVER_SHORT,
                )
            ),
        )
        .join(Register, Register.id == Shift.register_id)
        .where(*shift_conditions(merchant, filters))
    ).one()
    return ShiftTotals(*(int(v) for v in sums))


def shift_report(session: Session, merchant: Merchant, filters: ReportFilters, page: int = 1) -> ShiftReport:
    """One page of the shifts the filters match, newest first, with the totals of all of them."""
    page = page_number(page)
    query = _loaded_shifts(shift_conditions(merchant, filters)).order_by(Shift.opened_at.desc(), Shift.id.desc())
    found = list(session.scalars(query.offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1)).unique())
    return ShiftReport(
        rows=[ShiftRow.of(s) for s in found[:PAGE_SIZE]],
        totals=shift_totals(session, merchant, filters),
        page=page,
        has_more=len(found) > PAGE_SIZE,
    )


def shift_rows(session: Session, merchant: Merchant, filters: ReportFilters) -> list[ShiftRow]:
    """Every shift the filters match, newest first, for an export."""
    query = _loaded_shifts(shift_conditions(merchant, filters)).order_by(Shift.opened_at.desc(), Shift.id.desc())
    return [ShiftRow.of(s) for s in session.scalars(query.limit(MAX_EXPORT_ROWS)).unique()]


# Over/short and exceptions


@dataclass
class OverShortTotals:
    """Closed shifts that were off, per branch or per cashier."""

    name: str
    over_count: int = 0
    short_count: int = 0
    net_minor: int = 0


@dataclass
class ExceptionRow:
    branch: str
    cashier: str
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass(frozen=True)
class OverShortReport:
    rows: list[ShiftRow]  # closed shifts whose count was off, largest first
    by_branch: list[OverShortTotals]
    by_cashier: list[OverShortTotals]
    exceptions: list[ExceptionRow]
    exception_totals: dict[str, int]

    @property
    def total(self) -> OverShortTotals:
        return _add_up("Total", self.rows)


def _add_up(name: str, rows: list[ShiftRow]) -> OverShortTotals:
    totals = OverShortTotals(name)
    for row in rows:
        off = row.over_short_minor or 0
        totals.over_count += off > 0
        totals.short_count += off < 0
        totals.net_minor += off
    return totals


def _grouped(rows: list[ShiftRow], key: str) -> list[OverShortTotals]:
    groups: dict[str, list[ShiftRow]] = defaultdict(list)
    for row in rows:
        groups[getattr(row, key)].append(row)
    return [_add_up(name, groups[name]) for name in sorted(groups)]


def over_short_rows(session: Session, merchant: Merchant, filters: ReportFilters) -> list[ShiftRow]:
    """Closed shifts whose count missed Expected by anything, the largest miss first."""
    conditions = shift_conditions(merchant, replace(filters, status=ShiftStatus.CLOSED))
    query = _loaded_shifts([*conditions, OVER_SHORT != 0]).order_by(
        func.abs(OVER_SHORT).desc(), Shift.closed_at.desc(), Shift.id.desc()
    )
    return [ShiftRow.of(s) for s in session.scalars(query.limit(MAX_EXPORT_ROWS)).unique()]


def _exception_conditions(session: Session, merchant: Merchant, filters: ReportFilters) -> list[ColumnElement[bool]]:
    conditions = [
        AuditEntry.merchant_id == merchant.id,
        AuditEntry.branch_id.in_(filters.branch_ids),
        AuditEntry.action.in_([kind for kind, _ in EXCEPTION_KINDS]),
        *within(AuditEntry.created_at, filters, merchant.time_zone),
    ]
    if filters.counter_id:
        conditions.append(AuditEntry.counter_id == filters.counter_id)
    if filters.cashier_id:
        conditions.append(AuditEntry.actor_id == filters.cashier_id)
    if filters.register_id:  # the register's counter while that register was open
        register = session.get(Register, filters.register_id)
        assert register is not None
        conditions += [AuditEntry.counter_id == register.counter_id, AuditEntry.created_at >= register.opened_at]
        if register.closed_at is not None:
            conditions.append(AuditEntry.created_at <= register.closed_at)
    return conditions


def exception_rows(session: Session, merchant: Merchant, filters: ReportFilters) -> list[ExceptionRow]:
    """Voids, overrides, discounts over the limit, approvals and cash logs, counted per branch and cashier."""
    counted = session.execute(
        select(AuditEntry.branch_id, AuditEntry.actor_id, AuditEntry.action, func.count(AuditEntry.id))
        .where(*_exception_conditions(session, merchant, filters))
        .group_by(AuditEntry.branch_id, AuditEntry.actor_id, AuditEntry.action)
    ).all()
    branches = {b.id: b.name for b in session.scalars(select(Branch).where(Branch.id.in_(filters.branch_ids)))}
    people_ids = {actor for _, actor, _, _ in counted if actor is not None}
    people = dict(session.execute(select(User.id, User.full_name).where(User.id.in_(people_ids))).all())
    rows: dict[tuple[int, int | None], ExceptionRow] = {}
    for branch_id, actor_id, action, n in counted:
        row = rows.setdefault((branch_id, actor_id), ExceptionRow(branches[branch_id], people.get(actor_id, "System")))
        row.counts[action] = int(n)
    return sorted(rows.values(), key=lambda r: (r.branch, r.cashier))


def over_short_report(session: Session, merchant: Merchant, filters: ReportFilters) -> OverShortReport:
    rows = over_short_rows(session, merchant, filters)
    exceptions = exception_rows(session, merchant, filters)
    return OverShortReport(
        rows=rows,
        by_branch=_grouped(rows, "branch"),
        by_cashier=_grouped(rows, "cashier"),
        exceptions=exceptions,
        exception_totals={kind: sum(r.counts.get(kind, 0) for r in exceptions) for kind, _ in EXCEPTION_KINDS},
    )
