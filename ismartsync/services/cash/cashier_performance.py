"""Cashier performance over the report filters: orders, net sales, average sale, refund rate and count accuracy."""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from ismartsync.models import Merchant, Register, Sale, SaleStatus, Shift, ShiftStatus, User
from ismartsync.services.cash.report_filters import ReportFilters, percent, within
from ismartsync.services.cash.shift_reports import OVER_SHORT, shift_conditions

ADDED_UP = ("orders", "net_sales_minor", "refunded", "shifts_closed", "within_tolerance", "abs_over_short_minor")


@dataclass
class CashierRow:
    """One cashier over the filters: what they sold and how their drawer counts came out."""

    name: str
    orders: int = 0
    net_sales_minor: int = 0
    refunded: int = 0
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
    placed = (SaleStatus.PLACED, SaleStatus.REFUNDED)  # a refunded sale was placed first
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
            func.coalesce(func.sum(case((Sale.status == SaleStatus.REFUNDED, 1), else_=0)), 0),
        )
        .where(*sale_conditions)
        .group_by(Sale.cashier_id)
    ).all()
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
    ids = {r[0] for r in sales} | {r[0] for r in shifts}
    names = dict(session.execute(select(User.id, User.full_name).where(User.id.in_(ids))).all())
    rows = {user_id: CashierRow(names[user_id]) for user_id in ids}
    for user_id, orders, net, refunded in sales:
        rows[user_id].orders, rows[user_id].net_sales_minor, rows[user_id].refunded = orders, int(net), int(refunded)
    for user_id, count, ok, off in shifts:
        row = rows[user_id]
        row.shifts_closed, row.within_tolerance, row.abs_over_short_minor = count, int(ok), int(off)
    ordered = sorted(rows.values(), key=lambda r: (-r.net_sales_minor, r.name))
    total = CashierRow("Total")
    for row in ordered:
        total.add(row)
    return CashierReport(ordered, total)
