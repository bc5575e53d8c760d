"""Registers: each counter's drawer now, the X and Z reports of shifts, registers and days, and closing them."""

from __future__ import annotations

from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, abort, flash, request, url_for
from flask_login import current_user, login_required

from ismartsync.auth import check_branch_visible, current_actor, permission_required, tenant_get_or_404
from ismartsync.documents import drawer_reports as documents
from ismartsync.errors import DomainError
from ismartsync.extensions import db
from ismartsync.models import Branch, Register, Shift
from ismartsync.models.base import utcnow
from ismartsync.permissions import Permission
from ismartsync.services import cash, registers
from ismartsync.services import drawer_reports as reports
from ismartsync.services.sales import branches_for
from ismartsync.views.sales import chosen_branch
from ismartsync.web import hx_redirect_or, is_htmx, parse_day, render

bp = Blueprint("registers", __name__)


def _today(branch: Branch | None) -> date:
    zone = branch.merchant.time_zone if branch else current_user.merchant.time_zone
    return utcnow().astimezone(ZoneInfo(zone)).date()


def _visible_branch(branch_id: Any) -> Branch:
    """A branch of ours the member may see; anything else is a 404."""
    branch = tenant_get_or_404(Branch, branch_id)
    check_branch_visible(branch.id)
    return branch


def _visible_register(register_id: int) -> Register:
    register = tenant_get_or_404(Register, register_id)
    check_branch_visible(register.branch_id)
    return register


def _board(branch: Branch | None, day: date | None, status: int = 200, **extra: Any) -> Any:
    """The Registers screen for one branch and business day, or only its board for htmx (one fragment)."""
    branches = branches_for(db.session, current_user)
    context: dict[str, Any] = {"branches": branches, "branch": branch, "errors": {}, "day_error": None}
    context |= {"date_error": None} | extra
    if branch is not None:
        day = day or _today(branch)
        day_registers = cash.registers_of_day(db.session, branch, day)
        context |= {
            "day": day,
            "today": _today(branch),
            "now": utcnow(),
            "drawers": reports.counter_drawers(db.session, branch),
            "closed_today": reports.registers_closed_on(db.session, branch, _today(branch)),
            "day_registers": day_registers,
            "day_closed": reports.day_close_of(db.session, branch, day),
            "expected": reports.registers_expected_minor(db.session, day_registers),
        }
    return render("registers/registers.html", "registers/_board.html", status, **context)


@bp.get("/registers")
@permission_required(Permission.PAGE_CASH_LOGS)
def registers_page() -> Any:
    branch = chosen_branch(branches_for(db.session, current_user))
    raw_day = request.args.get("day", "")
    day = parse_day(raw_day) if raw_day else None
    if raw_day and day is None:
        return _board(branch, None, 422, date_error="Pick a date as shown in the calendar (YYYY-MM-DD).")
    return _board(branch, day)


@bp.post("/registers/<int:register_id>/close")
@permission_required(Permission.PAGE_CASH_LOGS)
@permission_required(Permission.CLOSE_REGISTER)
def close_register(register_id: int) -> Any:
    """Close a counter's register once its shifts are closed; a second tap finds it closed and changes nothing."""
    register = _visible_register(register_id)
    branch = db.session.get(Branch, register.branch_id)
    was_open = register.is_open
    try:
        registers.close_register(db.session, current_actor(), register)
    except DomainError as exc:
        db.session.rollback()
        return _board(db.session.get(Branch, branch.id), None, 422, errors={register_id: exc.message})
    db.session.commit()
    label = register.counter.label
    flash(f"Closed the register on {label}." if was_open else f"The register on {label} was already closed.", "success")
    if is_htmx():
        return _board(db.session.get(Branch, branch.id), None)
    return hx_redirect_or(url_for("registers.registers_page", branch=branch.id))


def _shift_viewable(shift_id: int) -> Shift:
    """Managers see the shifts of the branches they may see; a cashier at the counter, their own shift only."""
    shift = tenant_get_or_404(Shift, shift_id)
    if current_user.can(Permission.PAGE_CASH_LOGS):
        check_branch_visible(shift.register.branch_id)
        return shift
    if current_user.can(Permission.PAGE_POS) and shift.user_id == current_user.id:
        return shift
    abort(403)


def _expected_hidden(shift: Shift) -> bool:
    """Blind close: the cashier does not learn what the drawer should hold until their count is in."""
    return (
        shift.is_open
        and shift.register.counter.branch.merchant.blind_close
        and shift.user_id == current_user.id
        and not current_user.can(Permission.PAGE_CASH_LOGS)
    )


