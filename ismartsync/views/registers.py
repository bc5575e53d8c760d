"""Registers: each counter's drawer now, the X and Z reports of registers and days (a shift's are in views/shifts),
closing a register and the day (each after a confirm step saying what it closes and what still stops it) and reopening
a closed day."""

from __future__ import annotations

from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, abort, flash, redirect, request, url_for
from flask_login import current_user

from ismartsync.access import check_branch_visible, current_actor, permission_required, tenant_get_or_404
from ismartsync.documents import drawer_reports as documents
from ismartsync.errors import DomainError
from ismartsync.extensions import db
from ismartsync.forms import attach_error
from ismartsync.forms.registers import CloseDayForm, ReopenDayForm
from ismartsync.inputs import parse_day
from ismartsync.models import Branch, Register
from ismartsync.models.base import utcnow
from ismartsync.permissions import Permission
from ismartsync.services.cash import day_close, registers
from ismartsync.services.cash import drawer_reports as reports
from ismartsync.services.sales import branches_for
from ismartsync.views.sales import chosen_branch
from ismartsync.web.htmx import hx_redirect_or, render

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
    context: dict[str, Any] = {"branches": branches, "branch": branch, "date_error": None} | extra
    if branch is not None:
        day = day or _today(branch)
        day_registers = day_close.registers_of_day(db.session, branch, day)
        context |= {
            "day": day,
            "today": _today(branch),
            "now": utcnow(),
            "drawers": reports.counter_drawers(db.session, branch),
            "closed_today": reports.registers_closed_on(db.session, branch, _today(branch)),
            "day_registers": day_registers,
            "expected": reports.registers_expected_minor(db.session, day_registers),
        } | _day_status(branch, day)
    return render("registers/registers.html", "registers/_board.html", status, **context)


def _day_status(branch: Branch, day: date) -> dict[str, Any]:
    """The day's standing close, the closes reopened before it, and whether this member may reopen it now."""
    history = day_close.day_history(db.session, branch.id, day)
    closed = next((c for c in history if not c.is_reopened), None)
    return {
        "day_closed": closed,
        "reopened": [c for c in history if c.is_reopened],
        "may_reopen": closed is not None
        and day_close.reopenable(branch, day)
        and current_user.can(Permission.REOPEN_DAY),
    }


@bp.get("/registers")
@permission_required(Permission.PAGE_CASH_LOGS)
def registers_page() -> Any:
    branch = chosen_branch(branches_for(db.session, current_user))
    raw_day = request.args.get("day", "")
    day = parse_day(raw_day) if raw_day else None
    if raw_day and day is None:
        return _board(branch, None, 422, date_error="Pick a date as shown in the calendar (YYYY-MM-DD).")
    return _board(branch, day)


def _close_register_step(register: Register, status: int = 200, error: str | None = None) -> Any:
    """The confirm step of a register close: what it fixes, the shifts in it, and the open shift that stops it."""
    check = registers.check_register_close(db.session, register)
    return render(
        "registers/close_register.html",
        "registers/_close_register.html",
        status,
        register=register,
        counter=register.counter,
        branch=register.counter.branch,
        check=check,
        error=error,
    )


@bp.get("/registers/<int:register_id>/close")
@permission_required(Permission.PAGE_CASH_LOGS)
@permission_required(Permission.CLOSE_REGISTER)
def close_register_form(register_id: int) -> Any:
    register = _visible_register(register_id)
    if not register.is_open:
        return redirect(url_for("registers.register_report", register_id=register.id), code=303)
    return _close_register_step(register)


@bp.post("/registers/<int:register_id>/close")
@permission_required(Permission.PAGE_CASH_LOGS)
@permission_required(Permission.CLOSE_REGISTER)
def close_register(register_id: int) -> Any:
    """Close a counter's register once its shifts are closed, after its confirm step; a second tap changes nothing."""
    register = _visible_register(register_id)
    if request.form.get("confirm") != "yes" and register.is_open:  # not from the confirm step: show it first
        return _close_register_step(register)
    was_open = register.is_open
    try:
        registers.close_register(db.session, current_actor(), register)
    except DomainError as exc:
        db.session.rollback()
        return _close_register_step(_visible_register(register_id), 422, exc.message)
    db.session.commit()
    label = register.counter.label
    flash(f"Closed the register on {label}." if was_open else f"The register on {label} was already closed.", "success")
    return hx_redirect_or(url_for("registers.registers_page", branch=register.branch_id))


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


def _branch_day(branch_id: int, raw_day: str) -> tuple[Branch, date]:
    """A branch the member may see and a business day from the URL; anything else is a 404."""
    return _visible_branch(branch_id), _business_day(raw_day)


def _day_context(branch: Branch, day: date) -> dict[str, Any]:
    day_registers = day_close.registers_of_day(db.session, branch, day)
    return {
        "branch": branch,
        "merchant": branch.merchant,
        "day": day,
        "day_registers": day_registers,
        "expected": reports.registers_expected_minor(db.session, day_registers),
        "shifts": reports.shifts_of(db.session, day_registers),
        "figures": reports.combined_figures(db.session, day_registers),
        "printed_at": utcnow(),
    } | _day_status(branch, day)


