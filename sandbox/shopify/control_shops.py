"""`/sandbox/control/shops/<shop>/...`: merchant-side changes through JSON (stock, online orders, products,
customers, locations, uninstalling an app) and the stock Shopify holds per item and location."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Blueprint, Response, jsonify, request

from sandbox.shopify import admin, events
from sandbox.shopify.control import body, problem, sandbox
from sandbox.shopify.core import Sandbox
from sandbox.shopify.models import Location, Order, Variant
from sandbox.shopify.store import QUANTITY_NAMES, ShopState

bp = Blueprint("shopify_control_shops", __name__, url_prefix="/sandbox/control/shops/<shop>")


def with_shop(view: Callable[..., Response]) -> Callable[..., Response]:
    """Resolve <shop>, hold the sandbox lock, and turn AdminError into a 400."""

    @wraps(view)
    def wrapper(shop: str, **kwargs: Any) -> Response:
        sb = sandbox()
        with sb.lock:
            state = sb.shop(shop)
            if state is None:
                return problem(f"unknown shop {shop}", 404)
            try:
                return view(sb, state, **kwargs)
            except admin.AdminError as exc:
                return problem(str(exc))

    return wrapper


def level_json(shop: ShopState, variant: Variant, location: Location) -> dict[str, Any]:
    stock = shop.stock
    return {
        "inventory_item_id": variant.item_gid,
        "variant_id": variant.gid,
        "sku": variant.sku,
        "location_id": location.gid,
        "location_name": location.name,
        "tracked": variant.tracked,
        "active": stock.is_active(variant.idx, location.idx),
        **{name: stock.get(variant.idx, location.idx, name) for name in QUANTITY_NAMES},
    }


def order_json(order: Order) -> dict[str, Any]:
    return {
        "id": order.gid,
        "name": order.name,
        "gateway": order.gateway,
        "financial_status": order.financial_status,
        "fulfillment_status": order.fulfillment_status(),
        "cancelled": order.cancelled_at is not None,
        "closed": order.closed_at is not None,
        "paid": order.paid / 100,
        "refunded": order.refunded_amount() / 100,
        "line_items": [
            {
                "id": li.gid,
                "variant_id": li.variant.gid if li.variant else None,
                "sku": li.sku,
                "quantity": li.quantity,
                "fulfilled": li.fulfilled,
                "refunded": li.refunded,
                "current_quantity": li.current_quantity,
            }
            for li in order.line_items
        ],
        "fulfillment_orders": [
            {
                "id": fo.gid,
                "status": fo.status,
                "location_id": fo.location.gid,
                "location_name": fo.location.name,
                "holds": [{"id": h.gid, "reason": h.reason, "handle": h.handle} for h in fo.holds],
                "line_items": [
                    {"id": i.gid, "line_item_id": i.line_item.gid, "remaining_quantity": i.remaining_quantity}
                    for i in fo.line_items
                ],
            }
            for fo in order.fulfillment_orders
        ],
        "fulfillments": [
            {"id": f.gid, "location_id": f.location.gid, "tracking": f.tracking} for f in order.fulfillments
        ],
        "refunds": [
            {
                "id": r.gid,
                "amount": sum(t["amount"] for t in r.transactions) / 100,
                "line_items": [
                    {
                        "line_item_id": i.line_item.gid,
                        "quantity": i.quantity,
                        "restock_type": i.restock_type,
                        "location_id": i.location.gid if i.location else None,
                    }
                    for i in r.line_items
                ],
            }
            for r in order.refunds
        ],
    }


@bp.post("/uninstall")
@with_shop
def uninstall(sb: Sandbox, shop: ShopState) -> Response:
    client_id = body().get("client_id") or sb.config["apps"][0]["client_id"]
    return jsonify({"uninstalled": events.app_uninstalled(sb, shop, client_id)})


@bp.route("/inventory", methods=["GET", "POST"])
@with_shop
def inventory(sb: Sandbox, shop: ShopState) -> Response:
    """GET: levels (filter by variant_id, inventory_item_id, sku, location_id); POST: set available or on_hand, or
    change on_hand by `adjust_on_hand` (atomically, as a merchant's "+n" in the admin)."""
    if request.method == "POST":
        data = body()
        variant, location = admin.find_variant(shop, data), admin.find_location(shop, data)
        on_hand = data.get("on_hand")
        if data.get("adjust_on_hand") is not None:
            on_hand = shop.stock.get(variant.idx, location.idx, "on_hand") + int(data["adjust_on_hand"])
        admin.set_stock(sb, shop, variant, location, available=data.get("available"), on_hand=on_hand)
        return jsonify(level_json(shop, variant, location))
    args = request.args.to_dict()
    variants = (
        [admin.find_variant(shop, args)]
        if {"variant_id", "inventory_item_id", "sku"} & set(args)
        else [v for v in shop.variants if not v.deleted]
    )
    locations = [admin.find_location(shop, args)] if "location_id" in args else shop.live_locations()
    limit = int(args.get("limit", 1000))
    levels = [
        level_json(shop, v, loc)
        for v in variants[:limit]
        for loc in locations
        if shop.stock.is_active(v.idx, loc.idx) or len(variants) == 1
    ]
    return jsonify({"levels": levels})


@bp.route("/orders", methods=["GET", "POST"])
@with_shop
def orders(sb: Sandbox, shop: ShopState) -> Response:
    if request.method == "GET":
        return jsonify({"orders": [order_json(o) for o in shop.orders]})
    data = body()
    location = admin.find_location(shop, data) if data.get("location_id") or data.get("location_name") else None
    order = admin.place_order(
        sb,
        shop,
        data.get("lines") or [],
        customer_id=data.get("customer_id"),
        location=location,
        financial_status=data.get("financial_status"),
        payment=data.get("payment"),
        gateway=data.get("gateway"),
    )
    return jsonify(order_json(order))


@bp.get("/orders/<path:order_id>")
@with_shop
def one_order(sb: Sandbox, shop: ShopState, order_id: str) -> Response:
    """An order with its fulfillment orders (status, assigned location, holds), fulfillments and refunds."""
    return jsonify(order_json(admin.find_order(shop, order_id)))


@bp.post("/orders/<path:order_id>/<action>")
@with_shop
def order_action(sb: Sandbox, shop: ShopState, order_id: str, action: str) -> Response:
    """What a person does to an order in the Shopify admin: `fulfill` {location_id?, lines?, tracking_company?,
    tracking_number?, tracking_url?}, `cancel` {restock=true, refund=true, reason=CUSTOMER}, `move`
    {fulfillment_order_id, location_id}, `mark-paid` (a COD parcel delivered, cash collected), `refuse`
    {location_id, restock=true} (a shipped parcel back: refund with restock there)."""
    order, data = admin.find_order(shop, order_id), body()
    actions = {
        "fulfill": lambda: admin.fulfil_order(sb, shop, order, data),
        "cancel": lambda: admin.cancel_order(sb, shop, order, data),
        "move": lambda: admin.move_fulfillment_order(sb, shop, order, data),
        "mark-paid": lambda: admin.mark_paid(sb, shop, order),
        "refuse": lambda: admin.refuse_parcel(sb, shop, order, data),
    }
    if action not in actions:
        return problem(f"unknown action {action}", 404)
    actions[action]()
    return jsonify(order_json(order))


@bp.post("/variants/<variant_id>")
@with_shop
def variant(sb: Sandbox, shop: ShopState, variant_id: str) -> Response:
    found = admin.find_variant(shop, {"variant_id": variant_id})
    admin.update_variant(sb, shop, found, body())
    return jsonify({"id": found.gid, "sku": found.sku, "barcode": found.barcode, "price": found.price / 100})


@bp.post("/products")
@with_shop
def create_product(sb: Sandbox, shop: ShopState) -> Response:
    product = admin.create_product(sb, shop, body())
    return jsonify(
        {
            "id": product.gid,
            "variants": [{"id": v.gid, "inventory_item_id": v.item_gid, "sku": v.sku} for v in product.variants],
        }
    )


@bp.delete("/products/<product_id>")
@with_shop
def delete_product(sb: Sandbox, shop: ShopState, product_id: str) -> Response:
    product = shop.lookup("Product", admin.number(product_id, "Product"))
    if product is None:
        return problem("no such product", 404)
    admin.delete_product(sb, shop, product)
    return jsonify({"deleted": product.gid})


@bp.post("/customers", defaults={"customer_id": None})
@bp.post("/customers/<customer_id>")
@with_shop
def customer(sb: Sandbox, shop: ShopState, customer_id: str | None) -> Response:
    existing = None
    if customer_id is not None:
        existing = shop.lookup("Customer", admin.number(customer_id, "Customer"))
        if existing is None:
            return problem("no such customer", 404)
    saved = admin.save_customer(sb, shop, body(), existing)
    return jsonify({"id": saved.gid, "email": saved.email, "phone": saved.phone})


@bp.post("/locations", defaults={"location_id": None})
@bp.post("/locations/<location_id>")
@with_shop
def location(sb: Sandbox, shop: ShopState, location_id: str | None) -> Response:
    existing = admin.find_location(shop, {"location_id": location_id}) if location_id else None
    saved = admin.save_location(sb, shop, body(), existing)
    return jsonify({"id": saved.gid, "name": saved.name, "active": saved.is_active})
