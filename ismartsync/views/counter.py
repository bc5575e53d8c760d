"""The counter: its register and the cashier's shift (selling itself comes with the counter screen)."""

from __future__ import annotations

from flask import Blueprint, url_for
from flask_login import current_user

from ismartsync.auth import current_actor, current_counter, permission_required
from ismartsync.errors import DomainError
from ismartsync.extensions import db
from ismartsync.forms.counter import StartRegisterForm
from ismartsync.money import to_minor
from ismartsync.permissions import Effect, Permission
from ismartsync.services import registers
from ismartsync.services.cart import active_cart
from ismartsync.views.cart import sell_context
from ismartsync.web import hx_redirect_or, render

bp = Blueprint("counter", __name__, url_prefix="/counter")


def _page(form: StartRegisterForm | None = None, status: int = 200, error: str = "") -> object:
    counter = current_counter()
    context = {
        "counter": counter,
        "register": registers.open_register(db.session, counter) if counter else None,
        "shift": registers.current_shift(db.session, current_user),
        "form": form or StartRegisterForm(),
        "can_start": current_user.effect(Permission.CLOSE_REGISTER) is not Effect.BLOCKED,
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
