"""The audit log: a filterable list and its CSV export."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, request
from flask_login import current_user
from sqlalchemy import Select, select

from ismartsync.access import permission_required, tenant_get_or_404
from ismartsync.exports import CSV_MIMETYPE, Table, csv_bytes
from ismartsync.extensions import db
from ismartsync.inputs import page_number, parse_day
from ismartsync.models import AuditEntry, Branch, User
from ismartsync.permissions import Permission
from ismartsync.web.htmx import render

bp = Blueprint("audit", __name__, url_prefix="/audit")
PAGE_SIZE = 50


def _date(name: str) -> datetime | None:
    day = parse_day(request.values.get(name, ""))
    if day is None:
        return None
    return datetime.combine(day, time.min, tzinfo=ZoneInfo(current_user.merchant.time_zone))


def _filtered() -> tuple[Select, dict[str, str]]:
    """The entries matching the filters in the query string (or the export form)."""
    query = select(AuditEntry).where(AuditEntry.merchant_id == current_user.merchant_id)
    filters = {k: request.values.get(k, "") for k in ("actor", "branch", "action", "since", "until")}
    if filters["actor"]:
        query = query.where(AuditEntry.actor_id == tenant_get_or_404(User, filters["actor"]).id)
    if filters["branch"]:
        query = query.where(AuditEntry.branch_id == tenant_get_or_404(Branch, filters["branch"]).id)
    if filters["action"]:
        query = query.where(AuditEntry.action.startswith(filters["action"]))
    if since := _date("since"):
        query = query.where(AuditEntry.created_at >= since)
    if until := _date("until"):
        query = query.where(AuditEntry.created_at < until + timedelta(days=1))
    return query.order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc()), filters


@bp.get("")
@permission_required(Permission.PAGE_AUDIT)
def entries() -> object:
    query, filters = _filtered()
    page = request.args.get("page", 1, type=page_number)
    rows = db.session.scalars(query.limit(PAGE_SIZE + 1).offset((page - 1) * PAGE_SIZE)).all()
    merchant_id = current_user.merchant_id
    return render(
        "audit/entries.html",
        "audit/_table.html",
        entries=rows[:PAGE_SIZE],
        has_more=len(rows) > PAGE_SIZE,
        page=page,
        filters=filters,
        users=db.session.scalars(select(User).where(User.merchant_id == merchant_id).order_by(User.full_name)).all(),
        branches=db.session.scalars(
            select(Branch).where(Branch.merchant_id == merchant_id).order_by(Branch.name)
        ).all(),
        can_export=current_user.effect(Permission.EXPORT).value != "blocked",
    )


@bp.route("/export.csv", methods=["GET", "POST"])
@permission_required(Permission.PAGE_AUDIT)
@permission_required(Permission.EXPORT)
def export() -> Response:
    query, _ = _filtered()
    rows = (
        [
            e.created_at,
            e.action,
            e.summary,
            e.actor.full_name if e.actor else "",
            e.approver.full_name if e.approver else "",
            e.branch.name if e.branch else "",
            e.counter.name if e.counter else "",
            f"{e.target_type} {e.target_id}" if e.target_type else "",
            str(e.before) if e.before else "",
            str(e.after) if e.after else "",
            e.ip_address,
        ]
        for e in db.session.scalars(query.limit(100_000))
    )
    headers = ["time", "action", "summary", "by", "approved by", "branch", "counter", "target", "before", "after", "ip"]
    return Response(
        csv_bytes(Table(headers, rows, current_user.merchant.time_zone)),
        mimetype=CSV_MIMETYPE,
        headers={"Content-Disposition": 'attachment; filename="audit-log.csv"'},
    )
