"""A shift's pages: its X report (live while open) and Z report on screen and as PDF; closing it, counted by notes and
coins or as a total, blind or not, approved beyond the tolerance; extending it past its limit."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, flash, request, url_for
from flask_login import current_user, login_required

from ismartsync.access import authorize, check_branch_visible, current_actor, permission_required, tenant_get_or_404
from ismartsync.approvals.wording import count_off
from ismartsync.documents import drawer_reports as documents
from ismartsync.errors import DomainError
from ismartsync.extensions import db
from ismartsync.forms import attach_error
from ismartsync.forms.cash import CloseShiftForm, ExtendShiftForm
from ismartsync.inputs import safe_next
from ismartsync.models import Shift
from ismartsync.models.base import utcnow
from ismartsync.models.register import DENOMINATIONS
from ismartsync.money import to_minor
from ismartsync.permissions import Permission
from ismartsync.services.cash import drawer as cash
from ismartsync.services.cash import drawer_reports as reports
from ismartsync.services.cash import registers
from ismartsync.templating import local_time
from ismartsync.web.htmx import hx_redirect_or, is_htmx, render

bp = Blueprint("shifts", __name__, url_prefix="/shifts")


def _shift(shift_id: int) -> Shift:
    """A shift of a branch the member may see; someone else's needs "Manage shifts" (a supervisor's PIN, maybe)."""
    shift = tenant_get_or_404(Shift, shift_id)
    check_branch_visible(shift.register.branch_id)
    return shift


def _others_refusal(shift: Shift) -> Any | None:
    return None if shift.user_id == current_user.id else authorize(Permission.MANAGE_SHIFTS)


def report_url(shift: Shift) -> str:
    return url_for("shifts.shift_report", shift_id=shift.id)


# The X and Z report


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


@bp.get("/<int:shift_id>")
@login_required
def shift_report(shift_id: int) -> Any:
    """The shift's X report while it is open (live), its Z report once counted closed."""
    shift = _shift_viewable(shift_id)
    return render("shifts/report.html", None, **_shift_context(shift))


@bp.get("/<int:shift_id>/report.pdf")
@login_required
def shift_pdf(shift_id: int) -> Any:
    shift = _shift_viewable(shift_id)
    context = _shift_context(shift)
    return Response(
        documents.shift_report_pdf(context),
        mimetype="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{documents.shift_filename(shift)}"'},
    )


# Closing and extending


def _close_page(shift: Shift, form: CloseShiftForm, status: int = 200, counted: int = 0) -> Any:
    merchant = current_user.merchant
    return render(
        "shifts/close.html",
        "shifts/_close_form.html",
        status,
        shift=shift,
        form=form,
        counted=counted,
        blind=merchant.blind_close,
        tolerance_minor=merchant.cash_tolerance_minor,
        denominations=DENOMINATIONS,
    )


@bp.get("/<int:shift_id>/close")
@permission_required(Permission.CLOSE_REGISTER)
def close_form(shift_id: int) -> Any:
    shift = _shift(shift_id)
    if not shift.is_open:
        return hx_redirect_or(report_url(shift))
    if shift.user_id != current_user.id and not current_user.can(Permission.MANAGE_SHIFTS):
        abort(403)  # the approval comes with the count, when it is sent
    return _close_page(shift, CloseShiftForm(formdata=None))


@bp.post("/<int:shift_id>/close/total")
@permission_required(Permission.CLOSE_REGISTER)
def count_total(shift_id: int) -> Any:
    """The count's total as it is typed (and, unless blind, expected and over/short), for the close form."""
    shift = _shift(shift_id)
    if shift.user_id != current_user.id and not current_user.can(Permission.MANAGE_SHIFTS):
        abort(403)  # another cashier's drawer figures are not theirs to read
    form = CloseShiftForm()
    form.validate()
    counted = _counted_or_zero(form)
    if not is_htmx():  # a plain form post (no JavaScript): the close form again, with the total it came to
        return _close_page(shift, form, counted=counted)
    merchant = current_user.merchant
    return render(
        "shifts/close.html",
        "shifts/_count_total.html",
        shift=shift,
        counted=counted,
        blind=merchant.blind_close,
        tolerance_minor=merchant.cash_tolerance_minor,
    )


def _count(form: CloseShiftForm) -> cash.Count:
    if form.method.data == "total":
        if form.total.data is None:
            raise DomainError("Enter the total counted, or count note by note.", field="total")
        return cash.Count(to_minor(form.total.data))
    return cash.Count.of_pieces(form.pieces())


def _counted_or_zero(form: CloseShiftForm) -> int:
    try:
        return _count(form).total_minor
    except DomainError:
        return 0


@bp.post("/<int:shift_id>/close")
@permission_required(Permission.CLOSE_REGISTER)
def close_shift(shift_id: int) -> Any:
    """Count the drawer closed; the Z report follows. A second send finds the shift closed and shows its report."""
    shift = _shift(shift_id)
    if (refusal := _others_refusal(shift)) is not None:
        return refusal
    if not shift.is_open:
        return hx_redirect_or(report_url(shift))
    form = CloseShiftForm()
    if not form.validate():
        return _close_page(shift, form, 422)
    merchant = current_user.merchant
    try:
        count = _count(form)
        cash.check_count(merchant, shift, count, form.note.data or "")
    except DomainError as exc:
        if merchant.blind_close and exc.field == "note":  # a refused blind count is kept: recounts show in the Z report
            cash.note_refused_count(db.session, current_actor(), shift, count)
            db.session.commit()
        attach_error(form, exc)
        return _close_page(shift, form, 422, counted=_counted_or_zero(form))
    over = cash.over_tolerance(merchant, shift, count.total_minor)
    what = count_off(merchant, shift, count.total_minor, form.note.data or "") if over else None
    if over and (refusal := authorize(Permission.CLOSE_OVER_TOLERANCE, what=what)) is not None:
        return refusal
    try:
        closed = cash.close_shift(db.session, current_actor(), shift, count, note=form.note.data or "")
    except DomainError as exc:
        db.session.rollback()
        attach_error(form, exc)
        return _close_page(shift, form, 422, counted=count.total_minor)
    db.session.commit()
    flash("The shift is closed. Its Z report is below.", "success")
    return hx_redirect_or(report_url(closed))


@bp.post("/<int:shift_id>/extend")
@permission_required(Permission.PAGE_POS)
def extend_shift(shift_id: int) -> Any:
    """More time past the shift limit: a manager's call ("Manage shifts"), at the counter with their PIN."""
    shift = _shift(shift_id)
    if (refusal := authorize(Permission.MANAGE_SHIFTS)) is not None:
        return refusal
    form = ExtendShiftForm()
    back = safe_next(request.form.get("next"), url_for("counter.index"))
    if not form.validate():
        abort(422)  # the choices are fixed: only a tampered form sends anything else
    try:
        registers.extend_shift(db.session, current_actor(), shift, form.minutes.data)
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return hx_redirect_or(back)
    db.session.commit()
    until = f"until {local_time(shift.limit_at, '%H:%M')}" if shift.limit_at else "with no limit"
    flash(f"{shift.user.full_name}'s shift now runs {until}.", "success")
    return hx_redirect_or(back)
