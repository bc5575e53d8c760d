"""The cart on the counter screen: scan, search, quick keys, quantities, discounts, prices, customer, park and recall.

Every answer is the cart fragment (or a dialog), rendered from the same templates as the counter page. A cashier
needs an open shift on this tablet's counter for any of it.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask import Blueprint, abort, flash, request, url_for
from flask_login import current_user
from sqlalchemy import select

from ismartsync.auth import authorize, current_actor, current_counter, permission_required, tenant_get_or_404
from ismartsync.errors import DomainError
from ismartsync.extensions import db
from ismartsync.forms.counter import CustomerForm, DiscountForm, ParkForm, PriceForm
from ismartsync.inputs import NumberError, parse_whole
from ismartsync.models import Counter, Customer, Merchant, QuickKey, Sale, SaleLine, Shift, StockLevel, Variant
from ismartsync.models.base import utcnow
from ismartsync.money import format_money, to_minor
from ismartsync.permissions import Permission
from ismartsync.services import cart as carts
from ismartsync.services import customers
from ismartsync.services import discount_limits as limits
from ismartsync.services import parked as parking
from ismartsync.services.cash import drawer_over_limit
from ismartsync.services.fiscal import settings as fiscal_settings
from ismartsync.services.pricing import Discount, DiscountKind
from ismartsync.services.registers import selling_shift
from ismartsync.web import hx_redirect_or, is_htmx, render

bp = Blueprint("cart", __name__, url_prefix="/counter/cart")


# The screen's parts


def selling_counter() -> Counter:
    """This tablet's counter, where the signed-in cashier has an open shift; else back to the counter's start."""
    counter = current_counter()
    if counter is None:
        abort(back_to_counter())
    try:
        selling_shift(db.session, current_user, counter)
    except DomainError:
        abort(back_to_counter())
    return counter


def back_to_counter() -> Any:
    """The counter page says what is missing (a paired tablet, a started register, an open shift)."""
    return hx_redirect_or(url_for("counter.index"))


def cart_context(counter: Counter, cart: Sale | None, **extra: Any) -> dict[str, Any]:
    return {
        "counter": counter,
        "cart": cart,
        "stock": carts.branch_stock(db.session, cart) if cart else {},
        "parked": parking.parked_count(db.session, counter.branch_id),
        "no_pct": fiscal_settings.missing_pct_code_note(counter.merchant, counter),
        **extra,
    }


def render_cart(counter: Counter, cart: Sale | None, status: int = 200, **extra: Any) -> Any:
    context = sell_context(counter, cart, full=not is_htmx(), **extra)
    return render("counter/index.html", "counter/_cart.html", status, **context)


def sell_context(counter: Counter, cart: Sale | None, *, full: bool, **extra: Any) -> dict[str, Any]:
    """What the selling screen shows: the cart, and for the whole page the quick keys too."""
    context = cart_context(counter, cart, **extra)
    if full:
        context.update(results=None, query="", quick_keys=quick_keys(counter), selling=True)
        context.update(drawer_context(selling_shift(db.session, current_user, counter)))
    return context


def drawer_context(shift: Shift) -> dict[str, Any]:
    """The drawer strip over the selling screen: the shift, its limit, and a safe drop when the drawer is too full."""
    merchant = current_user.merchant
    return {
        "shift": shift,
        "now": utcnow(),
        "safe_drop_minor": drawer_over_limit(merchant, shift),
        "drawer_limit_minor": merchant.drawer_limit_minor,
        "drawer_hidden": drawer_hidden(merchant),
    }


def drawer_hidden(merchant: Merchant) -> bool:
    """Under blind close a cashier never sees what the drawer should hold, nor an amount it can be worked out from."""
    return merchant.blind_close and not current_user.can(Permission.PAGE_CASH_LOGS)


def quick_keys(counter: Counter) -> list[tuple[Variant, int]]:
    keys = db.session.scalars(
        select(QuickKey).where(QuickKey.merchant_id == counter.merchant_id).order_by(QuickKey.position).limit(24)
    ).all()
    return _with_stock(counter, [k.variant for k in keys if k.variant.deleted_at is None])


def _with_stock(counter: Counter, variants: list[Variant]) -> list[tuple[Variant, int]]:
    if not variants:
        return []
    levels = dict(
        db.session.execute(
            select(StockLevel.variant_id, StockLevel.quantity).where(
                StockLevel.branch_id == counter.branch_id, StockLevel.variant_id.in_([v.id for v in variants])
            )
        ).all()
    )
    return [(v, levels.get(v.id, 0)) for v in variants]


def dialog(template: str, status: int = 200, **context: Any) -> Any:
    """A dialog fragment into #dialog (a whole page without htmx); a 422 re-renders it where it is."""
    body, status, headers = render("counter/dialog.html", template, status, template=template, **context)
    if is_htmx():
        headers = {**headers, "HX-Retarget": "#dialog", "HX-Reswap": "innerHTML"}
    return body, status, headers


