"""Discounts at the counter: on a line or on the whole cart, and the approval any change needs once the discounts go
beyond the cashier's limit."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ismartsync.access import authorize, current_actor, permission_required
from ismartsync.errors import DomainError
from ismartsync.extensions import db
from ismartsync.forms.counter import DiscountForm, PriceForm
from ismartsync.models import Counter, Sale, SaleLine
from ismartsync.money import to_minor
from ismartsync.permissions import Permission
from ismartsync.services import cart as carts
from ismartsync.services import discount_limits as limits
from ismartsync.services.pricing import Discount, DiscountKind
from ismartsync.views.counter import bp
from ismartsync.views.counter.context import cart_or_back, changed, dialog, line_of_cart, selling_counter


@bp.post("/cart/lines/<int:line_id>/discount")
@permission_required(Permission.PAGE_POS)
def discount_line(line_id: int) -> Any:
    counter, cart, line = line_of_cart(line_id)
    form = DiscountForm()
    invalid = lambda: dialog("counter/_line.html", 422, line=line, form=form, price_form=PriceForm(formdata=None))  # noqa: E731
    return _apply_discount(counter, cart, line, form, invalid)


@bp.get("/cart/discount")
@permission_required(Permission.PAGE_POS)
def edit_discount() -> Any:
    cart = cart_or_back(selling_counter())
    form = DiscountForm(
        kind=cart.order_discount_kind or "percent",
        value=shown_discount(cart.order_discount_kind, cart.order_discount_value),
    )
    return dialog("counter/_discount.html", cart=cart, form=form)


@bp.post("/cart/discount")
@permission_required(Permission.PAGE_POS)
def discount_cart() -> Any:
    counter = selling_counter()
    cart = cart_or_back(counter)
    form = DiscountForm()
    return _apply_discount(
        counter, cart, None, form, lambda: dialog("counter/_discount.html", 422, cart=cart, form=form)
    )


def _apply_discount(counter: Counter, cart: Sale, line: SaleLine | None, form: DiscountForm, invalid: Any) -> Any:
    """Set the discount; beyond the cashier's limit it needs "Discount over limit" (a supervisor's PIN if so set)."""
    if not form.validate():
        return invalid()
    discount = None
    if form.value.data:
        kind = DiscountKind(form.kind.data)
        value = int(form.value.data * 100) if kind is DiscountKind.PERCENT else to_minor(form.value.data)
        discount = Discount(kind, value)
    try:
        carts.check_discount(cart, line, discount)  # what no approval can make right, before asking for one
    except DomainError as exc:
        form.value.errors = [exc.message]
        return invalid()
    carts.set_discount(db.session, current_actor(), cart, line, discount)
    return within_limit(counter, cart)


def within_limit(counter: Counter, cart: Sale) -> Any:
    """After a change, discounts beyond the cashier's limit (now, or by what the change did to them) need approval."""
    if limits.beyond_limit(cart):
        refusal = authorize(Permission.DISCOUNT_OVER_LIMIT, what=limits.approval_wording(cart))
        if refusal is not None:
            db.session.rollback()
            return refusal
        limits.note_approval(db.session, current_actor(), cart)
    return changed(counter, cart)


def shown_discount(kind: str | None, value: int) -> Decimal | None:
    """A discount as the form shows it: a percentage or rupees, from basis points or paisa."""
    return Decimal(value) / 100 if kind else None
