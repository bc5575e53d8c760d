"""Dispatches still open: units that left a branch for an online order and that Shopify does not show as fulfilled
yet. Cancelling the order or moving its fulfilment order is refused meanwhile (the units would never settle)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ismartsync.models import Dispatch
from ismartsync.models.fulfilment import OPEN_DISPATCH


def has_open_dispatch(session: Session, *, order_id: int, fulfilment_order_id: int | None = None) -> bool:
    """Whether the order (or one of its fulfilment orders) has a dispatch Shopify has not settled."""
    query = select(Dispatch.id).where(Dispatch.order_id == order_id, Dispatch.status.in_(OPEN_DISPATCH))
    if fulfilment_order_id is not None:
        query = query.where(Dispatch.fulfilment_order_id == fulfilment_order_id)
    return session.scalar(query.limit(1)) is not None
