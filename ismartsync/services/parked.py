"""Parked carts: set aside on one counter, kept in the database, recalled on any counter of the branch."""

from __future__ import annotations

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ismartsync.errors import DomainError
from ismartsync.models import Counter, Sale, SaleStatus
from ismartsync.models.base import utcnow
from ismartsync.services.audit import Actor
from ismartsync.services.cart import active_cart
from ismartsync.templating import local_time


def park_cart(session: Session, actor: Actor, cart: Sale, label: str) -> None:
    """Set the cart aside (a hold, a fitting, a quote) so the counter can ring up the next customer; an exchange it
    holds (`Sale.exchange_request`) goes with it, even before its new items are scanned."""
    if not cart.lines and cart.exchange_request is None:
        raise DomainError("The cart is empty: there is nothing to park.")
    now = utcnow()
    cart.label = label.strip()[:80] or cart.label or f"Parked {local_time(now, '%H:%M', cart.merchant.time_zone)}"
    cart.parked_at = now
    session.flush()


def parked_carts(session: Session, branch_id: int) -> list[Sale]:
    """The branch's parked carts, newest first, visible to every counter of the branch."""
    return list(
        session.scalars(
            select(Sale)
            .where(Sale.branch_id == branch_id, Sale.status == SaleStatus.DRAFT, Sale.parked_at.is_not(None))
            .order_by(Sale.parked_at.desc())
            .limit(100)
        )
    )


def recall_cart(session: Session, actor: Actor, counter: Counter, parked: Sale) -> tuple[Sale, Sale | None]:
    """Bring a parked cart to this counter's screen; the cart that was there is parked in its place.

    Returns the recalled cart and the one set aside for it (None when the screen's cart was empty), so the
    cashier can be told where it went.
    """
    if parked.branch_id != counter.branch_id:
        raise DomainError("That cart was parked at another branch.")
    current = active_cart(session, counter, lock=True)
    set_aside = None
    if current is not None and (current.lines or current.exchange_request is not None):
        park_cart(session, actor, current, "")
        set_aside = current
    elif current is not None:
        session.delete(current)
        session.flush()
    # Only one counter can take it: the update finds it still parked or changes nothing. Another cart put on this
    # counter's screen meanwhile (a second tablet recalling at once) trips the one-cart-per-counter index.
    try:
        with session.begin_nested():
            taken = session.execute(
                update(Sale)
                .where(Sale.id == parked.id, Sale.status == SaleStatus.DRAFT, Sale.parked_at.is_not(None))
                .values(parked_at=None, counter_id=counter.id, updated_at=utcnow())
                .execution_options(synchronize_session=False)
            ).rowcount
    except IntegrityError as exc:
        raise DomainError("This counter took another cart a moment ago. Park it first.") from exc
    if taken != 1:
        raise DomainError("Another counter took that cart a moment ago.")
    session.refresh(parked)
    return parked, set_aside


def parked_count(session: Session, branch_id: int) -> int:
    return (
        session.scalar(
            select(func.count(Sale.id)).where(
                Sale.branch_id == branch_id, Sale.status == SaleStatus.DRAFT, Sale.parked_at.is_not(None)
            )
        )
        or 0
    )