@bp.get("/registers/days/<int:branch_id>/<day>")
@permission_required(Permission.PAGE_CASH_LOGS)
def day_report(branch_id: int, day: str) -> Any:
    branch = _visible_branch(branch_id)
    return render("registers/day.html", None, **_day_context(branch, _business_day(day)))


@bp.get("/registers/days/<int:branch_id>/<day>/report.pdf")
@permission_required(Permission.PAGE_CASH_LOGS)
def day_pdf(branch_id: int, day: str) -> Any:
    branch, business_day = _branch_day(branch_id, day)
    return _pdf(
        documents.day_report_pdf(_day_context(branch, business_day)), documents.day_filename(branch, business_day)
    )


def _close_day_step(branch: Branch, day: date, form: CloseDayForm, status: int = 200) -> Any:
    """The confirm step of a day close: every register and shift of the day, the cash it fixes, what still stops it."""
    check = day_close.check_day_close(db.session, branch, day)
    return render(
        "registers/close_day.html",
        "registers/_close_day.html",
        status,
        branch=branch,
        day=day,
        today=_today(branch),
        check=check,
        expected=reports.registers_expected_minor(db.session, check.registers),
        shifts=reports.shifts_of(db.session, check.registers),
        form=form,
    )


@bp.get("/registers/days/<int:branch_id>/<day>/close")
@permission_required(Permission.PAGE_CASH_LOGS)
@permission_required(Permission.END_OF_DAY)
def close_day_form(branch_id: int, day: str) -> Any:
    branch, business_day = _branch_day(branch_id, day)
    if day_close.day_close_of(db.session, branch.id, business_day) is not None:
        return redirect(url_for("registers.day_report", branch_id=branch.id, day=business_day.isoformat()), code=303)
    return _close_day_step(branch, business_day, CloseDayForm(formdata=None))


@bp.post("/registers/days/<int:branch_id>/<day>/close")
@permission_required(Permission.PAGE_CASH_LOGS)
@permission_required(Permission.END_OF_DAY)
def close_day(branch_id: int, day: str) -> Any:
    """Close the branch's business day from its confirm step, once every register of it is closed; a repeat
    changes nothing."""
    branch, business_day = _branch_day(branch_id, day)
    report_url = url_for("registers.day_report", branch_id=branch_id, day=business_day.isoformat())
    closed = day_close.day_close_of(db.session, branch.id, business_day)
    form = CloseDayForm()
    if closed is None and (request.form.get("confirm") != "yes" or not form.validate()):
        return _close_day_step(branch, business_day, form, 422 if form.errors else 200)
    try:
        day_close.close_day(db.session, current_actor(), branch, business_day, form.note.data or "")
    except DomainError as exc:
        db.session.rollback()
        attach_error(form, exc)
        return _close_day_step(_visible_branch(branch_id), business_day, form, 422)
    db.session.commit()
    if closed is None:
        flash(f"Closed the day {business_day:%d %b %Y} at {branch.name}.", "success")
    return hx_redirect_or(report_url)


def _reopen_step(branch: Branch, day: date, form: ReopenDayForm, status: int = 200) -> Any:
    return render(
        "registers/reopen_day.html",
        "registers/_reopen_day.html",
        status,
        branch=branch,
        day=day,
        closed=day_close.day_close_of(db.session, branch.id, day),
        form=form,
    )


@bp.get("/registers/days/<int:branch_id>/<day>/reopen")
@permission_required(Permission.PAGE_CASH_LOGS)
@permission_required(Permission.REOPEN_DAY)
def reopen_day_form(branch_id: int, day: str) -> Any:
    branch, business_day = _branch_day(branch_id, day)
    if day_close.day_close_of(db.session, branch.id, business_day) is None:
        return redirect(url_for("registers.registers_page", branch=branch.id, day=business_day.isoformat()), code=303)
    return _reopen_step(branch, business_day, ReopenDayForm(formdata=None))


@bp.post("/registers/days/<int:branch_id>/<day>/reopen")
@permission_required(Permission.PAGE_CASH_LOGS)
@permission_required(Permission.REOPEN_DAY)
def reopen_day(branch_id: int, day: str) -> Any:
    """Reopen today's close with a reason (audited): registers can start at the branch again today."""
    branch, business_day = _branch_day(branch_id, day)
    form = ReopenDayForm()
    if not form.validate():
        return _reopen_step(branch, business_day, form, 422)
    was_closed = day_close.day_close_of(db.session, branch.id, business_day) is not None
    try:
        day_close.reopen_day(db.session, current_actor(), branch, business_day, form.reason.data or "")
    except DomainError as exc:
        db.session.rollback()
        attach_error(form, exc)
        return _reopen_step(_visible_branch(branch_id), business_day, form, 422)
    db.session.commit()
    if was_closed:
        flash(f"Reopened the day {business_day:%d %b %Y} at {branch.name}: registers can start again.", "success")
    return hx_redirect_or(url_for("registers.registers_page", branch=branch.id, day=business_day.isoformat()))


def _pdf(pdf: bytes, filename: str) -> Response:
    return Response(
        pdf, mimetype="application/pdf", headers={"Content-Disposition": f'attachment; filename="{filename}"'}
    )
