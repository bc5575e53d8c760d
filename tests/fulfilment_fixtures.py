"""Online orders ready to pick, made directly (no sandbox): an order of one variant with its fulfilment order at a
branch, and a dispatch of it, for the view, tenancy and permission tests of fulfilment."""

from __future__ import annotations

from typing import Any

from ismartsync.extensions import db
from ismartsync.models import Dispatch, DispatchStatus
from ismartsync.models.base import utcnow
from ismartsync.models.online_order import FulfilmentOrder, FulfilmentOrderLine, OnlineOrder, OnlineOrderLine

_count = 0


def make_fulfilment_order(branch: Any, variant: Any, quantity: int = 2, **order: Any) -> FulfilmentOrder:
    """A COD order of `quantity` × `variant`, its fulfilment order open at `branch`."""
    global _count
    _count += 1
    now = utcnow()
    merchant_id = branch.merchant_id
    placed = OnlineOrder(
        merchant_id=merchant_id,
        shopify_id=f"gid://shopify/Order/{9000 + _count}",
        name=order.pop("name", f"#{1000 + _count}"),
        shopify_created_at=now,
        shopify_updated_at=now,
        customer_name=order.pop("customer_name", "Ayesha Khan"),
        phone="03001234567",
        cod=True,
        financial_status="PENDING",
        fulfilment_status="UNFULFILLED",
        total_minor=quantity * 250_000,
        gateway_names=["Cash on Delivery (COD)"],
        **order,
    )
    line = OnlineOrderLine(
        merchant_id=merchant_id,
        shopify_id=f"gid://shopify/LineItem/{9000 + _count}",
        variant_id=variant.id,
        title="Item",
        quantity=quantity,
        current_quantity=quantity,
        unfulfilled_quantity=quantity,
        unit_price_minor=250_000,
    )
    placed.lines.append(line)
    fo = FulfilmentOrder(
        merchant_id=merchant_id,
        shopify_id=f"gid://shopify/FulfillmentOrder/{9000 + _count}",
        branch_id=branch.id,
        status="OPEN",
        supported_actions=["CREATE_FULFILLMENT", "MOVE", "HOLD"],
        order_created_at=now,
    )
    placed.fulfilment_orders.append(fo)
    db.session.add(placed)
    db.session.flush()
    fo.lines.append(
        FulfilmentOrderLine(
            merchant_id=merchant_id,
            shopify_id=f"gid://shopify/FulfillmentOrderLineItem/{9000 + _count}",
            order_line_id=line.id,
            total_quantity=quantity,
            remaining_quantity=quantity,
        )
    )
    db.session.flush()
    return fo


def make_dispatch(fo: FulfilmentOrder, status: str = DispatchStatus.FAILED) -> Dispatch:
    dispatch = Dispatch(
        merchant_id=fo.merchant_id,
        key=f"key-{fo.id}",
        branch_id=fo.branch_id,
        order_id=fo.order_id,
        fulfilment_order_id=fo.id,
        workflow="smart",
        status=status,
        courier="TCS",
        tracking_number="TCS1",
        error="Shopify refused the fulfilment",
    )
    db.session.add(dispatch)
    db.session.flush()
    return dispatch
