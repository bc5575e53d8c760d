"""Finding online orders for a screen: a branch's (those with a fulfilment order assigned to it), newest first,
found by order name ("#1001", "1001") or the customer's phone (however it is typed)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from ismartsync.models.online_order import FulfilmentOrder, OnlineOrder
from ismartsync.services.online_orders.intake import phone_key

LIMIT = 100


def orders_at_branches(
    session: Session, merchant_id: int, branch_ids: Sequence[int], text: str = "", limit: int = LIMIT
) -> list[OnlineOrder]:
    """The merchant's online orders with a fulfilment order at one of these branches, newest first (at most
    `limit`); `text` finds an order by its name or the customer's phone."""
    if not branch_ids:
        return []
    at_branches = select(FulfilmentOrder.order_id).where(
        FulfilmentOrder.merchant_id == merchant_id, FulfilmentOrder.branch_id.in_(list(branch_ids))
    )
    query = select(OnlineOrder).where(OnlineOrder.merchant_id == merchant_id, OnlineOrder.id.in_(at_branches))
    text = text.strip()
    if text:
        digits = "".join(c for c in text if c.isascii() and c.isdigit())
        names = {text, f"#{text.lstrip('#')}"}
        key = phone_key(text)
        wanted = OnlineOrder.name.in_(sorted(names))
        if key and len(digits) >= 7:
            wanted = wanted | (OnlineOrder.phone_key == key)
        query = query.where(wanted)
    query = query.order_by(OnlineOrder.shopify_created_at.desc(), OnlineOrder.id.desc()).limit(limit)
    return list(session.scalars(query.options(selectinload(OnlineOrder.fulfilment_orders))))
