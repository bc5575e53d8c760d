"""The cart's lines: scan, search and quick keys, quantities, the line's dialog, its price, voiding a line or the cart.

Every answer is the cart fragment (or a dialog), rendered from the same templates as the counter page. A cashier
needs an open shift on this tablet's counter for any of it.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask import request

from ismartsync.access import current_actor, permission_required, tenant_get_or_404
from ismartsync.errors import DomainError
from ismartsync.extensions import db
from ismartsync.forms.counter import DiscountForm, PriceForm
from ismartsync.inputs import NumberError, parse_whole
from ismartsync.models import Counter, Variant
from ismartsync.money import to_minor
from ismartsync.permissions import Permission
from ismartsync.services import cart as carts
from ismartsync.views.counter import bp
from ismartsync.views.counter.context import (
    changed,
    dialog,
    line_of_cart,
    quick_keys,
    refused,
    selling_counter,
    with_stock,
)
from ismartsync.views.counter.discounts import shown_discount, within_limit
from ismartsync.web.htmx import render

# Finding and adding


@bp.post("/cart/scan")
@permission_required(Permission.PAGE_POS)
def scan() -> Any:
    """A scanner's code and Enter (or a typed code): the item goes in; a miss says so and beeps."""
    counter = selling_counter()
    code = request.form.get("code", "").strip()
    try:
        variant = carts.find_by_code(db.session, counter.merchant_id, code)
    except DomainError as exc:
        return refused(counter, exc)
    if variant is None and code:
        found = carts.search_variants(db.session, counter.merchant_id, code, limit=2)
        variant = found[0] if len(found) == 1 else None
    if variant is None:
        message = f"Nothing matches “{code[:40]}”. Scan again or search by name." if code else "Scan or type an item."
        return refused(counter, DomainError(message))
    return _add(counter, variant)


@bp.get("/cart/search")
@permission_required(Permission.PAGE_POS)
def search_items() -> Any:
    counter = selling_counter()
    query = request.args.get("code", "").strip()
    if len(query) < 2:
        return render("counter/index.html", "counter/_results.html", query="", quick_keys=quick_keys(counter))
    found = carts.search_variants(db.session, counter.merchant_id, query)
    return render("counter/index.html", "counter/_results.html", query=query, results=with_stock(counter, found))


@bp.post("/cart/lines")
@permission_required(Permission.PAGE_POS)
def add_line() -> Any:
    counter = selling_counter()
    return _add(counter, tenant_get_or_404(Variant, request.form.get("variant_id")))


def _add(counter: Counter, variant: Variant) -> Any:
    """One more of the variant in the counter's cart (started if need be); its line flashes and the tablet chirps."""
    try:
        cart = carts.open_cart(db.session, current_actor(), counter)
        line = carts.add_variant(db.session, cart, variant)
    except DomainError as exc:
        return refused(counter, exc)
    body, status, headers = changed(counter, cart, added=line)
    return body, status, {**headers, "HX-Trigger": "item-added"}


# A line: its quantity, its dialog, its price; voiding


@bp.post("/cart/lines/<int:line_id>")
@permission_required(Permission.PAGE_POS)
def update_line(line_id: int) -> Any:
    counter, cart, line = line_of_cart(line_id)
    try:
        quantity = parse_whole(request.form.get("quantity", ""))
    except NumberError as exc:
        if exc.other_digits:
            return refused(counter, DomainError(str(exc), field="quantity"))
        quantity = 0  # not a number we take: the service says which are
    try:
        carts.set_quantity(db.session, cart, line, quantity)
    except DomainError as exc:
        return refused(counter, exc)
    return within_limit(counter, cart)


@bp.get("/cart/lines/<int:line_id>")
@permission_required(Permission.PAGE_POS)
def edit_line(line_id: int) -> Any:
    _, _, line = line_of_cart(line_id)
    form = DiscountForm(
        kind=line.discount_kind or "percent", value=shown_discount(line.discount_kind, line.discount_value)
    )
    return dialog(
        "counter/_line.html", line=line, form=form, price_form=PriceForm(price=Decimal(line.unit_price_minor) / 100)
    )


@bp.post("/cart/lines/<int:line_id>/price")
@permission_required(Permission.PAGE_POS)
@permission_required(Permission.PRICE_EDIT)
def price_line(line_id: int) -> Any:
    counter, cart, line = line_of_cart(line_id)
    form = PriceForm()
    if not form.validate():
        return dialog("counter/_line.html", 422, line=line, form=DiscountForm(formdata=None), price_form=form)
    try:
        carts.override_price(db.session, current_actor(), cart, line, to_minor(form.price.data))
    except DomainError as exc:
        db.session.rollback()
        form.price.errors = [exc.message]
        return dialog("counter/_line.html", 422, line=line, form=DiscountForm(formdata=None), price_form=form)
    return within_limit(counter, cart)


@bp.post("/cart/lines/<int:line_id>/remove")
@permission_required(Permission.PAGE_POS)
@permission_required(Permission.VOID)
def remove_line(line_id: int) -> Any:
    counter, cart, line = line_of_cart(line_id)
    carts.remove_line(db.session, current_actor(), cart, line)
    return within_limit(counter, cart)


@bp.post("/cart/clear")
@permission_required(Permission.PAGE_POS)
@permission_required(Permission.VOID)
def clear_cart() -> Any:
    counter = selling_counter()
    cart = carts.active_cart(db.session, counter, lock=True)
    if cart is not None:
        carts.discard_cart(db.session, current_actor(), cart)
    return changed(counter, None)
