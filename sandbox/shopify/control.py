"""`/sandbox/control/...`: a JSON API for tests and the demo to steer the sandbox and observe what "Shopify" saw.
No authentication: never expose the sandbox beyond localhost."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request

from sandbox.shopify import admin, events
from sandbox.shopify.auth import split_scopes
from sandbox.shopify.core import Sandbox
from sandbox.shopify.models import Location, Order, Variant
from sandbox.shopify.store import QUANTITY_NAMES, ShopState

bp = Blueprint("shopify_control", __name__, url_prefix="/sandbox/control")


def sandbox() -> Sandbox:
    return current_app.extensions["shopify_sandbox"]


def body() -> dict[str, Any]:
    return request.get_json(silent=True) or {}


def problem(message: str, status: int = 400) -> Response:
    response = jsonify({"error": message})
    response.status_code = status
    return response


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
        "financial_status": order.financial_status,
        "fulfillment_status": order.fulfillment_status(),
        "line_items": [
            {
                "id": li.gid,
                "variant_id": li.variant.gid if li.variant else None,
                "sku": li.sku,
                "quantity": li.quantity,
                "fulfilled": li.fulfilled,
            }
            for li in order.line_items
        ],
        "fulfillment_orders": [
            {
                "id": fo.gid,
                "status": fo.status,
                "location_id": fo.location.gid,
                "line_items": [
                    {"id": i.gid, "line_item_id": i.line_item.gid, "remaining_quantity": i.remaining_quantity}
                    for i in fo.line_items
                ],
            }
            for fo in order.fulfillment_orders
        ],
    }


@bp.get("/state")
def state() -> Response:
    sb = sandbox()
    with sb.lock:
        return jsonify(
            {
                "shops": [
                    {
                        "domain": s.domain,
                        "name": s.name,
                        "products": len(s.products),
                        "variants": len(s.variants),
                        "locations": [
                            {"id": loc.gid, "name": loc.name, "active": loc.is_active} for loc in s.live_locations()
                        ],
                        "customers": len(s.customers),
                        "orders": len(s.orders),
                    }
                    for s in sb.shops.values()
                ],
                "apps": [{"client_id": a["client_id"], "name": a["name"]} for a in sb.config["apps"]],
                "installs": [
                    {"shop": shop, "client_id": cid, "scope": ",".join(scopes)}
                    for (shop, cid), scopes in sb.auth.installs.items()
                ],
                "faults": sb.faults.describe(),
                "clock_offset": sb.clock_offset,
                "now": sb.now(),
            }
        )


@bp.post("/reset")
def reset() -> Response:
    data = body()
    sandbox().reset(variants=data.get("variants"), seed=data.get("seed"), keep_tokens=bool(data.get("keep_tokens")))
    return jsonify({"ok": True})


@bp.post("/clock")
def clock() -> Response:
    sb = sandbox()
    sb.clock_offset += float(body().get("advance_seconds", 0))
    return jsonify({"offset": sb.clock_offset, "now": sb.now()})


@bp.route("/faults", methods=["GET", "POST", "DELETE"])
def faults() -> Response:
    sb = sandbox()
    if request.method == "POST":
        try:
            rule = sb.faults.add(body())
        except ValueError as exc:
            return problem(str(exc))
        return jsonify({"id": rule.id, "faults": sb.faults.describe()})
    if request.method == "DELETE":
        sb.faults.clear()
    return jsonify({"faults": sb.faults.describe()})


@bp.route("/rate-limit", methods=["GET", "POST"])
def rate_limit() -> Response:
    sb = sandbox()
    if request.method == "POST":
        data = body()
        sb.limiter.configure(
            data.get("shop"),
            maximum_available=data.get("maximum_available"),
            restore_rate=data.get("restore_rate"),
            currently_available=data.get("currently_available"),
        )
    with sb.limiter.lock:
        buckets = [{"shop": shop, "client_id": cid, **b.status()} for (shop, cid), b in sb.limiter.buckets.items()]
    return jsonify({"defaults": sb.limiter.defaults, "overrides": sb.limiter.overrides, "buckets": buckets})


@bp.route("/requests", methods=["GET", "DELETE"])
def requests_log() -> Response:
    sb = sandbox()
    if request.method == "DELETE":
        sb.requests.clear()
    shop, since = request.args.get("shop"), int(request.args.get("since", 0))
    entries = [e for e in list(sb.requests) if (shop is None or e.get("shop") == shop) and e["seq"] > since]
    return jsonify({"requests": entries, "summary": sb.request_summary(shop)})


@bp.get("/idempotency")
def idempotency() -> Response:
    shop = request.args.get("shop")
    records = [r.describe() for r in list(sandbox().idempotency.values()) if shop is None or r.shop == shop]
    return jsonify({"keys": records})


@bp.post("/tokens")
def issue_token() -> Response:
    """A token without OAuth (as if pasted from an admin-created custom app); installs the app on the shop."""
    sb, data = sandbox(), body()
    app = sb.auth.app(data.get("client_id") or sb.config["apps"][0]["client_id"])
    if app is None or sb.shop(data.get("shop", "")) is None:
        return problem("unknown shop or client_id")
    scopes = split_scopes(data.get("scope")) or split_scopes(app["scopes"])
    with sb.lock:
        token = sb.auth.issue(data["shop"], app["client_id"], scopes, "custom", data.get("expires_in"))
    return jsonify(
        {
            "access_token": token.value,
            "scope": ",".join(scopes),
            "client_id": app["client_id"],
            "expires_in": data.get("expires_in"),
        }
    )


@bp.post("/shops/<shop>/uninstall")
@with_shop
def uninstall(sb: Sandbox, shop: ShopState) -> Response:
    client_id = body().get("client_id") or sb.config["apps"][0]["client_id"]
    return jsonify({"uninstalled": events.app_uninstalled(sb, shop, client_id)})


@bp.route("/shops/<shop>/inventory", methods=["GET", "POST"])
@with_shop
def inventory(sb: Sandbox, shop: ShopState) -> Response:
    """GET: levels (filter by variant_id, inventory_item_id, sku, location_id); POST: set available or on_hand."""
    if request.method == "POST":
        data = body()
        variant, location = admin.find_variant(shop, data), admin.find_location(shop, data)
        admin.set_stock(sb, shop, variant, location, available=data.get("available"), on_hand=data.get("on_hand"))
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


@bp.route("/shops/<shop>/orders", methods=["GET", "POST"])
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
        financial_status=data.get("financial_status", "PENDING"),
    )
    return jsonify(order_json(order))


@bp.post("/shops/<shop>/variants/<variant_id>")
@with_shop
def variant(sb: Sandbox, shop: ShopState, variant_id: str) -> Response:
    found = admin.find_variant(shop, {"variant_id": variant_id})
    admin.update_variant(sb, shop, found, body())
    return jsonify({"id": found.gid, "sku": found.sku, "barcode": found.barcode, "price": found.price / 100})


@bp.post("/shops/<shop>/products")
@with_shop
def create_product(sb: Sandbox, shop: ShopState) -> Response:
    product = admin.create_product(sb, shop, body())
    return jsonify(
        {
            "id": product.gid,
            "variants": [{"id": v.gid, "inventory_item_id": v.item_gid, "sku": v.sku} for v in product.variants],
        }
    )


@bp.delete("/shops/<shop>/products/<product_id>")
@with_shop
def delete_product(sb: Sandbox, shop: ShopState, product_id: str) -> Response:
    product = shop.lookup("Product", admin.number(product_id, "Product"))
    if product is None:
        return problem("no such product", 404)
    admin.delete_product(sb, shop, product)
    return jsonify({"deleted": product.gid})


@bp.post("/shops/<shop>/customers", defaults={"customer_id": None})
@bp.post("/shops/<shop>/customers/<customer_id>")
@with_shop
def customer(sb: Sandbox, shop: ShopState, customer_id: str | None) -> Response:
    existing = None
    if customer_id is not None:
        existing = shop.lookup("Customer", admin.number(customer_id, "Customer"))
        if existing is None:
            return problem("no such customer", 404)
    saved = admin.save_customer(sb, shop, body(), existing)
    return jsonify({"id": saved.gid, "email": saved.email, "phone": saved.phone})


@bp.post("/shops/<shop>/locations", defaults={"location_id": None})
@bp.post("/shops/<shop>/locations/<location_id>")
@with_shop
def location(sb: Sandbox, shop: ShopState, location_id: str | None) -> Response:
    existing = admin.find_location(shop, {"location_id": location_id}) if location_id else None
    saved = admin.save_location(sb, shop, body(), existing)
    return jsonify({"id": saved.gid, "name": saved.name, "active": saved.is_active})


@bp.route("/webhooks", methods=["GET", "POST"])
def webhooks() -> Response:
    """GET: settings and deliveries; POST {paused, duplicate, reorder}: change how deliveries go out."""
    hooks = sandbox().webhooks
    if request.method == "POST":
        data = body()
        hooks.configure(paused=data.get("paused"), duplicate=data.get("duplicate"), reorder=data.get("reorder"))
    return jsonify(
        {
            "settings": {"paused": hooks.paused, "duplicate": hooks.duplicate, "reorder": hooks.reorder},
            "deliveries": hooks.deliveries(),
        }
    )


@bp.post("/webhooks/flush")
def webhooks_flush() -> Response:
    return jsonify({"sent": sandbox().webhooks.flush(str(body().get("order", "fifo")))})


@bp.post("/webhooks/wait")
def webhooks_wait() -> Response:
    return jsonify({"idle": sandbox().webhooks.wait_idle(float(body().get("timeout", 10)))})


@bp.post("/webhooks/trigger")
def webhooks_trigger() -> Response:
    """Send any topic with any payload to the shop's subscribers, e.g. to test a handler's edge cases."""
    sb, data = sandbox(), body()
    if sb.shop(data.get("shop", "")) is None or not data.get("topic"):
        return problem("shop and topic are required")
    payload = data.get("payload") or {}
    return jsonify({"queued": sb.webhooks.emit(data["shop"], data["topic"], lambda: payload)})
