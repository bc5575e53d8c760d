"""The cashier's discount limit: what a cart may give away without a supervisor, and the approvals given beyond it.

A discount is judged by the share it takes: a line's discount of its gross, and all of the cart's discounts of its
subtotal. An approval raises the allowed share of that line (or the cart) to what the supervisor saw, so later
scans do not ask again; a change that takes a discount past it (fewer items under an amount off, a lower price, a
second discount on top) asks again.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from ismartsync.models import Sale, SaleLine
from ismartsync.money import format_money
from ismartsync.services.audit import Actor, record_audit
from ismartsync.services.cart import line_discount
from ismartsync.services.pricing import discount_share_bp
from ismartsync.templating import percent_bp


def _line_share(line: SaleLine) -> int:
    """The line's own discount (not its part of the cart's) as a share of its gross."""
    return discount_share_bp(line.gross_minor, line_discount(line))


def over_limit(cart: Sale) -> list[str]:
    """The discounts on the cart that now take more than the limit and what was approved allow, in words."""
    limit = cart.merchant.cashier_discount_limit_bp
    over = [
        f"Discount {percent_bp(share)} % on {line.name} ({format_money(line_discount(line))} off)"
        for line in cart.lines
        if line.discount_kind and (share := _line_share(line)) > max(limit, line.approved_discount_bp)
    ]
    allowed = max([limit, cart.approved_discount_bp, *(ln.approved_discount_bp for ln in cart.lines)])
    share = discount_share_bp(cart.subtotal_minor, cart.discount_minor)
    if share > allowed and (cart.order_discount_kind or not over):  # else the lines above say it already
        over.append(
            f"Discounts of {percent_bp(share)} % on the whole cart "
            f"({format_money(cart.discount_minor)} off {format_money(cart.subtotal_minor)})"
        )
    return over


def beyond_limit(cart: Sale) -> bool:
    """Does any discount on the cart now take more than the limit and what was approved allow?"""
    return bool(over_limit(cart))


def approval_wording(cart: Sale) -> str:
    """What a supervisor approves for a cart beyond the limit: each discount over it, and the limit."""
    limit = percent_bp(cart.merchant.cashier_discount_limit_bp)
    return "; ".join(over_limit(cart)) + f" (over the {limit} % cashier limit)"


def note_approval(session: Session, actor: Actor, cart: Sale) -> None:
    """Let the cart's discounts stand as they are now (a supervisor approved, or the member may); audited."""
    for line in cart.lines:
        if line.discount_kind:
            line.approved_discount_bp = max(line.approved_discount_bp, _line_share(line))
    cart.approved_discount_bp = max(
        cart.approved_discount_bp, discount_share_bp(cart.subtotal_minor, cart.discount_minor)
    )
    if actor.approver is not None:
        record_audit(
            session,
            actor,
            "cart.discount_approved",
            f"Discounts of {discount_share_bp(cart.subtotal_minor, cart.discount_minor) / 100:.2f} % approved",
            target=cart,
            branch_id=cart.branch_id,
            after={"discount_minor": cart.discount_minor, "subtotal_minor": cart.subtotal_minor},
        )
