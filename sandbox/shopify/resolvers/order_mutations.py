"""What happens to an order after it is placed: fulfillmentOrderMove, fulfillmentOrderHold / ReleaseHold,
orderCancel (an asynchronous job), refundCreate with restock, orderMarkAsPaid; and the `job` query."""

from __future__ import annotations

from typing import Any

from graphql import GraphQLResolveInfo

from sandbox.shopify import events, order_changes
from sandbox.shopify.idempotency import idempotent, uncoded
from sandbox.shopify.models import gid
from sandbox.shopify.order_changes import Refused
from sandbox.shopify.registry import Ctx, fields, resolves
from sandbox.shopify.resolvers.common import user_error
from sandbox.shopify.resolvers.fulfillment import WRITE_SCOPES


def _error(refused: Refused, coded: bool = True) -> dict[str, Any]:
    return user_error(refused.message, refused.field, refused.code if coded else None)


def _fo(ctx: Ctx, value: str) -> Any:
    return ctx.shop.lookup_gid(value, "FulfillmentOrder")


@resolves("Mutation", "fulfillmentOrderMove")
@idempotent(required=False, shape=uncoded())
def fulfillment_order_move(
    _: Any,
    info: GraphQLResolveInfo,
    id: str,
    newLocationId: str,
    fulfillmentOrderLineItems: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    ctx: Ctx = info.context
    ctx.require(
        "fulfillmentOrderMove", "write_merchant_managed_fulfillment_orders", "write_third_party_fulfillment_orders"
    )
    empty = {"movedFulfillmentOrder": None, "originalFulfillmentOrder": None, "remainingFulfillmentOrder": None}
    fo = _fo(ctx, id)
    if fo is None:
        return {**empty, "userErrors": [user_error("Fulfillment order does not exist.", ["id"])]}
    try:
        moved = order_changes.move(
            ctx.shop, fo, ctx.shop.lookup_gid(newLocationId, "Location"), fulfillmentOrderLineItems, ctx.now()
        )
    except Refused as refused:
        # The move error code enum knows only CANNOT_MOVE_FULFILLMENT_ORDER_WITH_REPORTED_PROGRESS.
        return {**empty, "userErrors": [_error(refused, coded=False)]}
    events.fulfillment_order_moved(ctx.sandbox, ctx.shop, moved)
    return {
        "movedFulfillmentOrder": moved.moved,
        "originalFulfillmentOrder": moved.original,
        "remainingFulfillmentOrder": None,
        "userErrors": [],
    }


@resolves("Mutation", "fulfillmentOrderHold")
@idempotent(required=False, shape=uncoded())
def fulfillment_order_hold(
    _: Any, info: GraphQLResolveInfo, id: str, fulfillmentHold: dict[str, Any]
) -> dict[str, Any]:
    ctx: Ctx = info.context
    ctx.require("fulfillmentOrderHold", *WRITE_SCOPES)
    empty = {"fulfillmentHold": None, "fulfillmentOrder": None, "remainingFulfillmentOrder": None}
    fo = _fo(ctx, id)
    if fo is None:
        return {
            **empty,
            "userErrors": [user_error("Fulfillment order does not exist.", ["id"], "FULFILLMENT_ORDER_NOT_FOUND")],
        }
    try:
        held, hold, remaining = order_changes.hold(ctx.shop, fo, fulfillmentHold, ctx.client_id, ctx.now())
    except Refused as refused:
        return {**empty, "userErrors": [_error(refused)]}
    events.fulfillment_order_held(ctx.sandbox, ctx.shop, held, hold, remaining)
    return {"fulfillmentHold": hold, "fulfillmentOrder": held, "remainingFulfillmentOrder": remaining, "userErrors": []}


@resolves("Mutation", "fulfillmentOrderReleaseHold")
@idempotent(required=False, shape=uncoded())
def fulfillment_order_release_hold(
    _: Any, info: GraphQLResolveInfo, id: str, holdIds: list[str] | None = None, externalId: str | None = None
) -> dict[str, Any]:
    ctx: Ctx = info.context
    ctx.require("fulfillmentOrderReleaseHold", *WRITE_SCOPES)
    fo = _fo(ctx, id)
    if fo is None:
        return {
            "fulfillmentOrder": None,
            "userErrors": [user_error("Fulfillment order does not exist.", ["id"], "FULFILLMENT_ORDER_NOT_FOUND")],
        }
    try:
        order_changes.release_hold(ctx.shop, fo, holdIds, ctx.client_id, ctx.now())
    except Refused as refused:
        code = refused.code if refused.code in ("FULFILLMENT_ORDER_NOT_FOUND", "INVALID_ACCESS") else None
        return {"fulfillmentOrder": None, "userErrors": [user_error(refused.message, refused.field, code)]}
    if fo.status != "ON_HOLD":
        events.fulfillment_order_released(ctx.sandbox, ctx.shop, fo)
    return {"fulfillmentOrder": fo, "userErrors": []}


@resolves("Mutation", "orderCancel")
@idempotent(required=False, shape=uncoded("orderCancelUserErrors"))
def order_cancel(
    _: Any,
    info: GraphQLResolveInfo,
    orderId: str,
    reason: str,
    restock: bool,
    refund: bool | None = None,
    refundMethod: dict[str, Any] | None = None,
    notifyCustomer: bool | None = None,
    staffNote: str | None = None,
) -> dict[str, Any]:
    ctx: Ctx = info.context
    ctx.require("orderCancel", "write_orders")
    order = ctx.shop.lookup_gid(orderId, "Order")
    if order is None:
        error = user_error("Order does not exist.", ["orderId"], "NOT_FOUND")
        return {
            "job": None,
            "orderCancelUserErrors": [error],
            "userErrors": [user_error(error["message"], ["orderId"])],
        }
    if refund is not None and refundMethod is not None:
        error = user_error("Use either refund or refundMethod, not both.", ["refundMethod"], "INVALID")
        return {
            "job": None,
            "orderCancelUserErrors": [error],
            "userErrors": [user_error(error["message"], error["field"])],
        }
    if refundMethod and refundMethod.get("storeCreditRefund") is not None:
        error = user_error("The sandbox does not model store credit refunds.", ["refundMethod"], "INVALID")
        return {
            "job": None,
            "orderCancelUserErrors": [error],
            "userErrors": [user_error(error["message"], error["field"])],
        }
    if staffNote is not None and len(staffNote) > 255:
        error = user_error("Staff note is too long (maximum is 255 characters).", ["staffNote"], "INVALID")
        return {
            "job": None,
            "orderCancelUserErrors": [error],
            "userErrors": [user_error(error["message"], error["field"])],
        }
    wants_refund = bool(refund) or bool(refundMethod and refundMethod.get("originalPaymentMethodsRefund"))
    try:
        done = order_changes.cancel(ctx.shop, order, restock=restock, refund=wants_refund, reason=reason, now=ctx.now())
    except Refused as refused:
        return {
            "job": None,
            "orderCancelUserErrors": [_error(refused)],
            "userErrors": [user_error(refused.message, refused.field)],
        }
    events.order_cancelled(ctx.sandbox, ctx.shop, order, done)
    job_id = ctx.shop.next_id("Job")
    ctx.shop.cache.setdefault("jobs", set()).add(job_id)
    # Asynchronous in Shopify: the first answer says not done; `job(id:)` answers done (the sandbox has applied it).
    return {
        "job": {"id": gid("Job", job_id), "done": False, "query": None},
        "orderCancelUserErrors": [],
        "userErrors": [],
    }


@resolves("QueryRoot", "job")
def resolve_job(_: Any, info: GraphQLResolveInfo, id: str) -> dict[str, Any] | None:
    ctx: Ctx = info.context
    parsed = id.rsplit("/", 1)
    known = ctx.shop.cache.get("jobs", set())
    if not id.startswith("gid://shopify/Job/") or not parsed[-1].isdigit() or int(parsed[-1]) not in known:
        return None
    return {"id": id, "done": True, "query": {}}


@resolves("Mutation", "refundCreate")
@idempotent(required=True, shape=uncoded())
def refund_create(_: Any, info: GraphQLResolveInfo, input: dict[str, Any]) -> dict[str, Any]:
    ctx: Ctx = info.context
    ctx.require("refundCreate", "write_orders")
    order = ctx.shop.lookup_gid(input["orderId"], "Order")
    if order is None:
        return {"order": None, "refund": None, "userErrors": [user_error("Order does not exist.", ["orderId"])]}
    try:
        record, pairs = order_changes.refund(
            ctx.shop, order, input, lambda value: ctx.shop.lookup_gid(value, "Location"), ctx.now()
        )
    except Refused as refused:
        return {"order": None, "refund": None, "userErrors": [user_error(refused.message, refused.field)]}
    events.refund_created(ctx.sandbox, ctx.shop, record, pairs)
    return {"order": order, "refund": record, "userErrors": []}


@resolves("Mutation", "orderMarkAsPaid")
def order_mark_as_paid(_: Any, info: GraphQLResolveInfo, input: dict[str, Any]) -> dict[str, Any]:
    ctx: Ctx = info.context
    ctx.require("orderMarkAsPaid", "write_orders")
    order = ctx.shop.lookup_gid(input["id"], "Order")
    if order is None:
        return {"order": None, "userErrors": [user_error("Order does not exist.", ["input", "id"])]}
    try:
        order_changes.mark_paid(order, ctx.now())
    except Refused as refused:
        return {"order": None, "userErrors": [user_error(refused.message, refused.field)]}
    ctx.shop.touch()
    events.order_paid(ctx.sandbox, ctx.shop, order)
    return {"order": order, "userErrors": []}


fields("Job", {"id": lambda j: j["id"], "done": lambda j: j["done"], "query": lambda j: j.get("query")})
