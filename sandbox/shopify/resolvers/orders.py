"""Orders, line items, fulfillment orders and fulfillments (read side)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from graphql import GraphQLResolveInfo

from sandbox.shopify.models import FulfillmentOrder, Order, gid, iso
from sandbox.shopify.registry import Ctx, connection, fields, resolves, sorted_items
from sandbox.shopify.resolvers.common import money_bag
from sandbox.shopify.search import Listing, predicate

FULFILLMENT_ORDER_SCOPES = (
    "read_merchant_managed_fulfillment_orders",
    "read_assigned_fulfillment_orders",
    "read_third_party_fulfillment_orders",
)
SEARCH: dict[str, Callable[[Order], Any]] = {
    "_text": lambda o: f"{o.name} {o.email or ''}",
    "id": lambda o: o.id,
    "name": lambda o: o.name,
    "created_at": lambda o: o.created_at,
    "updated_at": lambda o: o.updated_at,
    "processed_at": lambda o: o.created_at,
    "financial_status": lambda o: o.financial_status,
    "fulfillment_status": lambda o: {
        "UNFULFILLED": "unshipped",
        "PARTIALLY_FULFILLED": "partial",
        "FULFILLED": "shipped",
    }[o.fulfillment_status()],
    "status": lambda o: "cancelled" if o.cancelled_at else "closed" if o.closed_at else "open",
    "source_name": lambda o: o.source_name,
    "email": lambda o: o.email,
    "customer_id": lambda o: o.customer.id if o.customer else None,
}
SORTS: dict[str, Callable[[Order], Any]] = {
    "UPDATED_AT": lambda o: o.updated_at,
    "CREATED_AT": lambda o: o.created_at,
    "PROCESSED_AT": lambda o: o.created_at,
    "ORDER_NUMBER": lambda o: o.number,
    "TOTAL_PRICE": lambda o: o.total(),
    "CURRENT_TOTAL_PRICE": lambda o: o.total(),
}


@connection("QueryRoot", "orders")
def list_orders(_: Any, ctx: Ctx, args: dict[str, Any]) -> Listing:
    ctx.require("orders", "read_orders")
    query = predicate(args.get("query"), SEARCH)
    sort_key = args.get("sortKey") or "ID"
    keep = None if query is None else query
    if sort_key in SORTS:
        ordered = sorted_items(ctx.shop, f"orders:{sort_key}", ctx.shop.orders, SORTS[sort_key])
        return Listing(ordered, SORTS[sort_key], keep, bool(args.get("reverse")))
    return Listing(ctx.shop.orders, lambda o: o.id, keep, bool(args.get("reverse")))


@resolves("QueryRoot", "ordersCount")
def count_orders(_: Any, info: GraphQLResolveInfo, **args: Any) -> dict[str, Any]:
    args.pop("limit", None)
    return {"count": sum(1 for _ in list_orders(None, info.context, args).walk(None)), "precision": "EXACT"}


@resolves("QueryRoot", "order")
def resolve_order(_: Any, info: GraphQLResolveInfo, id: str) -> Order | None:
    info.context.require("order", "read_orders")
    return info.context.shop.lookup_gid(id, "Order")


@resolves("QueryRoot", "fulfillmentOrder")
def resolve_fulfillment_order(_: Any, info: GraphQLResolveInfo, id: str) -> FulfillmentOrder | None:
    info.context.require("fulfillmentOrder", *FULFILLMENT_ORDER_SCOPES)
    return info.context.shop.lookup_gid(id, "FulfillmentOrder")


@connection("Order", "lineItems")
def list_line_items(order: Order, ctx: Ctx, args: dict[str, Any]) -> Listing:
    return Listing(order.line_items, lambda li: li.id, None, bool(args.get("reverse")))


@connection("Order", "fulfillmentOrders")
def list_fulfillment_orders(order: Order, ctx: Ctx, args: dict[str, Any]) -> Listing:
    ctx.require("fulfillmentOrders", *FULFILLMENT_ORDER_SCOPES)
    return Listing(order.fulfillment_orders, lambda fo: fo.id, None, bool(args.get("reverse")))


@connection("FulfillmentOrder", "lineItems")
def list_fo_line_items(fo: FulfillmentOrder, ctx: Ctx, args: dict[str, Any]) -> Listing:
    return Listing(fo.line_items, lambda i: i.id, None, bool(args.get("reverse")))


@connection("Fulfillment", "fulfillmentOrders")
def list_fulfillment_fulfillment_orders(f: Any, ctx: Ctx, args: dict[str, Any]) -> Listing:
    return Listing(f.fulfillment_orders, lambda fo: fo.id, None, bool(args.get("reverse")))


@connection("Customer", "orders")
def list_customer_orders(customer: Any, ctx: Ctx, args: dict[str, Any]) -> Listing:
    ctx.require("orders", "read_orders")
    return Listing(ctx.shop.orders, lambda o: o.id, lambda o: o.customer is customer, bool(args.get("reverse")))


@connection("Fulfillment", "fulfillmentLineItems")
def list_fulfillment_line_items(f: Any, ctx: Ctx, args: dict[str, Any]) -> Listing:
    return Listing(f.line_items, lambda i: i.id, None, bool(args.get("reverse")))


def _financial(o: Order) -> str:
    return "VOIDED" if o.cancelled_at and o.financial_status == "PENDING" else o.financial_status


def _fulfillable(o: Order) -> bool:
    return o.cancelled_at is None and any(
        i.remaining_quantity for fo in o.fulfillment_orders if fo.status != "CLOSED" for i in fo.line_items
    )


fields(
    "Order",
    {
        "id": lambda o: o.gid,
        "legacyResourceId": lambda o: str(o.id),
        "name": lambda o: o.name,
        "number": lambda o: o.number - 1000,
        "createdAt": lambda o: iso(o.created_at),
        "updatedAt": lambda o: iso(o.updated_at),
        "processedAt": lambda o: iso(o.created_at),
        "cancelledAt": lambda o: iso(o.cancelled_at),
        "cancelReason": lambda o: o.cancel_reason,
        "closed": lambda o: o.closed_at is not None,
        "closedAt": lambda o: iso(o.closed_at),
        "confirmed": lambda o: True,
        "test": lambda o: False,
        "sourceName": lambda o: o.source_name,
        "app": lambda o: {"id": "gid://shopify/App/580111", "name": "Online Store"} if o.source_name == "web" else None,
        "retailLocation": lambda o: None,
        "displayFinancialStatus": _financial,
        "displayFulfillmentStatus": lambda o: o.fulfillment_status(),
        "currencyCode": lambda o: "PKR",
        "presentmentCurrencyCode": lambda o: "PKR",
        "email": lambda o: o.email,
        "phone": lambda o: o.phone,
        "customer": lambda o: o.customer,
        "note": lambda o: o.note,
        "tags": lambda o: list(o.tags),
        "taxesIncluded": lambda o: True,
        "fullyPaid": lambda o: o.paid >= o.total(),
        "unpaid": lambda o: o.paid == 0,
        "totalOutstandingSet": lambda o: money_bag(0 if o.cancelled_at else max(0, o.total() - o.paid)),
        "totalReceivedSet": lambda o: money_bag(o.paid),
        "totalRefundedSet": lambda o: money_bag(o.refunded_amount()),
        "netPaymentSet": lambda o: money_bag(o.paid - o.refunded_amount()),
        "refundable": lambda o: o.paid > o.refunded_amount(),
        "paymentGatewayNames": lambda o: [o.gateway],
        "requiresShipping": lambda o: True,
        "fulfillable": _fulfillable,
        "currentTotalPriceSet": lambda o: money_bag(o.total()),
        "totalPriceSet": lambda o: money_bag(o.total()),
        "subtotalPriceSet": lambda o: money_bag(o.total()),
        "currentSubtotalPriceSet": lambda o: money_bag(o.total()),
        "totalTaxSet": lambda o: money_bag(0),
        "totalShippingPriceSet": lambda o: money_bag(0),
        "subtotalLineItemsQuantity": lambda o: sum(li.quantity for li in o.line_items),
        "currentSubtotalLineItemsQuantity": lambda o: sum(li.current_quantity for li in o.line_items),
        "shippingAddress": lambda o: _address(o.shipping_address),
        "billingAddress": lambda o: _address(o.shipping_address),
        "fulfillmentsCount": lambda o: {"count": len(o.fulfillments), "precision": "EXACT"},
    },
)
resolves("Order", "fulfillments")(lambda o, info, first=None, **_: o.fulfillments[: first or None])
resolves("Order", "refunds")(lambda o, info, first=None, **_: o.refunds[: first or None])


def _address(address: dict[str, Any] | None) -> dict[str, Any] | None:
    if not address:
        return None
    return {
        "address1": address["address1"],
        "city": address["city"],
        "province": address["province"],
        "provinceCode": address["province_code"],
        "zip": address["zip"],
        "country": "Pakistan",
        "countryCodeV2": "PK",
        "firstName": address["first_name"],
        "lastName": address["last_name"],
        "phone": address["phone"],
    }


fields(
    "LineItem",
    {
        "id": lambda li: li.gid,
        "name": lambda li: f"{li.title} - {li.variant_title}" if li.variant_title else li.title,
        "title": lambda li: li.title,
        "variantTitle": lambda li: li.variant_title,
        "sku": lambda li: li.sku,
        "vendor": lambda li: li.vendor,
        "quantity": lambda li: li.quantity,
        "currentQuantity": lambda li: li.current_quantity,
        "unfulfilledQuantity": lambda li: (
            0 if li.order.cancelled_at else li.quantity - li.fulfilled - li.refunded_unfulfilled
        ),
        "variant": lambda li: li.variant,
        "product": lambda li: li.variant.product if li.variant else None,
        "requiresShipping": lambda li: li.requires_shipping,
        "originalUnitPriceSet": lambda li: money_bag(li.price),
        "discountedUnitPriceSet": lambda li: money_bag(li.price),
        "originalTotalSet": lambda li: money_bag(li.price * li.quantity),
        "taxable": lambda li: True,
        "refundableQuantity": lambda li: li.current_quantity,
        "restockable": lambda li: li.variant is not None and li.variant.tracked,
    },
)


SUPPORTED_ACTIONS = {
    "OPEN": ("CREATE_FULFILLMENT", "REPORT_PROGRESS", "MOVE", "HOLD", "SPLIT"),
    "IN_PROGRESS": ("CREATE_FULFILLMENT", "MOVE", "HOLD", "SPLIT"),
    "ON_HOLD": ("RELEASE_HOLD", "HOLD"),
}


def _supported_actions(fo: FulfillmentOrder) -> list[dict[str, Any]]:
    """What a merchant-managed fulfillment order allows in its state (CANCEL_FULFILLMENT_ORDER and the request
    actions belong to fulfillment-service fulfillment orders, which the sandbox does not have)."""
    if fo.order.cancelled_at is not None:
        return []
    actions = list(SUPPORTED_ACTIONS.get(fo.status, ()))
    if fo.status == "OPEN" and any(
        other is not fo and other.status == "OPEN" and other.location is fo.location
        for other in fo.order.fulfillment_orders
    ):
        actions.append("MERGE")
    return [{"action": a} for a in actions]


fields(
    "FulfillmentOrder",
    {
        "id": lambda fo: fo.gid,
        "status": lambda fo: fo.status,
        "requestStatus": lambda fo: "UNSUBMITTED",
        "createdAt": lambda fo: iso(fo.created_at),
        "updatedAt": lambda fo: iso(fo.updated_at),
        "fulfillAt": lambda fo: iso(fo.created_at),
        "order": lambda fo: fo.order,
        "orderId": lambda fo: fo.order.gid,
        "orderName": lambda fo: fo.order.name,
        "orderProcessedAt": lambda fo: iso(fo.order.created_at),
        "supportedActions": _supported_actions,
        "fulfillmentHolds": lambda fo: list(fo.holds),
        "assignedLocation": lambda fo: {
            "name": fo.location.name,
            "location": fo.location,
            "address1": fo.location.address1,
            "city": fo.location.city,
            "countryCode": "PK",
            "province": fo.location.province,
            "zip": fo.location.zip,
            "phone": fo.location.phone,
        },
        "deliveryMethod": lambda fo: {"id": gid("DeliveryMethod", fo.id), "methodType": "SHIPPING"},
        "destination": lambda fo: None,
    },
)
HOLD_REASONS = {
    "AWAITING_PAYMENT": "Awaiting payment",
    "AWAITING_RETURN_ITEMS": "Awaiting return items",
    "HIGH_RISK_OF_FRAUD": "High risk of fraud",
    "INCORRECT_ADDRESS": "Incorrect address",
    "INVENTORY_OUT_OF_STOCK": "Inventory out of stock",
    "ONLINE_STORE_POST_PURCHASE_CROSS_SELL": "Post purchase cross sell",
    "OTHER": "Other",
    "UNKNOWN_DELIVERY_DATE": "Unknown delivery date",
}
resolves("FulfillmentHold", "heldByRequestingApp")(lambda h, info, **_: h.client_id == info.context.client_id)
fields(
    "FulfillmentHold",
    {
        "id": lambda h: h.gid,
        "reason": lambda h: h.reason,
        "reasonNotes": lambda h: h.reason_notes,
        "handle": lambda h: h.handle,
        "displayReason": lambda h: HOLD_REASONS.get(h.reason, h.reason.title()),
        "heldByApp": lambda h: None,
    },
)
fields(
    "Refund",
    {
        "id": lambda r: r.gid,
        "legacyResourceId": lambda r: str(r.id),
        "createdAt": lambda r: iso(r.created_at),
        "updatedAt": lambda r: iso(r.created_at),
        "processedAt": lambda r: iso(r.created_at),
        "note": lambda r: r.note,
        "order": lambda r: r.order,
        "totalRefundedSet": lambda r: money_bag(sum(t["amount"] for t in r.transactions)),
    },
)
fields(
    "RefundLineItem",
    {
        "id": lambda i: i.gid,
        "lineItem": lambda i: i.line_item,
        "quantity": lambda i: i.quantity,
        "restockType": lambda i: i.restock_type,
        "restocked": lambda i: i.restock_type in ("RETURN", "CANCEL"),
        "location": lambda i: i.location,
        "priceSet": lambda i: money_bag(i.line_item.price),
        "subtotalSet": lambda i: money_bag(i.line_item.price * i.quantity),
        "totalTaxSet": lambda i: money_bag(0),
    },
)


@connection("Refund", "refundLineItems")
def list_refund_line_items(r: Any, ctx: Ctx, args: dict[str, Any]) -> Listing:
    return Listing(r.line_items, lambda i: i.id, None, bool(args.get("reverse")))


fields(
    "FulfillmentOrderLineItem",
    {
        "id": lambda i: i.gid,
        "totalQuantity": lambda i: i.total_quantity,
        "remainingQuantity": lambda i: i.remaining_quantity,
        "lineItem": lambda i: i.line_item,
        "sku": lambda i: i.line_item.sku,
        "variant": lambda i: i.line_item.variant,
        "variantTitle": lambda i: i.line_item.variant_title,
        "productTitle": lambda i: i.line_item.title,
        "vendor": lambda i: i.line_item.vendor,
        "requiresShipping": lambda i: i.line_item.requires_shipping,
        "inventoryItemId": lambda i: i.line_item.variant.item_gid if i.line_item.variant else None,
        "warnings": lambda i: [],
    },
)
fields(
    "Fulfillment",
    {
        "id": lambda f: f.gid,
        "legacyResourceId": lambda f: str(f.id),
        "name": lambda f: f.name,
        "status": lambda f: f.status,
        "createdAt": lambda f: iso(f.created_at),
        "updatedAt": lambda f: iso(f.updated_at),
        "order": lambda f: f.order,
        "location": lambda f: f.location,
        "requiresShipping": lambda f: True,
        "totalQuantity": lambda f: sum(i.quantity for i in f.line_items),
        "displayStatus": lambda f: "FULFILLED",
    },
)
resolves("Fulfillment", "trackingInfo")(lambda f, info, first=None, **_: f.tracking[: first or None])
fields(
    "FulfillmentLineItem",
    {
        "id": lambda i: gid("FulfillmentLineItem", i.id),
        "quantity": lambda i: i.quantity,
        "lineItem": lambda i: i.line_item,
        "originalTotalSet": lambda i: money_bag(i.line_item.price * i.quantity),
        "discountedTotalSet": lambda i: money_bag(i.line_item.price * i.quantity),
    },
)
