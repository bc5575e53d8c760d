"""What every part of the counter screen needs: this tablet's counter, shift and cart, the drawer strip, the stock
beside lines and quick keys, and the answers they share (the cart fragment, a dialog, a refusal)."""

from __future__ import annotations

from typing import Any

from flask import abort, request, url_for
from flask_login import current_user
from sqlalchemy import select

from ismartsync.access import current_actor, current_counter, tenant_get_or_404
from ismartsync.errors import DomainError
from ismartsync.extensions import db
from ismartsync.models import Counter, Merchant, QuickKey, Sale, SaleLine, Shift, StockLevel, Tender, Variant
from ismartsync.models.base import utcnow
from ismartsync.permissions import Effect, Permission
from ismartsync.services import cart as carts
from ismartsync.services import parked
from ismartsync.services.cash.drawer import drawer_over_limit
from ismartsync.services.cash.registers import selling_shift
from ismartsync.services.fiscal import settings as fiscal_settings
from ismartsync.services.online_orders.reserved import reserved_query
from ismartsync.services.returns import exchange as exchanges
from ismartsync.services.returns.record import ReturnRequest, plan_return
from ismartsync.views.counter.return_panel import reference_fields, refund_parts
from ismartsync.web.htmx import hx_redirect_or, is_htmx, render

# This tablet's counter, shift and cart


def selling_here() -> tuple[Counter, Shift]:
    """This tablet's counter and the signed-in cashier's shift selling on it; else back to the counter page."""
    counter = current_counter()
    if counter is None:
        abort(back_to_counter())
    try:
        return counter, selling_shift(db.session, current_user, counter)
    except DomainError:
        abort(back_to_counter())


def selling_counter() -> Counter:
    """This tablet's counter, where the signed-in cashier has an open shift; else back to the counter's start."""
    return selling_here()[0]


def back_to_counter() -> Any:
    """The counter page says what is missing (a paired tablet, a started register, an open shift)."""
    return hx_redirect_or(url_for("counter.index"))


def cart_or_back(counter: Counter) -> Sale:
    """The cart a line or discount action is about; gone (checked out, parked elsewhere) → show the counter again."""
    cart = carts.active_cart(db.session, counter, lock=True)
    if cart is None:
        abort(back_to_counter())
    return cart


def line_of_cart(line_id: int) -> tuple[Counter, Sale, SaleLine]:
    """The line of this counter's cart a request names; any other line (another cart, another tenant) is a 404."""
    line = tenant_get_or_404(SaleLine, line_id)
    counter = selling_counter()
    cart = cart_or_back(counter)
    mine = next((ln for ln in cart.lines if ln.id == line.id), None)
    if mine is None:
        abort(404)
    return counter, cart, mine


# What the screen shows


def cart_context(counter: Counter, cart: Sale | None, **extra: Any) -> dict[str, Any]:
    return {
        "counter": counter,
        "cart": cart,
        "stock": carts.branch_stock(db.session, cart) if cart else {},
        "parked": parked.parked_count(db.session, counter.branch_id),
        "no_pct": fiscal_settings.missing_pct_code_note(counter.merchant, counter),
        "exchange": exchange_context(counter, cart),
        **extra,
    }


def sell_context(counter: Counter, cart: Sale | None, *, full: bool, **extra: Any) -> dict[str, Any]:
    """What the selling screen shows: the cart, and for the whole page the quick keys too."""
    context = cart_context(counter, cart, **extra)
    if full:
        context.update(results=None, query="", quick_keys=quick_keys(counter), selling=True)
        # Return mode's button and F10, for roles that may make returns (with a supervisor's PIN or without).
        context.update(may_return=current_user.effect(Permission.REFUND) is not Effect.BLOCKED)
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
    return with_stock(counter, [k.variant for k in keys if k.variant.deleted_at is None])


