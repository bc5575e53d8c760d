"""Online orders to invoice in tests: an order with lines at a branch, and its branch's online orders reported by a
counter (as Settings → FBR sets it)."""

from __future__ import annotations

from datetime import UTC, datetime
from itertools import count

from ismartsync.extensions import db
from ismartsync.models import (
    Branch,
    Counter,
    FulfilmentOrder,
    Merchant,
    OnlineOrder,
    OnlineOrderLine,
    OnlineReportingCounter,
    Variant,
)

_ids = count(7000)
PLACED = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def make_order(
    merchant: Merchant,
    *items: tuple[Variant | None, int, int],  # (variant, quantity, unit price in paisa)
    name: str = "#1001",
    cod: bool = True,
    customer_name: str = "Ayesha Khan",
    phone: str = "+923001234567",
    shipping_minor: int = 25000,
    branch: Branch | None = None,
) -> OnlineOrder:
    """An order as the intake keeps it: COD by default, Ayesha Khan's, Rs 250 shipping; with `branch`, its
    fulfilment order is assigned there."""
    n = next(_ids)
    order = OnlineOrder(
        merchant_id=merchant.id,
        shopify_id=f"gid://shopify/Order/{n}",
        name=name,
        shopify_created_at=PLACED,
        shopify_updated_at=PLACED,
        customer_name=customer_name,
        phone=phone,
        cod=cod,
        gateway_names=["Cash on Delivery (COD)"] if cod else ["shopify_payments"],
        shipping_address={"name": customer_name, "address1": "12 Main Boulevard", "city": "Lahore"},
        shipping_minor=shipping_minor,
        lines=[
            OnlineOrderLine(
                merchant_id=merchant.id,
                shopify_id=f"gid://shopify/LineItem/{n}{i}",
                variant=variant,
                sku=variant.sku if variant else f"CUSTOM-{i}",
                title=variant.product.title if variant else "Gift wrap",
                variant_title=variant.title if variant else "",
                quantity=quantity,
                current_quantity=quantity,
                unfulfilled_quantity=quantity,
                unit_price_minor=price,
            )
            for i, (variant, quantity, price) in enumerate(items)
        ],
    )
    if branch is not None:
        order.fulfilment_orders = [
            FulfilmentOrder(
                merchant_id=merchant.id,
                shopify_id=f"gid://shopify/FulfillmentOrder/{n}",
                branch_id=branch.id,
                status="OPEN",
                order_created_at=PLACED,
            )
        ]
    order.subtotal_minor = sum(q * p for _, q, p in items)
    order.total_minor = order.subtotal_minor + shipping_minor
    db.session.add(order)
    db.session.flush()
    return order


def report_online_orders(branch: Branch, counter: Counter) -> None:
    """The branch's online orders reported under `counter`'s POSID."""
    db.session.add(OnlineReportingCounter(merchant_id=branch.merchant_id, branch_id=branch.id, counter_id=counter.id))
    db.session.flush()
