"""What Shopify announces when things change: helpers that queue the matching webhooks with lazily built payloads."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from sandbox.shopify import payloads
from sandbox.shopify.models import (
    Customer,
    Fulfillment,
    FulfillmentHold,
    FulfillmentOrder,
    Location,
    Order,
    Product,
    Refund,
    Variant,
)
from sandbox.shopify.store import ShopState

if TYPE_CHECKING:
    from sandbox.shopify.core import Sandbox


def levels_changed(sb: Sandbox, shop: ShopState, pairs: Iterable[tuple[Variant, Location]]) -> None:
    """`inventory_levels/update` once per distinct level, also for the app's own writes (the echo)."""
    seen: set[tuple[int, int]] = set()
    for variant, location in pairs:
        if (variant.idx, location.idx) in seen:
            continue
        seen.add((variant.idx, location.idx))
        sb.emit(shop, "inventory_levels/update", lambda v=variant, loc=location: payloads.inventory_level(shop, v, loc))


def level_connected(sb: Sandbox, shop: ShopState, variant: Variant, location: Location) -> None:
    sb.emit(shop, "inventory_levels/connect", lambda: payloads.inventory_level(shop, variant, location))


def level_disconnected(sb: Sandbox, shop: ShopState, variant: Variant, location: Location) -> None:
    sb.emit(
        shop, "inventory_levels/disconnect", lambda: {"inventory_item_id": variant.item_id, "location_id": location.id}
    )


def item_changed(sb: Sandbox, shop: ShopState, variant: Variant, topic: str = "inventory_items/update") -> None:
    if topic.endswith("/delete"):
        sb.emit(
            shop,
            topic,
            lambda: {
                "id": variant.item_id,
                "country_code_of_origin": None,
                "province_code_of_origin": None,
                "harmonized_system_code": None,
                "country_harmonized_system_codes": [],
            },
        )
        return
    sb.emit(shop, topic, lambda: payloads.inventory_item(variant))


def product_changed(sb: Sandbox, shop: ShopState, product: Product, topic: str = "products/update") -> None:
    if topic == "products/delete":
        sb.emit(shop, topic, lambda: {"id": product.id})
        return
    sb.emit(shop, topic, lambda: payloads.product(shop, product))


def location_changed(sb: Sandbox, shop: ShopState, location: Location, topic: str = "locations/update") -> None:
    if topic == "locations/delete":
        sb.emit(shop, topic, lambda: {"id": location.id})
        return
    sb.emit(shop, topic, lambda: payloads.location(location))


def customer_changed(sb: Sandbox, shop: ShopState, customer: Customer, topic: str = "customers/update") -> None:
    sb.emit(shop, topic, lambda: payloads.customer(customer))


def order_created(sb: Sandbox, shop: ShopState, order: Order, pairs: list[tuple[Variant, Location]]) -> None:
    sb.emit(shop, "orders/create", lambda: payloads.order(order))
    levels_changed(sb, shop, pairs)


def order_fulfilled(
    sb: Sandbox, shop: ShopState, fulfillment: Fulfillment, pairs: list[tuple[Variant, Location]]
) -> None:
    order = fulfillment.order
    sb.emit(shop, "fulfillments/create", lambda: payloads.fulfillment(fulfillment))
    sb.emit(shop, "orders/updated", lambda: payloads.order(order))
    done = order.fulfillment_status() == "FULFILLED"
    sb.emit(shop, "orders/fulfilled" if done else "orders/partially_fulfilled", lambda: payloads.order(order))
    levels_changed(sb, shop, pairs)


def app_uninstalled(sb: Sandbox, shop: ShopState, client_id: str) -> bool:
    """Revoke the app's credentials for the shop, then tell the app (its subscriptions are looked up first)."""
    targets = [t for t in sb.subscriptions_for(shop.domain, "app/uninstalled") if t[0].client_id == client_id]
    if not sb.auth.uninstall(shop.domain, client_id):
        return False
    sb.subscriptions[shop.domain] = [s for s in sb.subscriptions.get(shop.domain, []) if s.client_id != client_id]
    sb.webhooks.emit(shop.domain, "app/uninstalled", lambda: payloads.shop_payload(shop), targets=targets)
    return True


def order_updated(sb: Sandbox, shop: ShopState, order: Order) -> None:
    sb.emit(shop, "orders/updated", lambda: payloads.order(order))


def fulfillment_order_moved(sb: Sandbox, shop: ShopState, moved: Any) -> None:
    sb.emit(shop, "fulfillment_orders/moved", lambda: payloads.fulfillment_order_moved(moved))
    order_updated(sb, shop, moved.original.order)
    levels_changed(sb, shop, moved.pairs)


def fulfillment_order_held(
    sb: Sandbox, shop: ShopState, fo: FulfillmentOrder, hold: FulfillmentHold, remaining: FulfillmentOrder | None
) -> None:
    sb.emit(shop, "fulfillment_orders/placed_on_hold", lambda: payloads.fulfillment_order_held(fo, hold, remaining))


def fulfillment_order_released(sb: Sandbox, shop: ShopState, fo: FulfillmentOrder) -> None:
    sb.emit(shop, "fulfillment_orders/hold_released", lambda: payloads.fulfillment_order_status(fo))


def order_cancelled(sb: Sandbox, shop: ShopState, order: Order, done: Any) -> None:
    """`done` is order_changes.Cancelled: the fulfillment orders it closed, its refund, the levels it moved."""
    for fo in done.closed:
        sb.emit(shop, "fulfillment_orders/cancelled", lambda fo=fo: payloads.fulfillment_order_status(fo))
    sb.emit(shop, "orders/cancelled", lambda: payloads.order(order))
    sb.emit(shop, "orders/updated", lambda: payloads.order(order))
    if done.refund is not None:
        sb.emit(shop, "refunds/create", lambda: payloads.refund(done.refund))
    levels_changed(sb, shop, done.pairs)


def refund_created(sb: Sandbox, shop: ShopState, refund: Refund, pairs: list[tuple[Variant, Location]]) -> None:
    sb.emit(shop, "refunds/create", lambda: payloads.refund(refund))
    sb.emit(shop, "orders/updated", lambda: payloads.order(refund.order))
    levels_changed(sb, shop, pairs)


def order_paid(sb: Sandbox, shop: ShopState, order: Order) -> None:
    sb.emit(shop, "orders/paid", lambda: payloads.order(order))
    order_updated(sb, shop, order)
