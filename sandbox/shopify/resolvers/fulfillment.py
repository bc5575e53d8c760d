"""fulfillmentCreate: ship fulfillment-order line items from their assigned location."""

from __future__ import annotations

from typing import Any

from graphql import GraphQLResolveInfo

from sandbox.shopify import events
from sandbox.shopify.idempotency import idempotent
from sandbox.shopify.models import FulfillmentOrder, FulfillmentOrderLineItem
from sandbox.shopify.orders import fulfill
from sandbox.shopify.registry import Ctx, resolves
from sandbox.shopify.resolvers.common import user_error

WRITE_SCOPES = (
    "write_merchant_managed_fulfillment_orders",
    "write_assigned_fulfillment_orders",
    "write_third_party_fulfillment_orders",
)
Request = tuple[FulfillmentOrder, list[tuple[FulfillmentOrderLineItem, int]]]


def _requests(ctx: Ctx, groups: list[dict[str, Any]], errors: list[dict[str, Any]]) -> list[Request]:
    requests: list[Request] = []
    for i, group in enumerate(groups):
        path = ["fulfillment", "lineItemsByFulfillmentOrder", str(i)]
        fo = ctx.shop.lookup_gid(group["fulfillmentOrderId"], "FulfillmentOrder")
        if fo is None:
            errors.append(user_error("Fulfillment order does not exist.", [*path, "fulfillmentOrderId"]))
            continue
        if fo.status not in ("OPEN", "IN_PROGRESS"):
            errors.append(
                user_error(
                    f"Fulfillment order {fo.gid} has an unfulfillable status= {fo.status.lower()}.",
                    [*path, "fulfillmentOrderId"],
                )
            )
            continue
        wanted = group.get("fulfillmentOrderLineItems")
        if wanted is None:
            items = [(foli, foli.remaining_quantity) for foli in fo.line_items if foli.remaining_quantity > 0]
        else:
            by_gid = {foli.gid: foli for foli in fo.line_items}
            items = []
            for j, item in enumerate(wanted):
                foli = by_gid.get(item["id"])
                if foli is None:
                    errors.append(
                        user_error(
                            "Fulfillment order line item does not exist.",
                            [*path, "fulfillmentOrderLineItems", str(j), "id"],
                        )
                    )
                elif not 0 < item["quantity"] <= foli.remaining_quantity:
                    errors.append(
                        user_error(
                            "Invalid fulfillment order line item quantity requested.",
                            [*path, "fulfillmentOrderLineItems", str(j), "quantity"],
                        )
                    )
                else:
                    items.append((foli, item["quantity"]))
        if items:
            requests.append((fo, items))
    return requests


def _tracking(info: dict[str, Any] | None) -> list[dict[str, Any]]:
    if not info:
        return []
    numbers = info.get("numbers") or ([info["number"]] if info.get("number") else [])
    urls = info.get("urls") or ([info["url"]] if info.get("url") else [])
    count = max(len(numbers), len(urls), 1 if info.get("company") else 0)
    return [
        {
            "company": info.get("company"),
            "number": numbers[i] if i < len(numbers) else None,
            "url": urls[i] if i < len(urls) else None,
        }
        for i in range(count)
    ]


@resolves("Mutation", "fulfillmentCreate")
@idempotent(required=False)
def fulfillment_create(
    _: Any, info: GraphQLResolveInfo, fulfillment: dict[str, Any], message: str | None = None
) -> dict[str, Any]:
    ctx: Ctx = info.context
    ctx.require("fulfillmentCreate", *WRITE_SCOPES)
    errors: list[dict[str, Any]] = []
    requests = _requests(ctx, fulfillment["lineItemsByFulfillmentOrder"], errors)
    if not errors and not requests:
        errors.append(
            user_error(
                "No fulfillment order line items left to fulfill.", ["fulfillment", "lineItemsByFulfillmentOrder"]
            )
        )
    if not errors and len({fo.order.id for fo, _ in requests}) > 1:
        errors.append(
            user_error(
                "All fulfillment orders must belong to the same order.", ["fulfillment", "lineItemsByFulfillmentOrder"]
            )
        )
    if not errors and len({fo.location.id for fo, _ in requests}) > 1:
        errors.append(
            user_error(
                "All fulfillment orders must be assigned to the same location.",
                ["fulfillment", "lineItemsByFulfillmentOrder"],
            )
        )
    if errors:
        return {"fulfillment": None, "userErrors": errors}
    created, pairs = fulfill(ctx.shop, requests, tracking=_tracking(fulfillment.get("trackingInfo")), now=ctx.now())
    events.order_fulfilled(ctx.sandbox, ctx.shop, created, pairs)
    return {"fulfillment": created, "userErrors": []}