def _cart_or_back(counter: Counter) -> Sale:
    """The cart a line or discount action is about; gone (checked out, parked elsewhere) → show the counter again."""
    cart = carts.active_cart(db.session, counter, lock=True)
    if cart is None:
        abort(back_to_counter())
    return cart


def _line(line_id: int) -> tuple[Counter, Sale, SaleLine]:
    """The line of this counter's cart a request names; any other line (another cart, another tenant) is a 404."""
    line = tenant_get_or_404(SaleLine, line_id)
    counter = selling_counter()
    cart = _cart_or_back(counter)
    mine = next((ln for ln in cart.lines if ln.id == line.id), None)
    if mine is None:
        abort(404)
    return counter, cart, mine


def _changed(counter: Counter, cart: Sale | None, **extra: Any) -> Any:
    """Render the new cart, then commit: rendering first saves reloading everything the commit expired."""
    response = render_cart(counter, cart, **extra)
    db.session.commit()
    return response


def _refused(counter: Counter, exc: DomainError) -> Any:
    db.session.rollback()
    headers = {"HX-Trigger": "scan-miss"}
    body, status, base = render_cart(counter, carts.active_cart(db.session, counter), 422, message=exc.message)
    return body, status, {**base, **headers}


# Finding and adding


@bp.post("/scan")
@permission_required(Permission.PAGE_POS)
def scan() -> Any:
    """A scanner's code and Enter (or a typed code): the item goes in; a miss says so and beeps."""
    counter = selling_counter()
    code = request.form.get("code", "").strip()
    try:
        variant = carts.find_by_code(db.session, counter.merchant_id, code)
    except DomainError as exc:
        return _refused(counter, exc)
    if variant is None and code:
        found = carts.search_variants(db.session, counter.merchant_id, code, limit=2)
        variant = found[0] if len(found) == 1 else None
    if variant is None:
        message = f"Nothing matches “{code[:40]}”. Scan again or search by name." if code else "Scan or type an item."
        return _refused(counter, DomainError(message))
    return _add(counter, variant)


@bp.get("/search")
@permission_required(Permission.PAGE_POS)
def search() -> Any:
    counter = selling_counter()
    query = request.args.get("code", "").strip()
    if len(query) < 2:
        return render("counter/index.html", "counter/_results.html", query="", quick_keys=quick_keys(counter))
    found = carts.search_variants(db.session, counter.merchant_id, query)
    return render("counter/index.html", "counter/_results.html", query=query, results=_with_stock(counter, found))


@bp.post("/lines")
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
        return _refused(counter, exc)
    body, status, headers = _changed(counter, cart, added=line)
    return body, status, {**headers, "HX-Trigger": "item-added"}


