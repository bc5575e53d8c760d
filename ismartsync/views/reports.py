"""Reports: shifts and registers, over/short and exceptions, cashier performance and the cash-log ledger.

Each report reads its filters from the query string, shows the visible branches only (another tenant's or an
invisible branch, counter, register or member is a 404), and has CSV and XLSX exports that follow the same filters.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask import Blueprint, Response, abort, current_app, request
from flask_login import current_user

from ismartsync.access import current_actor, permission_required, tenant_get_or_404
from ismartsync.exports import CSV_MIMETYPE, XLSX_MIMETYPE, Money, Table, csv_bytes, xlsx_bytes
from ismartsync.extensions import db
from ismartsync.inputs import page_number, parse_day
from ismartsync.models import Branch, CashDirection, CashReason, Counter, Register, ShiftStatus, User
from ismartsync.permissions import Effect, Permission
from ismartsync.services.audit import record_audit
from ismartsync.services.cash import cash_log_report, cashier_performance, report_filters, shift_reports
from ismartsync.services.cash.report_filters import ReportFilters
from ismartsync.services.cash.shift_reports import EXCEPTION_KINDS, ShiftRow
from ismartsync.services.sales import branches_for
from ismartsync.web.htmx import render

bp = Blueprint("reports", __name__, url_prefix="/reports")
FILTER_NAMES = ("branch", "counter", "register", "cashier", "member", "since", "until", "status", "direction", "reason")
TITLES = {"shifts": "Shifts", "over_short": "Over/short", "cashiers": "Cashiers", "cash_logs": "Cash logs"}


@dataclass
class Chosen:
    """The filters as asked for, checked: what the report reads, what the form shows, and what was wrong."""

    branches: list[Branch]
    args: dict[str, str]
    branch: Branch | None = None
    members: list[User] = field(default_factory=list)
    filters: ReportFilters | None = None  # None: the member works at no branch
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def query(self) -> dict[str, str]:
        return {k: v for k, v in self.args.items() if v and k not in self.errors}


def _visible(model: type[Any], raw: str, branch_ids: set[int]) -> Any:
    """A branch, counter or register of ours that the member may see; anything else is a 404."""
    row = tenant_get_or_404(model, raw)
    if (row.id if model is Branch else row.branch_id) not in branch_ids:
        abort(404)
    return row


def _date(chosen: Chosen, name: str) -> date | None:
    raw = chosen.args[name]
    if not raw:
        return None
    day = parse_day(raw)
    if day is None:
        chosen.errors[name] = "Enter a date such as 2026-01-31."
    return day


def _chosen() -> Chosen:
    chosen = Chosen(branches_for(db.session, current_user), {k: request.args.get(k, "").strip() for k in FILTER_NAMES})
    args, visible = chosen.args, {b.id for b in chosen.branches}
    if args["branch"]:
        chosen.branch = _visible(Branch, args["branch"], visible)
    counter = _visible(Counter, args["counter"], visible) if args["counter"] else None
    register = _visible(Register, args["register"], visible) if args["register"] else None
    chosen.members = report_filters.members_for(db.session, current_user.merchant_id, tuple(sorted(visible)))
    people = {}
    for name in ("cashier", "member"):
        if args[name]:
            person = tenant_get_or_404(User, args[name])
            if person.id not in {m.id for m in chosen.members}:
                abort(404)
            people[name] = person.id
    since, until = _date(chosen, "since"), _date(chosen, "until")
    if since and until and until < since:
        chosen.errors["until"] = "The end date is before the start date."
        until = None
    if not chosen.branches:
        return chosen
    chosen.filters = ReportFilters(
        branch_ids=(chosen.branch.id,) if chosen.branch else tuple(sorted(visible)),
        counter_id=counter.id if counter else None,
        register_id=register.id if register else None,
        cashier_id=people.get("cashier"),
        member_id=people.get("member"),
        since=since,
        until=until,
        status=args["status"] if args["status"] in set(ShiftStatus) else "",
        direction=args["direction"] if args["direction"] in set(CashDirection) else "",
        reason=args["reason"] if args["reason"] in set(CashReason) else "",
    )
    return chosen


def _page(kind: str, chosen: Chosen, **report: Any) -> Any:
    return render(
        "reports/report.html",
        f"reports/_{kind}.html",
        422 if chosen.errors else 200,
        kind=kind,
        title=TITLES[kind],
        titles=TITLES,
        chosen=chosen,
        query=chosen.query,
        counters=[c for b in chosen.branches for c in b.counters if not chosen.branch or b.id == chosen.branch.id],
        can_export=current_user.effect(Permission.EXPORT) is not Effect.BLOCKED,
        shift_link="shifts.shift_report" in current_app.view_functions,
        statuses=list(ShiftStatus),
        directions=list(CashDirection),
        reasons=list(CashReason),
        exception_kinds=EXCEPTION_KINDS,
        **report,
    )


def _merchant() -> Any:
    return current_user.merchant


@bp.get("/shifts")
@permission_required(Permission.PAGE_REPORTS)
def shifts() -> Any:
    chosen = _chosen()
    report = None
    if chosen.filters is not None:
        page = request.args.get("page", 1, type=page_number)
        report = shift_reports.shift_report(db.session, _merchant(), chosen.filters, page)
    return _page("shifts", chosen, report=report)


@bp.get("/over-short")
@permission_required(Permission.PAGE_REPORTS)
def over_short() -> Any:
    chosen = _chosen()
    report = shift_reports.over_short_report(db.session, _merchant(), chosen.filters) if chosen.filters else None
    return _page("over_short", chosen, report=report)


@bp.get("/cashiers")
@permission_required(Permission.PAGE_REPORTS)
def cashiers() -> Any:
    chosen = _chosen()
    report = cashier_performance.cashier_report(db.session, _merchant(), chosen.filters) if chosen.filters else None
    return _page("cashiers", chosen, report=report)


@bp.get("/cash-logs")
@permission_required(Permission.PAGE_REPORTS)
def cash_logs() -> Any:
    chosen = _chosen()
    report = None
    if chosen.filters is not None:
        page = request.args.get("page", 1, type=page_number)
        report = cash_log_report.cash_log_report(db.session, _merchant(), chosen.filters, page)
    return _page("cash_logs", chosen, report=report)


# Exports: the same filters, every matching row


SHIFT_HEADERS = [
    "Shift",
    "Branch",
    "Counter",
    "Cashier",
    "Status",
    "Opened",
    "Closed",
    "Opening float",
    "Cash sales",
    "Cash in",
    "Cash out",
    "Cash refunds",
    "Expected",
    "Counted",
    "Over/short",
    "Approved by",
    "Reason",
]


def _money(minor: int | None) -> Money | None:
    return None if minor is None else Money(minor)


def _shift_cells(r: ShiftRow) -> list[Any]:
    return [
        r.id,
        r.branch,
        r.counter,
        r.cashier,
        r.status,
        r.opened_at,
        r.closed_at,
        *(Money(m) for m in (r.opening_minor, r.cash_sales_minor, r.cash_in_minor, r.cash_out_minor, r.refunds_minor)),
        Money(r.expected_minor),
        _money(r.counted_minor),
        _money(r.over_short_minor),
        r.approved_by,
        r.note,
    ]


def _table(kind: str, filters: ReportFilters) -> Table:
    merchant = _merchant()
    if kind == "shifts":
        rows = [_shift_cells(r) for r in shift_reports.shift_rows(db.session, merchant, filters)]
        return Table(SHIFT_HEADERS, rows, merchant.time_zone)
    if kind == "over_short":
        rows = [_shift_cells(r) for r in shift_reports.over_short_rows(db.session, merchant, filters)]
        return Table(SHIFT_HEADERS, rows, merchant.time_zone)
    if kind == "cashiers":
        report = cashier_performance.cashier_report(db.session, merchant, filters)
        headers = [
            "Cashier",
            "Orders",
            "Net sales",
            "Average sale",
            "Refund rate %",
            "Shifts closed",
            "Count accuracy %",
            "Total |over/short|",
        ]
        rows = [
            [
                c.name,
                c.orders,
                Money(c.net_sales_minor),
                _money(c.average_sale_minor),
                c.refund_rate,
                c.shifts_closed,
                c.count_accuracy,
                Money(c.abs_over_short_minor),
            ]
            for c in report.rows
        ]
        return Table(headers, rows, merchant.time_zone)
    headers = ["Time", "Branch", "Counter", "Cashier", "By", "Approved by", "In/out", "Reason", "Amount", "Note"]
    rows = [
        [
            log.created_at,
            log.branch.name,
            log.counter.name,
            log.shift.user.full_name,
            log.user.full_name,
            log.approver.full_name if log.approver else "",
            log.direction_label,
            log.reason_label,
            Money(log.amount_minor),
            log.note,
        ]
        for log in cash_log_report.cash_log_rows(db.session, merchant, filters)
    ]
    return Table(headers, rows, merchant.time_zone)


def _export(kind: str, fmt: str, page_view: Any) -> Any:
    chosen = _chosen()
    if chosen.errors or chosen.filters is None:
        return page_view()
    table = _table(kind, chosen.filters)
    rows = list(table.rows)  # lists already: counted here, written below
    body = csv_bytes(table) if fmt == "csv" else xlsx_bytes(table, title=TITLES[kind])
    filters = chosen.filters
    name = kind.replace("_", "-") + (f"-from-{filters.since}" if filters.since else "")
    name += f"-to-{filters.until}" if filters.until else ""
    record_audit(
        db.session,
        current_actor(),
        "report.export",
        f"Exported the {TITLES[kind].lower()} report as {fmt.upper()} ({len(rows)} rows)",
        branch_id=chosen.branch.id if chosen.branch else None,
        after={"report": kind, "format": fmt, "rows": len(rows), "filters": chosen.query},
    )
    db.session.commit()
    return Response(
        body,
        mimetype=CSV_MIMETYPE if fmt == "csv" else XLSX_MIMETYPE,
        headers={"Content-Disposition": f'attachment; filename="{name}.{fmt}"'},
    )


@bp.get("/shifts.<any(csv, xlsx):fmt>")
@permission_required(Permission.PAGE_REPORTS)
@permission_required(Permission.EXPORT)
def shifts_export(fmt: str) -> Any:
    return _export("shifts", fmt, shifts)


@bp.get("/over-short.<any(csv, xlsx):fmt>")
@permission_required(Permission.PAGE_REPORTS)
@permission_required(Permission.EXPORT)
def over_short_export(fmt: str) -> Any:
    return _export("over_short", fmt, over_short)


@bp.get("/cashiers.<any(csv, xlsx):fmt>")
@permission_required(Permission.PAGE_REPORTS)
@permission_required(Permission.EXPORT)
def cashiers_export(fmt: str) -> Any:
    return _export("cashiers", fmt, cashiers)


@bp.get("/cash-logs.<any(csv, xlsx):fmt>")
@permission_required(Permission.PAGE_REPORTS)
@permission_required(Permission.EXPORT)
def cash_logs_export(fmt: str) -> Any:
    return _export("cash_logs", fmt, cash_logs)