def with_stock(counter: Counter, variants: list[Variant]) -> list[tuple[Variant, int, int]]:
    """Each variant with its stock on hand here and what online orders hold of it (one query)."""
    if not variants:
        return []
    ids = [v.id for v in variants]
    held = reserved_query(counter.branch_id, ids).subquery()
    rows = db.session.execute(
        select(StockLevel.variant_id, StockLevel.quantity, held.c.reserved)
        .outerjoin(held, held.c.variant_id == StockLevel.variant_id)
        .where(StockLevel.branch_id == counter.branch_id, StockLevel.variant_id.in_(ids))
    ).all()
    levels = {vid: (quantity, int(reserved or 0)) for vid, quantity, reserved in rows}
    return [(v, *levels.get(v.id, (0, 0))) for v in variants]


# The answers


def render_cart(counter: Counter, cart: Sale | None, status: int = 200, **extra: Any) -> Any:
    context = sell_context(counter, cart, full=not is_htmx(), **extra)
    return render("counter/index.html", "counter/_cart.html", status, **context)


def changed(counter: Counter, cart: Sale | None, **extra: Any) -> Any:
    """Render the new cart, then commit: rendering first saves reloading everything the commit expired."""
    response = render_cart(counter, cart, **extra)
    db.session.commit()
    return response


def refused(counter: Counter, exc: DomainError) -> Any:
    db.session.rollback()
    headers = {"HX-Trigger": "scan-miss"}
    body, status, base = render_cart(counter, carts.active_cart(db.session, counter), 422, message=exc.message)
    return body, status, {**base, **headers}


def dialog(template: str, status: int = 200, **context: Any) -> Any:
    """A dialog fragment into #dialog (a whole page without htmx); a 422 re-renders it where it is."""
    body, status, headers = render("counter/dialog.html", template, status, template=template, **context)
    if is_htmx():
        headers = {**headers, "HX-Retarget": "#dialog", "HX-Reswap": "innerHTML"}
    return body, status, headers


# An exchange under way: what comes back is held on the cart (services.returns.exchange) while the new items are
# rung up and paid for.


def exchange_context(counter: Counter, cart: Sale | None) -> dict[str, Any] | None:
    """What the cart shows of the exchange it holds: the credit of what comes back, from which sale, and what is left
    to pay (below zero: what the customer gets back). None without one; `error` when it can no longer be made (the
    units were returned meanwhile): the cart says why, and the pay step refuses it until it is cancelled."""
    wanted = exchanges.pending_exchange(cart)
    if wanted is None or cart is None:
        return None
    payable = cart.payable_minor
    try:
        plan = exchanges.plan_exchange(db.session, current_actor(), counter, wanted)
    except DomainError as exc:
        return {
            "error": exc.message,
            "credit_minor": 0,
            "due_minor": payable,
            "applied_minor": 0,
            "back_parts": [],
            "references": [],
        }
    context: dict[str, Any] = {
        "credit_minor": plan.total_minor,
        "sale": plan.sale,
        "due_minor": payable - plan.total_minor,
        "applied_minor": min(plan.total_minor, payable),
        "back_parts": [],
        "references": [],
    }
    if payable < plan.total_minor:
        context.update(_given_back(counter, wanted, payable))
    return context


def _given_back(counter: Counter, wanted: ReturnRequest, payable: int) -> dict[str, Any]:
    """How the difference of an exchange worth less than what came back goes back (cash last), and a reference
    field for each card, bank or wallet part of it (with what the pay dialog's form typed so far)."""
    try:
        plan = plan_return(db.session, current_actor(), counter, wanted, exchange_credit_minor=payable)
    except DomainError:
        return {}
    shown = zip(refund_parts(plan, plan.sale), plan.refunds, strict=True)
    parts = [p for p, part in shown if part.tender != Tender.EXCHANGE]
    typed = request.form if request.method == "POST" else {}
    return {"back_parts": parts, "references": reference_fields(plan, plan.sale, typed)}