@bp.post("/lines/<int:line_id>")
@permission_required(Permission.PAGE_POS)
def update_line(line_id: int) -> Any:
    counter, cart, line = _line(line_id)
    try:
        quantity = parse_whole(request.form.get("quantity", ""))
    except NumberError as exc:
        if exc.other_digits:
            return _refused(counter, DomainError(str(exc), field="quantity"))
        quantity = 0  # not a number we take: the service says which are
    try:
        carts.set_quantity(db.session, cart, line, quantity)
    except DomainError as exc:
        return _refused(counter, exc)
    return _within_limit(counter, cart)


@bp.post("/lines/<int:line_id>/remove")
@permission_required(Permission.PAGE_POS)
@permission_required(Permission.VOID)
def remove_line(line_id: int) -> Any:
    counter, cart, line = _line(line_id)
    carts.remove_line(db.session, current_actor(), cart, line)
    return _within_limit(counter, cart)


@bp.post("/clear")
@permission_required(Permission.PAGE_POS)
@permission_required(Permission.VOID)
def clear() -> Any:
    counter = selling_counter()
    cart = carts.active_cart(db.session, counter, lock=True)
    if cart is not None:
        carts.discard_cart(db.session, current_actor(), cart)
    return _changed(counter, None)


# A line's quantity, discount and price; the cart's discount


@bp.get("/lines/<int:line_id>")
@permission_required(Permission.PAGE_POS)
def edit_line(line_id: int) -> Any:
    _, _, line = _line(line_id)
    form = DiscountForm(
        kind=line.discount_kind or "percent", value=_shown_discount(line.discount_kind, line.discount_value)
    )
    return dialog(
        "counter/_line.html", line=line, form=form, price_form=PriceForm(price=Decimal(line.unit_price_minor) / 100)
    )


@bp.post("/lines/<int:line_id>/discount")
@permission_required(Permission.PAGE_POS)
def discount_line(line_id: int) -> Any:
    counter, cart, line = _line(line_id)
    form = DiscountForm()
    invalid = lambda: dialog("counter/_line.html", 422, line=line, form=form, price_form=PriceForm(formdata=None))  # noqa: E731
    return _apply_discount(counter, cart, line, form, invalid)


@bp.get("/discount")
@permission_required(Permission.PAGE_POS)
def edit_discount() -> Any:
    cart = _cart_or_back(selling_counter())
    form = DiscountForm(
        kind=cart.order_discount_kind or "percent",
        value=_shown_discount(cart.order_discount_kind, cart.order_discount_value),
    )
    return dialog("counter/_discount.html", cart=cart, form=form)


@bp.post("/discount")
@permission_required(Permission.PAGE_POS)
def discount_cart() -> Any:
    counter = selling_counter()
    cart = _cart_or_back(counter)
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
    return _within_limit(counter, cart)


def _within_limit(counter: Counter, cart: Sale) -> Any:
    """After a change, discounts beyond the cashier's limit (now, or by what the change did to them) need approval."""
    if limits.beyond_limit(cart):
        refusal = authorize(Permission.DISCOUNT_OVER_LIMIT, what=limits.approval_wording(cart))
        if refusal is not None:
            db.session.rollback()
            return refusal
        limits.note_approval(db.session, current_actor(), cart)
    return _changed(counter, cart)


def _shown_discount(kind: str | None, value: int) -> Decimal | None:
    return Decimal(value) / 100 if kind else None


@bp.post("/lines/<int:line_id>/price")
@permission_required(Permission.PAGE_POS)
@permission_required(Permission.PRICE_EDIT)
def price_line(line_id: int) -> Any:
    counter, cart, line = _line(line_id)
    form = PriceForm()
    if not form.validate():
        return dialog("counter/_line.html", 422, line=line, form=DiscountForm(formdata=None), price_form=form)
    try:
        carts.override_price(db.session, current_actor(), cart, line, to_minor(form.price.data))
    except DomainError as exc:
        db.session.rollback()
        form.price.errors = [exc.message]
        return dialog("counter/_line.html", 422, line=line, form=DiscountForm(formdata=None), price_form=form)
    return _within_limit(counter, cart)


