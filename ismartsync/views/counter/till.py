"""The counter page: the selling screen when this cashier's shift is open here, else the till panel saying what is
missing, with starting and closing this counter's register and opening a shift in it."""

from __future__ import annotations

from flask import flash, url_for
from flask_login import current_user

from ismartsync.access import current_actor, current_counter, permission_required
from ismartsync.errors import DomainError
from ismartsync.extensions import db
from ismartsync.forms.cash import ExtendShiftForm
from ismartsync.forms.counter import StartRegisterForm
from ismartsync.models.base import utcnow
from ismartsync.money import to_minor
from ismartsync.permissions import Effect, Permission
from ismartsync.services.cart import active_cart
from ismartsync.services.cash import registers
from ismartsync.views.counter import bp
from ismartsync.views.counter.context import sell_context
from ismartsync.web.htmx import hx_redirect_or, render


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
