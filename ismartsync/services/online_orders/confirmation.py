"""COD confirmation as Pakistani teams do it: a tap to call the customer, a WhatsApp message prefilled with the order,
and the outcome recorded (confirmed, no answer, cancelled by customer) with who and when.

Attempts are append-only (`OrderConfirmation`); the newest is the order's confirmation state. Each form carries a
request key, so a double submit (two taps, a retried request) is one attempt.
"""

from __future__ import annotations

from urllib.parse import quote

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ismartsync.errors import DomainError
from ismartsync.models.online_order import OnlineOrder
from ismartsync.models.order_work import ConfirmationOutcome, OrderConfirmation
from ismartsync.money import format_money
from ismartsync.phones import parse_mobile, whatsapp_number
from ismartsync.services.audit import Actor, record_audit

NOTE_MAX = 500
KEY_MAX = 64


def record_confirmation(
    session: Session, actor: Actor, order: OnlineOrder, outcome: str, note: str, request_key: str
) -> OrderConfirmation:
    """Record what came of asking the customer; the same request key again returns the first attempt unchanged."""
    key = (request_key or "").strip()
    if not key or len(key) > KEY_MAX:
        raise DomainError("This form has expired. Reload the order and record the outcome again.", "outcome")
    if existing := _by_key(session, actor.merchant_id, key):
        return existing
    if outcome not in set(ConfirmationOutcome):
        raise DomainError("Choose what the customer said: confirmed, no answer or cancelled.", "outcome")
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        raise DomainError(f"Keep the note under {NOTE_MAX} characters.", "note")
    if order.is_cancelled:
        raise DomainError(f"Order {order.name} was cancelled in Shopify; there is nothing to confirm.", "outcome")
    attempt = OrderConfirmation(
        merchant_id=actor.merchant_id,
        order_id=order.id,
        outcome=outcome,
        note=note,
        recorded_by_id=actor.user.id,
        request_key=key,
    )
    try:
        with session.begin_nested():  # a second request with the same key, at the same moment, loses here
            session.add(attempt)
            session.flush()
    except IntegrityError:
        found = _by_key(session, actor.merchant_id, key)
        if found is None:
            raise
        return found
    order.confirmation = outcome
    session.flush()
    record_audit(
        session,
        actor,
        "online_order.confirmation",
        f"Order {order.name}: {ConfirmationOutcome(outcome).label.lower()}" + (f" ({note})" if note else ""),
        target=order,
        after={"outcome": outcome, "note": note},
    )
    return attempt


def confirmations_of(session: Session, order: OnlineOrder) -> list[OrderConfirmation]:
    """Every attempt on the order, newest first."""
    return list(
        session.scalars(
            select(OrderConfirmation)
            .where(OrderConfirmation.order_id == order.id, OrderConfirmation.merchant_id == order.merchant_id)
            .order_by(OrderConfirmation.id.desc())
        )
    )


def call_link(order: OnlineOrder) -> str | None:
    """tel: the customer's phone (international when it is a Pakistani mobile); None without a phone."""
    e164 = parse_mobile(order.phone)
    if e164:
        return f"tel:{e164}"
    digits = "".join(c for c in order.phone or "" if c.isdigit() or c == "+")
    return f"tel:{digits}" if len(digits) >= 5 else None


def whatsapp_message(order: OnlineOrder, shop_name: str) -> str:
    """The confirmation message: the order, its items, the total, where it goes, and how to confirm."""
    lines = [f"Assalam o Alaikum {order.customer_name or ''}".rstrip() + ",", ""]
    lines.append(f"{shop_name}: please confirm your order {order.name}.")
    for line in order.lines:
        if line.current_quantity <= 0:
            continue
        title = line.title + (f" ({line.variant_title})" if line.variant_title else "")
        lines.append(f"- {title} × {line.current_quantity}")
    lines.append(f"Total: {format_money(order.total_minor)}" + (" (cash on delivery)" if order.cod else ""))
    if address := address_text(order):
        lines.append(f"Address: {address}")
    lines += ["", "Reply YES to confirm."]
    return "\n".join(lines)


def whatsapp_link(order: OnlineOrder, shop_name: str) -> str | None:
    """wa.me with the customer's mobile and the message prefilled; None when the phone is not a Pakistani mobile."""
    e164 = parse_mobile(order.phone)
    if not e164:
        return None
    return f"https://wa.me/{whatsapp_number(e164)}?text={quote(whatsapp_message(order, shop_name), safe='')}"


def address_text(order: OnlineOrder) -> str:
    """The shipping address on one line, as a courier writes it."""
    address = order.shipping_address or {}
    parts = [address.get(k) for k in ("address1", "address2", "city", "province", "zip")]
    return ", ".join(str(p).strip() for p in parts if p and str(p).strip())


def _by_key(session: Session, merchant_id: int, key: str) -> OrderConfirmation | None:
    return session.scalar(
        select(OrderConfirmation).where(
            OrderConfirmation.merchant_id == merchant_id, OrderConfirmation.request_key == key
        )
    )
