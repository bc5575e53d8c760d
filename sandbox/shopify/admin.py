"""What a merchant does in the Shopify admin (or a customer at checkout), for the demo page and the control API:
set stock, place an online order, edit a variant, add or delete products, customers and locations. Each change
sends the webhooks Shopify would. Callers hold the sandbox lock."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sandbox.shopify import events, order_changes
from sandbox.shopify.models import Customer, Fulfillment, Location, Order, Product, Variant
from sandbox.shopify.orders import CARD_GATEWAY, COD_GATEWAY, create_order, fulfill
from sandbox.shopify.store import ShopState, parse_gid

if TYPE_CHECKING:
    from sandbox.shopify.core import Sandbox


class AdminError(ValueError):
    """A request the merchant could not have made (unknown record, bad number)."""


def number(value: Any, kind: str) -> int:
    """An id given as a GID or a number."""
    parsed = parse_gid(value)
    if parsed is not None:
        if parsed[0] != kind:
            raise AdminError(f"expected a {kind} id, got {value}")
        return parsed[1]
    try:
        return int(value)
    except (TypeError, ValueError):
        raise AdminError(f"not a {kind} id: {value!r}") from None


def minor(value: Any) -> int:
    try:
        return int(Decimal(str(value)) * 100)
    except ArithmeticError:
        raise AdminError(f"not an amount: {value!r}") from None


def find_variant(shop: ShopState, spec: dict[str, Any]) -> Variant:
    variant = None
    if spec.get("variant_id") is not None:
        variant = shop.variant(number(spec["variant_id"], "ProductVariant"))
    elif spec.get("inventory_item_id") is not None:
        variant = shop.item(number(spec["inventory_item_id"], "InventoryItem"))
    elif spec.get("sku"):
        variant = next((v for v in shop.variants if v.sku == spec["sku"] and not v.deleted), None)
    if variant is None:
        raise AdminError(f"no such variant: {spec}")
    return variant


def find_location(shop: ShopState, spec: dict[str, Any]) -> Location:
    location = None
    if spec.get("location_id") is not None:
        location = shop.location(number(spec["location_id"], "Location"))
    elif spec.get("location_name"):
        location = next((loc for loc in shop.live_locations() if loc.name == spec["location_name"]), None)
    if location is None:
        raise AdminError(f"no such location: {spec}")
    return location


def set_stock(
    sb: Sandbox,
    shop: ShopState,
    variant: Variant,
    location: Location,
    *,
    available: int | None = None,
    on_hand: int | None = None,
) -> None:
    """Set a level as a merchant would after a count (stocking the item there first if needed)."""
    now = sb.now()
    connected = not shop.stock.is_active(variant.idx, location.idx)
    shop.stock.active[location.idx][variant.idx] = 1
    if available is not None:
        shop.stock.change(
            variant.idx,
            location.idx,
            "available",
            available - shop.stock.get(variant.idx, location.idx, "available"),
            now,
        )
    if on_hand is not None:
        shop.stock.change(
            variant.idx, location.idx, "on_hand", on_hand - shop.stock.get(variant.idx, location.idx, "on_hand"), now
        )
    variant.updated_at = now
    shop.touch()
    if connected:
        events.level_connected(sb, shop, variant, location)
    events.levels_changed(sb, shop, [(variant, location)])


def place_order(
    sb: Sandbox,
    shop: ShopState,
    lines: list[dict[str, Any]],
    *,
    customer_id: Any = None,
    location: Location | None = None,
    financial_status: str | None = None,
    payment: str | None = None,
    gateway: str | None = None,
) -> Order:
    """An online order. `payment` "cod" (the default: gateway "Cash on Delivery (COD)", pending) or "card" (a card
    gateway, paid); `gateway` and `financial_status` override either."""
    if payment not in (None, "cod", "card"):
        raise AdminError("payment is cod or card")
    if financial_status is None:
        financial_status = "PAID" if payment == "card" else "PENDING"
    if financial_status.upper() not in ("PENDING", "PAID", "AUTHORIZED"):
        raise AdminError("financial_status is pending, paid or authorized")
    if gateway is None and payment is not None:
        gateway = CARD_GATEWAY if payment == "card" else COD_GATEWAY
    if not lines:
        raise AdminError("an order needs at least one line")
    items = [(find_variant(shop, line), int(line.get("quantity", 1))) for line in lines]
    if any(q <= 0 for _, q in items):
        raise AdminError("quantities must be positive")
    customer = None
    if customer_id not in (None, ""):
        customer = shop.lookup("Customer", number(customer_id, "Customer"))
        if customer is None:
            raise AdminError(f"no such customer: {customer_id}")
    order, pairs = create_order(
        shop,
        items,
        now=sb.now(),
        customer=customer,
        location=location,
        financial_status=financial_status.upper(),
        gateway=gateway,
    )
    events.order_created(sb, shop, order, pairs)
    if customer is not None:
        events.customer_changed(sb, shop, customer)
    return order


def update_variant(sb: Sandbox, shop: ShopState, variant: Variant, changes: dict[str, Any]) -> Variant:
    now = sb.now()
    if "price" in changes:
        variant.price = minor(changes["price"])
    if "compare_at_price" in changes:
        variant.compare_at = None if changes["compare_at_price"] in (None, "") else minor(changes["compare_at_price"])
    for key in ("sku", "barcode", "title"):
        if key in changes:
            setattr(variant, key, None if key == "barcode" and not changes[key] else changes[key])
    if "tracked" in changes:
        variant.tracked = bool(changes["tracked"])
        variant.item_updated_at = now
        events.item_changed(sb, shop, variant)
    variant.updated_at = variant.product.updated_at = now
    shop.touch()
    events.product_changed(sb, shop, variant.product)
    return variant


def create_product(sb: Sandbox, shop: ShopState, spec: dict[str, Any]) -> Product:
    now = sb.now()
    variants = spec.get("variants") or [{}]
    title = spec.get("title") or "New product"
    product = shop.remember(
        Product(
            id=shop.next_id("Product"),
            title=title,
            handle=title.lower().replace(" ", "-"),
            vendor=spec.get("vendor", "Zari Studio"),
            product_type=spec.get("product_type", "Kurta"),
            status=spec.get("status", "ACTIVE").upper(),
            tags=tuple(spec.get("tags", ())),
            options=[("Title", [v.get("title") or "Default Title" for v in variants])],
            description=f"<p>{title}</p>",
            created_at=now,
            updated_at=now,
            published_at=now,
        )
    )
    shop.products.append(product)
    for i, v in enumerate(variants):
        variant = shop.add_variant(
            product,
            title=v.get("title") or "Default Title",
            sku=v.get("sku"),
            barcode=v.get("barcode"),
            price=minor(v.get("price", "1000")),
            compare_at=None,
            options=(v.get("title") or "Default Title",),
            position=i + 1,
            created_at=now,
            updated_at=now,
            tracked=bool(v.get("tracked", True)),
            requires_shipping=True,
            unit_cost=None,
            item_updated_at=now,
        )
        events.item_changed(sb, shop, variant, "inventory_items/create")
        for loc in shop.live_locations():
            if loc.is_active:
                shop.stock.active[loc.idx][variant.idx] = 1
                events.level_connected(sb, shop, variant, loc)
    events.product_changed(sb, shop, product, "products/create")
    return product


def delete_product(sb: Sandbox, shop: ShopState, product: Product) -> None:
    product.deleted = True
    for variant in product.variants:
        variant.deleted = True
        events.item_changed(sb, shop, variant, "inventory_items/delete")
    shop.touch()
    events.product_changed(sb, shop, product, "products/delete")


def save_customer(sb: Sandbox, shop: ShopState, spec: dict[str, Any], customer: Customer | None = None) -> Customer:
    now = sb.now()
    created = customer is None
    if customer is None:
        customer = Customer(
            id=shop.next_id("Customer"),
            first_name=None,
            last_name=None,
            email=None,
            phone=None,
            address1=None,
            city=None,
            province=None,
            province_code=None,
            zip=None,
            tags=(),
            note=None,
            created_at=now,
            updated_at=now,
        )
        shop.customers.append(shop.remember(customer))
    for key in ("first_name", "last_name", "email", "phone", "address1", "city", "zip", "note"):
        if key in spec:
            setattr(customer, key, spec[key] or None)
    customer.updated_at = now
    shop.touch()
    events.customer_changed(sb, shop, customer, "customers/create" if created else "customers/update")
    return customer


def save_location(sb: Sandbox, shop: ShopState, spec: dict[str, Any], location: Location | None = None) -> Location:
    now = sb.now()
    created = location is None
    if location is None:
        location = shop.add_location(
            name=spec.get("name") or "New location",
            address1=spec.get("address1", ""),
            city=spec.get("city", "Lahore"),
            province=spec.get("province", "Punjab"),
            province_code=spec.get("province_code", "PB"),
            zip=spec.get("zip", ""),
            phone=None,
            is_active=True,
            fulfills_online_orders=False,
            created_at=now,
            updated_at=now,
        )
    for key in ("name", "address1", "city", "zip", "is_active", "fulfills_online_orders"):
        if key in spec:
            setattr(location, key, spec[key])
    location.updated_at = now
    shop.touch()
    events.location_changed(sb, shop, location, "locations/create" if created else "locations/update")
    return location


def find_order(shop: ShopState, order_id: Any) -> Order:
    order = shop.lookup("Order", number(order_id, "Order"))
    if order is None:
        raise AdminError(f"no such order: {order_id}")
    return order


def _refused(call: Any) -> Any:
    try:
        return call()
    except order_changes.Refused as exc:
        raise AdminError(exc.message) from None


def fulfil_order(sb: Sandbox, shop: ShopState, order: Order, spec: dict[str, Any]) -> Fulfillment:
    """ "Fulfill items" in the admin: every open fulfillment order at one location (the first, or `location_id`),
    all that remains on it or the `lines` given ({line_item_id or sku, quantity}), with optional tracking."""
    open_fos = [fo for fo in order.fulfillment_orders if fo.status in ("OPEN", "IN_PROGRESS")]
    if order.cancelled_at is not None or not open_fos:
        held = any(fo.status == "ON_HOLD" for fo in order.fulfillment_orders)
        raise AdminError("the order's fulfillment orders are on hold" if held else "nothing left to fulfil")
    location = (
        find_location(shop, spec) if spec.get("location_id") or spec.get("location_name") else open_fos[0].location
    )
    fos = [fo for fo in open_fos if fo.location is location]
    if not fos:
        raise AdminError(f"no open fulfillment order at {location.name}")
    wanted = {}
    for line in spec.get("lines") or []:
        li = next(
            (
                li
                for li in order.line_items
                if li.gid == line.get("line_item_id") or (line.get("sku") and li.sku == line["sku"])
            ),
            None,
        )
        if li is None:
            raise AdminError(f"no such line item: {line}")
        wanted[li.id] = int(line.get("quantity", 1))
    requests = []
    for fo in fos:
        items = []
        for foli in fo.line_items:
            quantity = (
                foli.remaining_quantity
                if not wanted
                else min(wanted.get(foli.line_item.id, 0), foli.remaining_quantity)
            )
            if quantity > 0:
                items.append((foli, quantity))
                if wanted:
                    wanted[foli.line_item.id] -= quantity
        if items:
            requests.append((fo, items))
    if not requests or any(v > 0 for v in wanted.values()):
        raise AdminError("those quantities are not open at that location")
    tracking = []
    if spec.get("tracking_number") or spec.get("tracking_company"):
        tracking = [
            {
                "company": spec.get("tracking_company"),
                "number": spec.get("tracking_number"),
                "url": spec.get("tracking_url"),
            }
        ]
    fulfillment, pairs = fulfill(shop, requests, tracking=tracking, now=sb.now())
    events.order_fulfilled(sb, shop, fulfillment, pairs)
    return fulfillment


def cancel_order(sb: Sandbox, shop: ShopState, order: Order, spec: dict[str, Any]) -> None:
    """ "Cancel order" in the admin (restock and refund by default, as the admin's dialog offers)."""
    done = _refused(
        lambda: order_changes.cancel(
            shop,
            order,
            restock=bool(spec.get("restock", True)),
            refund=bool(spec.get("refund", True)),
            reason=str(spec.get("reason", "CUSTOMER")).upper(),
            now=sb.now(),
        )
    )
    events.order_cancelled(sb, shop, order, done)


def move_fulfillment_order(sb: Sandbox, shop: ShopState, order: Order, spec: dict[str, Any]) -> None:
    """ "Change location" on a fulfillment order in the admin."""
    fo = shop.lookup("FulfillmentOrder", number(spec.get("fulfillment_order_id"), "FulfillmentOrder"))
    if fo is None or fo.order is not order:
        raise AdminError("no such fulfillment order on this order")
    moved = _refused(lambda: order_changes.move(shop, fo, find_location(shop, spec), None, sb.now()))
    events.fulfillment_order_moved(sb, shop, moved)


def mark_paid(sb: Sandbox, shop: ShopState, order: Order) -> None:
    """ "Mark as paid": a COD parcel delivered and its cash collected."""
    _refused(lambda: order_changes.mark_paid(order, sb.now()))
    shop.touch()
    events.order_paid(sb, shop, order)


def refuse_parcel(sb: Sandbox, shop: ShopState, order: Order, spec: dict[str, Any]) -> None:
    """A shipped parcel refused at the door and back at `location_id`: a refund of every shipped unit still not
    refunded (or `lines`), restocked there (restockType RETURN), refunding what was paid."""
    location = find_location(shop, spec)
    lines = []
    for li in order.line_items:
        left = li.fulfilled - li.refunded_fulfilled
        if left > 0:
            lines.append({"lineItemId": li.gid, "quantity": left, "restockType": "RETURN", "locationId": location.gid})
    if spec.get("restock") is False:
        lines = [{**line, "restockType": "NO_RESTOCK", "locationId": None} for line in lines]
    refundable = order.paid - order.refunded_amount()
    transactions = (
        [{"amount": f"{refundable / 100:.2f}", "gateway": order.gateway, "kind": "REFUND", "orderId": order.gid}]
        if refundable > 0
        else []
    )
    record, pairs = _refused(
        lambda: order_changes.refund(
            shop,
            order,
            {"refundLineItems": lines, "transactions": transactions, "note": spec.get("note", "Parcel refused")},
            lambda value: shop.lookup_gid(value, "Location"),
            sb.now(),
        )
    )
    events.refund_created(sb, shop, record, pairs)