# The customer


@bp.get("/customer")
@permission_required(Permission.PAGE_POS)
def find_customer() -> Any:
    counter = selling_counter()
    query = request.args.get("q", "")
    found = customers.find_customers(db.session, counter.merchant_id, query)
    template = "counter/_customer_results.html" if request.headers.get("HX-Target") == "customer-results" else None
    if template and is_htmx():
        return render("counter/dialog.html", template, query=query, found=found)
    return dialog("counter/_customer.html", query=query, found=found, form=CustomerForm(formdata=None))


@bp.post("/customer")
@permission_required(Permission.PAGE_POS)
def attach_customer() -> Any:
    counter = selling_counter()
    cart = carts.open_cart(db.session, current_actor(), counter)
    raw = request.form.get("customer_id", "")
    cart.customer = tenant_get_or_404(Customer, raw) if raw else None
    return _changed(counter, cart)


@bp.post("/customer/new")
@permission_required(Permission.PAGE_POS)
def add_customer() -> Any:
    counter = selling_counter()
    form = CustomerForm()
    if not form.validate():
        return dialog("counter/_customer.html", 422, query="", found=[], form=form)
    customer, is_new = customers.add_customer(
        db.session, current_actor(), form.name.data, form.phone.data, form.cnic.data or "", form.ntn.data or ""
    )
    cart = carts.open_cart(db.session, current_actor(), counter)
    cart.customer = customer
    if is_new:
        return _changed(counter, cart)
    note = f"{customer.phone} is already {customer.full_name}'s number: attached them. Check the name before paying."
    return _changed(counter, cart, message=note, message_kind="info")


# Parking and recalling


@bp.get("/park")
@permission_required(Permission.PAGE_POS)
def park_form() -> Any:
    counter = selling_counter()
    return dialog(
        "counter/_parked.html",
        form=ParkForm(),
        parked=parking.parked_carts(db.session, counter.branch_id),
        counter=counter,
        cart=carts.active_cart(db.session, counter),
    )


@bp.post("/park")
@permission_required(Permission.PAGE_POS)
def park() -> Any:
    counter = selling_counter()
    form = ParkForm()
    cart = carts.active_cart(db.session, counter, lock=True)
    if not form.validate() or cart is None:
        if cart is None:
            form.label.errors = ["The cart is empty: there is nothing to park."]
        parked = parking.parked_carts(db.session, counter.branch_id)
        return dialog("counter/_parked.html", 422, form=form, parked=parked, counter=counter, cart=cart)
    try:
        parking.park_cart(db.session, current_actor(), cart, form.label.data or "")
    except DomainError as exc:
        return _refused(counter, exc)
    return _changed(counter, None, message=f"Parked “{cart.label}”. Recall it from Parked on any counter here.")


@bp.post("/parked/<int:sale_id>/recall")
@permission_required(Permission.PAGE_POS)
def recall(sale_id: int) -> Any:
    parked = tenant_get_or_404(Sale, sale_id)
    counter = selling_counter()
    try:
        cart, set_aside = parking.recall_cart(db.session, current_actor(), counter, parked)
    except DomainError as exc:
        return _refused(counter, exc)
    note = _set_aside_note(set_aside)
    if not is_htmx():  # from a draft's own page: go to the counter with it on screen
        db.session.commit()
        if note:
            flash(note, "info")
        return back_to_counter()
    return _changed(counter, cart, message=note, message_kind="info")


def _set_aside_note(set_aside: Sale | None) -> str | None:
    """A recall never puts the cart on screen away unsaid: it says where it went."""
    if set_aside is None:
        return None
    items = f"{set_aside.quantity} item{'s' if set_aside.quantity != 1 else ''}"
    return (
        f"Your cart ({items}, {format_money(set_aside.payable_minor)}) was parked as “{set_aside.label}”. "
        "Recall it from Park."
    )
