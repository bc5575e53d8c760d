"""The counter: its register, the cashier's shift and the drawer's cash in and out (selling is in views/cart.py)."""

from __future__ import annotations

import uuid as uuids
from typing import Any

from flask import Blueprint, abort, flash, request, url_for
from flask_login import current_user

from ismartsync.auth import current_actor, current_counter, permission_required
from ismartsync.errors import DomainError
from ismartsync.extensions import db
from ismartsync.forms import attach_error
from ismartsync.forms.cash import CashLogForm, ExtendShiftForm
from ismartsync.forms.counter import StartRegisterForm
from ismartsync.models import CashDirection, CashReason, Shift
from ismartsync.models.base import utcnow
from ismartsync.money import format_money, to_decimal, to_minor
from ismartsync.permissions import Effect, Permission
from ismartsync.services import cash, registers
from ismartsync.services.cart import active_cart
from ismartsync.views.cart import back_to_counter, dialog, drawer_hidden, sell_context
from ismartsync.web import hx_redirect_or, render

bp = Blueprint("counter", __name__, url_prefix="/counter")


def _page(form: StartRegisterForm | None = None, status: int = 200, error: str = "") -> object:
    counter = current_counter()
    shift = registers.current_shift(db.session, current_user)
    register = registers.open_register(db.session, counter) if counter else None
    context = {
        "counter": counter,
        "register": register,
        "shift": shift,
        "holder": registers.open_shift_of(db.session, register) if register else None,
        "form": form or StartRegisterForm(),
        "extend_form": ExtendShiftForm(),
        "can_start": current_user.effect(Permission.CLOSE_REGISTER) is not Effect.BLOCKED,
        "now": utcnow(),
        "error": error,
    }
    return render("counter/index.html", "counter/_till.html", status, **context)


@bp.get("")
@permission_required(Permission.PAGE_POS)
def index() -> object:
    """The selling screen when this cashier's shift is open on this tablet's counter; else what is missing."""
    counter = current_counter()
    if counter is not None:
        shift = registers.current_shift(db.session, current_user)
        register = registers.open_register(db.session, counter)
        if shift is not None and register is not None and shift.register_id == register.id:
            if shift.past_grace(utcnow()):
                return _page()  # the till says why selling stopped, and how to go on
            context = sell_context(counter, active_cart(db.session, counter), full=True)
            return render("counter/index.html", None, **context)
    return _page()


@bp.post("/register")
@permission_required(Permission.PAGE_POS)
@permission_required(Permission.CLOSE_REGISTER)
def start_register() -> object:
    form = StartRegisterForm()
    counter = current_counter()
    if counter is None:
        return _page(form, 422, "Pair this tablet with a counter first.")
    if not form.validate():
        return _page(form, 422)
    try:
        registers.start_register(db.session, current_actor(), counter, to_minor(form.opening_float.data))
    except DomainError as exc:
        db.session.rollback()
        if exc.field == "opening_float":
            form.opening_float.errors = [exc.message]
            return _page(form, 422)
        return _page(form, 422, exc.message)  # e.g. another tablet started it: shown with the open register
    db.session.commit()
    return hx_redirect_or(url_for("counter.index"))


@bp.post("/register/close")
@permission_required(Permission.PAGE_POS)
@permission_required(Permission.CLOSE_REGISTER)
def close_register() -> object:
    """Close this tablet's register at the end of its day, once every shift in it is counted closed."""
    counter = current_counter()
    register = registers.open_register(db.session, counter) if counter else None
    if register is None:
        return hx_redirect_or(url_for("counter.index"))  # closed already (a second tap, another screen)
    try:
        registers.close_register(db.session, current_actor(), register)
    except DomainError as exc:
        db.session.rollback()
        return _page(status=422, error=exc.message)
    db.session.commit()
    flash(f"The register on {counter.label} is closed.", "success")
    if current_user.can(Permission.PAGE_CASH_LOGS):
        return hx_redirect_or(url_for("registers.register_report", register_id=register.id))
    return hx_redirect_or(url_for("counter.index"))


@bp.post("/shift")
@permission_required(Permission.PAGE_POS)
def open_shift() -> object:
    counter = current_counter()
    if counter is None:
        return _page(status=422, error="Pair this tablet with a counter first.")
    try:
        registers.open_shift(db.session, current_actor(), counter)
    except DomainError as exc:
        db.session.rollback()
        return _page(status=422, error=exc.message)
    db.session.commit()
    return hx_redirect_or(url_for("counter.index"))


def _selling_shift() -> Shift:
    """The shift selling on this tablet now; without one the tablet goes back to the counter page, which says why."""
    counter = current_counter()
    if counter is None:
        abort(back_to_counter())
    try:
        return registers.selling_shift(db.session, current_user, counter)
    except DomainError:
        abort(back_to_counter())


def _cash_dialog(shift: Shift, form: CashLogForm, status: int = 200, error: str = "") -> Any:
    return dialog(
        "counter/_cash_log.html",
        status,
        shift=shift,
        form=form,
        error=error,
        drawer_hidden=drawer_hidden(current_user.merchant),
    )


@bp.get("/cash")
@permission_required(Permission.PAGE_POS)
def cash_log_form() -> Any:
    """Cash in or out of this drawer; `?reason=safe_drop` opens it ready for the safe drop the counter asked for."""
    shift = _selling_shift()
    form = CashLogForm(formdata=None, uuid=str(uuids.uuid4()))
    if (reason := request.args.get("reason", "")) in set(CashReason):
        form.reason.data = reason
        form.direction.data = CashReason(reason).directions[0].value
    suggested = cash.drawer_over_limit(current_user.merchant, shift)
    if suggested and form.reason.data == CashReason.SAFE_DROP and not drawer_hidden(current_user.merchant):
        form.amount.data = to_decimal(suggested)
    return _cash_dialog(shift, form)


@bp.post("/cash")
@permission_required(Permission.PAGE_POS)
@permission_required(Permission.CASH_IN_OUT)
def record_cash_log() -> Any:
    shift = _selling_shift()
    form = CashLogForm()
    if not form.validate():
        return _cash_dialog(shift, form, 422)
    try:
        log = cash.record_cash_log(
            db.session,
            current_actor(),
            shift,
            uuid=form.uuid.data or str(uuids.uuid4()),
            direction=CashDirection(form.direction.data),
            reason=CashReason(form.reason.data),
            amount_minor=to_minor(form.amount.data),
            note=form.note.data or "",
        )
    except DomainError as exc:
        db.session.rollback()
        attach_error(form, exc)
        return _cash_dialog(shift, form, 422)
    db.session.commit()
    flash(f"{log.direction_label} of {format_money(log.amount_minor)} recorded: {log.reason_label}.", "success")
    return hx_redirect_or(url_for("counter.index"))
