"""Cashier performance over the report filters: orders, net sales, average sale, refund rate and count accuracy."""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from ismartsync.models import PLACED_STATUSES, Merchant, Register, Sale, SaleReturn, Shift, ShiftStatus, User
from ismartsync.services.cash.report_filters import ReportFilters, percent, within
from ismartsync.services.cash.shift_reports import OVER_SHORT, shift_conditions

ADDED_UP = ("orders", "net_sales_minor", "refunded", "shifts_closed", "within_tolerance", "abs_over_short_minor")


@dataclass
class CashierRow:
    """One cashier over the filters: what they sold and how their drawer counts came out."""

    name: str
    orders: int = 0
    net_sales_minor: int = 0
    refunded: int = 0  # returns the cashier recorded over the filters
    shifts_closed: int = 0
    within_tolerance: int = 0
    abs_over_short_minor: int = 0

    @property
    def average_sale_minor(self) -> int | None:
        if not self.orders:
            return None
        return int((Decimal(self.net_sales_minor) / self.orders).quantize(Decimal(1), rounding=ROUND_HALF_UP))

    @property
    def refund_rate(self) -> Decimal | None:
        """Returns recorded per sale placed, as a percentage (a cashier's own refunds, wherever the sale was made)."""
        return percent(self.refunded, self.orders)

    @property
    def count_accuracy(self) -> Decimal | None:
        return percent(self.within_tolerance, self.shifts_closed)

    def add(self, other: CashierRow) -> None:
        for name in ADDED_UP:
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass(frozen=True)
class CashierReport:
    rows: list[CashierRow]
    total: CashierRow


def cashier_report(session: Session, merchant: Merchant, filters: ReportFilters) -> CashierReport:
    """Per cashier: placed sales (orders), net sales, average sale, refund rate, shifts closed, count accuracy."""
    placed = PLACED_STATUSES  # a refunded sale was placed first
    sale_conditions = [
        Sale.merchant_id == merchant.id,
        Sale.branch_id.in_(filters.branch_ids),
        Sale.status.in_(placed),
        *within(Sale.placed_at, filters, merchant.time_zone),
    ]
    for column, wanted in (
        (Sale.counter_id, filters.counter_id),
        (Sale.register_id, filters.register_id),
        (Sale.cashier_id, filters.cashier_id),
    ):
        if wanted:
            sale_conditions.append(column == wanted)
    sales = session.execute(
        select(
            Sale.cashier_id,
            func.count(Sale.id),
            func.coalesce(func.sum(Sale.payable_minor), 0),
        )
        .where(*sale_conditions)
        .group_by(Sale.cashier_id)
    ).all()
    returns = dict(_returns_by_cashier(session, merchant, filters))
    closed = replace(filters, status=ShiftStatus.CLOSED)
    in_tolerance = func.abs(OVER_SHORT) <= merchant.cash_tolerance_minor
    shifts = session.execute(
        select(
            Shift.user_id,
            func.count(Shift.id),
            func.coalesce(func.sum(case((in_tolerance, 1), else_=0)), 0),
            func.coalesce(func.sum(func.abs(OVER_SHORT)), 0),
        )
        .join(Register, Register.id == Shift.register_id)
        .where(*shift_conditions(merchant, closed))
        .group_by(Shift.user_id)
    ).all()
    ids = {r[0] for r in sales} | {r[0] for r in shifts} | set(returns)
    names = dict(session.execute(select(User.id, User.full_name).where(User.id.in_(ids))).all())
    rows = {user_id: CashierRow(names[user_id]) for user_id in ids}
    for user_id, orders, net in sales:
        rows[user_id].orders, rows[user_id].net_sales_minor = orders, int(net)
    for user_id, count in returns.items():
        rows[user_id].refunded = int(count)
    for user_id, count, ok, off in shifts:
        row = rows[user_id]
        row.shifts_closed, row.within_tolerance, row.abs_over_short_minor = count, int(ok), int(off)
    ordered = sorted(rows.values(), key=lambda r: (-r.net_sales_minor, r.name))
    total = CashierRow("Total")
    for row in ordered:
        total.add(row)
    return CashierReport(ordered, total)


def _returns_by_cashier(session: Session, merchant: Merchant, filters: ReportFilters) -> list[tuple[int, int]]:
    """(cashier id, returns they recorded) over the filters: branch, counter, register, cashier and local dates."""
    conditions = [
        SaleReturn.merchant_id == merchant.id,
        SaleReturn.branch_id.in_(filters.branch_ids),
        *within(SaleReturn.created_at, filters, merchant.time_zone),
    ]
    if filters.counter_id:
        conditions.append(SaleReturn.counter_id == filters.counter_id)
    if filters.cashier_id:
        conditions.append(SaleReturn.cashier_id == filters.cashier_id)
    query = select(SaleReturn.cashier_id, func.count(SaleReturn.id))
    if filters.register_id:
        query = query.join(Shift, Shift.id == SaleReturn.shift_id)
        conditions.append(Shift.register_id == filters.register_id)
    return [(int(u), int(n)) for u, n in session.execute(query.where(*conditions).group_by(SaleReturn.cashier_id))]
