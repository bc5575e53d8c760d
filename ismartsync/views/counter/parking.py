"""Parking a cart under a name and recalling a parked one, on any counter of the branch."""

from __future__ import annotations

from typing import Any

from flask import flash

from ismartsync.access import current_actor, permission_required, tenant_get_or_404
from ismartsync.errors import DomainError
from ismartsync.extensions import db
from ismartsync.forms.counter import ParkForm
from ismartsync.models import Counter, Sale
from ismartsync.money import format_money
from ismartsync.permissions import Permission
from ismartsync.services import cart as carts
from ismartsync.services import parked
from ismartsync.services.returns.exchange import held_exchange
from ismartsync.views.counter import bp
from ismartsync.views.counter.context import back_to_counter, changed, dialog, refused, selling_counter
from ismartsync.web.htmx import is_htmx


@bp.get("/cart/park")
@permission_required(Permission.PAGE_POS)
def park_form() -> Any:
    counter = selling_counter()
    return _parked_dialog(counter, ParkForm(), carts.active_cart(db.session, counter))


def _parked_dialog(counter: Counter, form: ParkForm, cart: Sale | None, status: int = 200) -> Any:
    """The park form for the cart on screen, and the branch's parked carts, each with the exchange it holds."""
    listed = parked.parked_carts(db.session, counter.branch_id)
    held = {sale.id: held_exchange(sale) for sale in [*listed, *([cart] if cart else [])]}
    return dialog("counter/_parked.html", status, form=form, parked=listed, counter=counter, cart=cart, held=held)


@bp.post("/cart/park")
@permission_required(Permission.PAGE_POS)
def park_cart() -> Any:
    counter = selling_counter()
    form = ParkForm()
    cart = carts.active_cart(db.session, counter, lock=True)
    if not form.validate() or cart is None:
        if cart is None:
            form.label.errors = ["The cart is empty: there is nothing to park."]
        return _parked_dialog(counter, form, cart, 422)
    try:
        parked.park_cart(db.session, current_actor(), cart, form.label.data or "")
    except DomainError as exc:
        return refused(counter, exc)
    return changed(counter, None, message=f"Parked “{cart.label}”. Recall it from Parked on any counter here.")


@bp.post("/cart/parked/<int:sale_id>/recall")
@permission_required(Permission.PAGE_POS)
def recall_cart(sale_id: int) -> Any:
    draft = tenant_get_or_404(Sale, sale_id)
    counter = selling_counter()
    try:
        cart, set_aside = parked.recall_cart(db.session, current_actor(), counter, draft)
    except DomainError as exc:
        return refused(counter, exc)
    note = _set_aside_note(set_aside)
    if not is_htmx():  # from a draft's own page: go to the counter with it on screen
        db.session.commit()
        if note:
            flash(note, "info")
        return back_to_counter()
    return changed(counter, cart, message=note, message_kind="info")


def _set_aside_note(set_aside: Sale | None) -> str | None:
    """A recall never puts the cart on screen away unsaid: it says where it went."""
    if set_aside is None:
        return None
    items = f"{set_aside.quantity} item{'s' if set_aside.quantity != 1 else ''}"
    exchange = held_exchange(set_aside)
    also = f", its exchange of sale {exchange.sale_usin}" if exchange is not None else ""
    return (
        f"Your cart ({items}, {format_money(set_aside.payable_minor)}{also}) was parked as “{set_aside.label}”. "
        "Recall it from Park."
    )
