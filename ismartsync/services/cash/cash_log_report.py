"""The cash-log ledger: every cash in and out of the visible branches' drawers, with totals per reason."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, Select, case, func, select
from sqlalchemy.orm import Session, joinedload

from ismartsync.models import CashDirection, CashLog, CashReason, Merchant, Shift, User
from ismartsync.services.cash.report_filters import MAX_EXPORT_ROWS, PAGE_SIZE, ReportFilters, page_number, within


@dataclass(frozen=True)
class ReasonTotal:
    reason: CashReason
    count: int
    in_minor: int
    out_minor: int

    @property
    def net_minor(self) -> int:
        return self.in_minor - self.out_minor


@dataclass(frozen=True)
class CashLogTotals:
    count: int
    in_minor: int
    out_minor: int
    by_reason: list[ReasonTotal]

    @property
    def net_minor(self) -> int:
        return self.in_minor - self.out_minor


@dataclass(frozen=True)
class CashLogReport:
    logs: list[CashLog]
    totals: CashLogTotals
    page: int
    has_more: bool


def _log_conditions(merchant: Merchant, filters: ReportFilters) -> list[ColumnElement[bool]]:
    conditions = [
        CashLog.merchant_id == merchant.id,
        CashLog.branch_id.in_(filters.branch_ids),
        *within(CashLog.created_at, filters, merchant.time_zone),
    ]
    for column, wanted in (
        (CashLog.counter_id, filters.counter_id),
        (CashLog.register_id, filters.register_id),
        (CashLog.user_id, filters.member_id),
    ):
        if wanted:
            conditions.append(column == wanted)
    if filters.direction in set(CashDirection):
        conditions.append(CashLog.direction == filters.direction)
    if filters.reason in set(CashReason):
        conditions.append(CashLog.reason == filters.reason)
    if filters.cashier_id:
        conditions.append(CashLog.shift_id.in_(select(Shift.id).where(Shift.user_id == filters.cashier_id)))
    return conditions


def _loaded_logs(merchant: Merchant, filters: ReportFilters) -> Select:
    return (
        select(CashLog)
        .where(*_log_conditions(merchant, filters))
        .options(
            joinedload(CashLog.branch),
            joinedload(CashLog.counter),
            joinedload(CashLog.shift).joinedload(Shift.user).lazyload(User.role),
            joinedload(CashLog.user).lazyload(User.role),
            joinedload(CashLog.approver).lazyload(User.role),
        )
        .order_by(CashLog.created_at.desc(), CashLog.id.desc())
    )


def cash_log_totals(session: Session, merchant: Merchant, filters: ReportFilters) -> CashLogTotals:
    """Cash in, out and net over every log the filters match, and per reason."""
    is_in = CashLog.direction == CashDirection.IN
    found = session.execute(
        select(
            CashLog.reason,
            func.count(CashLog.id),
            func.coalesce(func.sum(case((is_in, CashLog.amount_minor), else_=0)), 0),
            func.coalesce(func.sum(case((is_in, 0), else_=CashLog.amount_minor)), 0),
        )
        .where(*_log_conditions(merchant, filters))
        .group_by(CashLog.reason)
    ).all()
    by_reason = {reason: ReasonTotal(CashReason(reason), n, int(i), int(o)) for reason, n, i, o in found}
    ordered = [by_reason[r.value] for r in CashReason if r.value in by_reason]
    return CashLogTotals(
        count=sum(r.count for r in ordered),
        in_minor=sum(r.in_minor for r in ordered),
        out_minor=sum(r.out_minor for r in ordered),
        by_reason=ordered,
    )


def cash_log_report(session: Session, merchant: Merchant, filters: ReportFilters, page: int = 1) -> CashLogReport:
    """One page of the ledger, newest first, with the totals of every log the filters match."""
    page = page_number(page)
    query = _loaded_logs(merchant, filters).offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1)
    found = list(session.scalars(query).unique())
    return CashLogReport(found[:PAGE_SIZE], cash_log_totals(session, merchant, filters), page, len(found) > PAGE_SIZE)


def cash_log_rows(session: Session, merchant: Merchant, filters: ReportFilters) -> list[CashLog]:
    """Every log the filters match, newest first, for an export."""
    return list(session.scalars(_loaded_logs(merchant, filters).limit(MAX_EXPORT_ROWS)).unique())
