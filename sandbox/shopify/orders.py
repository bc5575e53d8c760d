"""Online orders in a sandbox shop: placing one (stock committed at the assigned location) and fulfilling it."""

from __future__ import annotations

from typing import Any

from sandbox.shopify.models import (
    Customer,
    Fulfillment,
    FulfillmentLineItem,
    FulfillmentOrder,
    FulfillmentOrderLineItem,
    LineItem,
    Location,
    Order,
    Variant,
)
from sandbox.shopify.store import ShopState

FIRST_ORDER_NUMBER = 1001
COD_GATEWAY = "Cash on Delivery (COD)"  # Shopify's manual payment method, as paymentGatewayNames reports it
CARD_GATEWAY = "Safepay"  # a Pakistani card gateway on Shopify (its name as reported is unverified)


def _assign_location(shop: ShopState, lines: list[tuple[Variant, int]]) -> Location:
    """The first location that ships online orders and stocks every line; else the first that ships at all."""
    shipping = [loc for loc in shop.live_locations() if loc.is_active and loc.fulfills_online_orders]
    if not shipping:
        shipping = [loc for loc in shop.live_locations() if loc.is_active]
    for loc in shipping:
        if all(
            shop.stock.is_active(v.idx, loc.idx) and shop.stock.get(v.idx, loc.idx, "available") >= q
            for v, q in lines
            if v.tracked
        ):
            return loc
    return shipping[0]


def shipping_address(customer: Customer | None) -> dict[str, Any] | None:
    if customer is None or not customer.city:
        return None
    return {
        "first_name": customer.first_name,
        "last_name": customer.last_name,
        "address1": customer.address1,
        "city": customer.city,
        "province": customer.province,
        "province_code": customer.province_code,
        "zip": customer.zip,
        "country": "Pakistan",
        "country_code": "PK",
        "phone": customer.phone,
    }


def create_order(
    shop: ShopState,
    lines: list[tuple[Variant, int]],
    *,
    now: float,
    customer: Customer | None = None,
    location: Location | None = None,
    financial_status: str = "PENDING",
    source_name: str = "web",
    gateway: str | None = None,
) -> tuple[Order, list[tuple[Variant, Location]]]:
    """Place an online order: line items, one fulfillment order at the assigned location, committed stock.

    Returns the order and the (variant, location) levels whose quantities changed.
    """
    location = location or _assign_location(shop, lines)
    number = FIRST_ORDER_NUMBER + len(shop.orders)
    order = Order(
        id=shop.next_id("Order"),
        number=number,
        customer=customer,
        email=customer.email if customer else None,
        phone=customer.phone if customer else None,
        created_at=now,
        updated_at=now,
        financial_status=financial_status,
        source_name=source_name,
        gateway=gateway or (COD_GATEWAY if financial_status == "PENDING" else "Bank Transfer"),
        shipping_address=shipping_address(customer),
    )
    fo = FulfillmentOrder(
        id=shop.next_id("FulfillmentOrder"),
        order=order,
        location=location,
        status="OPEN",
        created_at=now,
        updated_at=now,
    )
    changed: list[tuple[Variant, Location]] = []
    for variant, quantity in lines:
        li = LineItem(
            id=shop.next_id("LineItem"),
            order=order,
            variant=variant,
            title=variant.product.title,
            variant_title=variant.title,
            sku=variant.sku,
            vendor=variant.product.vendor,
            quantity=quantity,
            price=variant.price,
            requires_shipping=variant.requires_shipping,
        )
        order.line_items.append(li)
        fo.line_items.append(
            FulfillmentOrderLineItem(shop.next_id("FulfillmentOrderLineItem"), fo, li, quantity, quantity)
        )
        if variant.tracked:
            if not shop.stock.is_active(variant.idx, location.idx):
                shop.stock.active[location.idx][variant.idx] = 1
            shop.stock.change(variant.idx, location.idx, "committed", quantity, now)
            changed.append((variant, location))
    order.fulfillment_orders.append(fo)
    if financial_status == "PAID":
        order.paid = order.total()
    if customer is not None:
        customer.orders_count += 1
        customer.amount_spent += order.total()
        customer.updated_at = now
    shop.orders.append(order)
    shop.order_records(order)
    shop.touch()
    return order, changed


def fulfill(
    shop: ShopState,
    requests: list[tuple[FulfillmentOrder, list[tuple[FulfillmentOrderLineItem, int]]]],
    *,
    tracking: list[dict[str, Any]],
    now: float,
) -> tuple[Fulfillment, list[tuple[Variant, Location]]]:
    """Ship validated quantities: committed and on_hand drop at the assigned location, fulfillment orders close."""
    order = requests[0][0].order
    location = requests[0][0].location
    fulfillment = Fulfillment(
        id=shop.next_id("Fulfillment"),
        order=order,
        location=location,
        name=f"{order.name}.{len(order.fulfillments) + 1}",
        status="SUCCESS",
        created_at=now,
        updated_at=now,
        tracking=tracking,
        line_items=[],
        fulfillment_orders=[fo for fo, _ in requests],
    )
    changed: list[tuple[Variant, Location]] = []
    for fo, items in requests:
        for foli, quantity in items:
            foli.remaining_quantity -= quantity
            li = foli.line_item
            li.fulfilled += quantity
            fulfillment.line_items.append(FulfillmentLineItem(shop.next_id("FulfillmentLineItem"), li, quantity))
            if li.variant is not None and li.variant.tracked:
                shop.stock.change(li.variant.idx, location.idx, "committed", -quantity, now)
                shop.stock.change(li.variant.idx, location.idx, "on_hand", -quantity, now)
                changed.append((li.variant, location))
        fo.status = fo.settled_status()
        fo.updated_at = now
    order.fulfillments.append(fulfillment)
    order.updated_at = now
    if order.fulfillment_status() == "FULFILLED" and order.financial_status == "PAID":
        order.closed_at = now
    shop.remember(fulfillment)
    shop.touch()
    return fulfillment, changed