def _shift_context(shift: Shift) -> dict[str, Any]:
    return {
        "shift": shift,
        "register": shift.register,
        "counter": shift.register.counter,
        "branch": shift.register.counter.branch,
        "merchant": shift.register.counter.branch.merchant,
        "figures": reports.shift_figures(db.session, shift),
        "pieces": reports.counted_pieces(shift),
        "hide_expected": _expected_hidden(shift),
        "printed_at": utcnow(),
    }


@bp.get("/shifts/<int:shift_id>")
@login_required
def shift_report(shift_id: int) -> Any:
    """The shift's X report while it is open (live), its Z report once counted closed."""
    shift = _shift_viewable(shift_id)
    return render("registers/shift.html", None, **_shift_context(shift))


@bp.get("/shifts/<int:shift_id>/report.pdf")
@login_required
def shift_pdf(shift_id: int) -> Any:
    shift = _shift_viewable(shift_id)
    context = _shift_context(shift)
    return _pdf(documents.shift_report_pdf(context), documents.shift_filename(shift))


def _register_context(register: Register) -> dict[str, Any]:
    shifts = reports.shifts_of(db.session, [register])
    return {
        "register": register,
        "counter": register.counter,
        "branch": register.counter.branch,
        "merchant": register.counter.branch.merchant,
        "shifts": shifts,
        "figures": reports.register_figures(db.session, register),
        "expected": reports.registers_expected_minor(db.session, [register])[register.id],
        "printed_at": utcnow(),
    }


@bp.get("/registers/<int:register_id>")
@permission_required(Permission.PAGE_CASH_LOGS)
def register_report(register_id: int) -> Any:
    register = _visible_register(register_id)
    return render("registers/register.html", None, **_register_context(register))


@bp.get("/registers/<int:register_id>/report.pdf")
@permission_required(Permission.PAGE_CASH_LOGS)
def register_pdf(register_id: int) -> Any:
    register = _visible_register(register_id)
    return _pdf(documents.register_report_pdf(_register_context(register)), documents.register_filename(register))


def _business_day(raw: str) -> date:
    day = parse_day(raw)
    if day is None:
        abort(404)
    return day


def _day_context(branch: Branch, day: date) -> dict[str, Any]:
    day_registers = cash.registers_of_day(db.session, branch, day)
    return {
        "branch": branch,
        "merchant": branch.merchant,
        "day": day,
        "day_registers": day_registers,
        "expected": reports.registers_expected_minor(db.session, day_registers),
        "shifts": reports.shifts_of(db.session, day_registers),
        "figures": reports.combined_figures(db.session, day_registers),
        "day_closed": reports.day_close_of(db.session, branch, day),
        "printed_at": utcnow(),
    }


@bp.get("/registers/days/<int:branch_id>/<day>")
@permission_required(Permission.PAGE_CASH_LOGS)
def day_report(branch_id: int, day: str) -> Any:
    branch = _visible_branch(branch_id)
    return render("registers/day.html", None, **_day_context(branch, _business_day(day)))


@bp.get("/registers/days/<int:branch_id>/<day>/report.pdf")
@permission_required(Permission.PAGE_CASH_LOGS)
def day_pdf(branch_id: int, day: str) -> Any:
    branch = _visible_branch(branch_id)
    business_day = _business_day(day)
    return _pdf(
        documents.day_report_pdf(_day_context(branch, business_day)), documents.day_filename(branch, business_day)
    )


@bp.post("/registers/days/<int:branch_id>/<day>/close")
@permission_required(Permission.PAGE_CASH_LOGS)
@permission_required(Permission.END_OF_DAY)
def close_day(branch_id: int, day: str) -> Any:
    """Close the branch's business day once every register of it is closed; a repeat changes nothing."""
    branch = _visible_branch(branch_id)
    business_day = _business_day(day)
    try:
        cash.close_day(db.session, current_actor(), branch, business_day, request.form.get("note", ""))
    except DomainError as exc:
        db.session.rollback()
        return _board(_visible_branch(branch_id), business_day, 422, day_error=exc.message)
    db.session.commit()
    flash(f"Closed the day {business_day:%d %b %Y} at {branch.name}.", "success")
    if is_htmx():
        return _board(_visible_branch(branch_id), business_day)
    return hx_redirect_or(url_for("registers.day_report", branch_id=branch_id, day=business_day.isoformat()))


def _pdf(pdf: bytes, filename: str) -> Response:
    return Response(
        pdf, mimetype="application/pdf", headers={"Content-Disposition": f'attachment; filename="{filename}"'}
    )
