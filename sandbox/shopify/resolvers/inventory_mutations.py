"""inventoryAdjustQuantities, inventorySetQuantities, inventoryMoveQuantities with 2026-04+ rules:
`changeFromQuantity` present on every change (a number = compare-and-swap, null = none) and `@idempotent`."""

from __future__ import annotations

from typing import Any

from graphql import GraphQLResolveInfo

from sandbox.shopify import events
from sandbox.shopify.idempotency import idempotent
from sandbox.shopify.models import AdjustmentGroup, InventoryChange, Location, Variant
from sandbox.shopify.registry import Ctx, resolves
from sandbox.shopify.resolvers.common import user_error
from sandbox.shopify.resolvers.inventory_rules import (
    LIMIT,
    STATE_NAMES,
    check_cas,
    check_change_from,
    check_ledger,
    check_size,
    common_errors,
    target,
)


def apply(
    ctx: Ctx, moves: list[tuple[Variant, Location, str, int, str | None]], input_: dict[str, Any], moving: bool = False
) -> AdjustmentGroup:
    """Apply (variant, location, name, delta, ledger) moves; record each named change and (unless `moving` between
    states, which leaves on_hand alone) its on_hand or available effect."""
    shop, now = ctx.shop, ctx.now()
    changes: list[InventoryChange] = []
    for variant, location, name, delta, ledger in moves:
        on_hand_before = shop.stock.get(variant.idx, location.idx, "on_hand")
        shop.stock.change(variant.idx, location.idx, name, delta, now)
        changes.append(
            InventoryChange(name, delta, shop.stock.get(variant.idx, location.idx, name), variant, location, ledger)
        )
        on_hand_delta = shop.stock.get(variant.idx, location.idx, "on_hand") - on_hand_before
        if not moving and name != "on_hand" and on_hand_delta:
            changes.append(InventoryChange("on_hand", on_hand_delta, on_hand_before + on_hand_delta, variant, location))
        if name == "on_hand":
            changes.append(
                InventoryChange(
                    "available", delta, shop.stock.get(variant.idx, location.idx, "available"), variant, location
                )
            )
        variant.updated_at = now
    group = AdjustmentGroup(
        shop.next_id("InventoryAdjustmentGroup"),
        now,
        input_["reason"],
        input_.get("referenceDocumentUri"),
        changes,
        ctx.client_id,
    )
    shop.touch()
    events.levels_changed(ctx.sandbox, shop, [(v, loc) for v, loc, *_ in moves])
    return group


@resolves("Mutation", "inventoryAdjustQuantities")
@idempotent(required=True)
def adjust_quantities(_: Any, info: GraphQLResolveInfo, input: dict[str, Any]) -> dict[str, Any]:
    ctx: Ctx = info.context
    ctx.require("inventoryAdjustQuantities", "write_inventory")
    check_size(input["changes"], "input.changes")
    check_change_from(ctx, input["changes"], "input.changes")
    errors = common_errors(input)
    name = input["name"]
    if name not in STATE_NAMES:
        errors.append(user_error("The specified quantity name is invalid.", ["input", "name"], "INVALID_QUANTITY_NAME"))
        return {"inventoryAdjustmentGroup": None, "userErrors": errors}
    moves = []
    for i, change in enumerate(input["changes"]):
        path = ["input", "changes", str(i)]
        check_ledger(name, change.get("ledgerDocumentUri"), path, errors)
        found = target(ctx, change["inventoryItemId"], change["locationId"], path, errors)
        if found is None:
            continue
        check_cas(ctx, change.get("changeFromQuantity"), *found, name, path, errors)
        after = ctx.shop.stock.get(found[0].idx, found[1].idx, name) + change["delta"]
        if abs(after) > 2 * LIMIT:
            code = "INVALID_QUANTITY_TOO_HIGH" if after > 0 else "INVALID_QUANTITY_TOO_LOW"
            errors.append(user_error("The quantity is out of range.", [*path, "delta"], code))
        moves.append((*found, name, change["delta"], change.get("ledgerDocumentUri")))
    if errors:
        return {"inventoryAdjustmentGroup": None, "userErrors": errors}
    return {"inventoryAdjustmentGroup": apply(ctx, moves, input), "userErrors": []}


@resolves("Mutation", "inventorySetQuantities")
@idempotent(required=True)
def set_quantities(_: Any, info: GraphQLResolveInfo, input: dict[str, Any]) -> dict[str, Any]:
    ctx: Ctx = info.context
    ctx.require("inventorySetQuantities", "write_inventory")
    check_size(input["quantities"], "input.quantities")
    check_change_from(ctx, input["quantities"], "input.quantities")
    errors = common_errors(input)
    name = input["name"]
    if name not in ("available", "on_hand"):
        errors.append(
            user_error("The quantity name must be either 'available' or 'on_hand'.", ["input", "name"], "INVALID_NAME")
        )
        return {"inventoryAdjustmentGroup": None, "userErrors": errors}
    moves, seen = [], set()
    for i, q in enumerate(input["quantities"]):
        path = ["input", "quantities", str(i)]
        if (q["inventoryItemId"], q["locationId"]) in seen:
            errors.append(
                user_error(
                    "The combination of inventoryItemId and locationId must be unique.",
                    path,
                    "NO_DUPLICATE_INVENTORY_ITEM_ID_GROUP_ID_PAIR",
                )
            )
        seen.add((q["inventoryItemId"], q["locationId"]))
        if q["quantity"] < 0:
            errors.append(
                user_error("The quantity can't be negative.", [*path, "quantity"], "INVALID_QUANTITY_NEGATIVE")
            )
        elif q["quantity"] > LIMIT:
            errors.append(
                user_error(
                    "The total quantity can't be higher than 1,000,000,000.",
                    [*path, "quantity"],
                    "INVALID_QUANTITY_TOO_HIGH",
                )
            )
        found = target(ctx, q["inventoryItemId"], q["locationId"], path, errors)
        if found is None:
            continue
        check_cas(ctx, q.get("changeFromQuantity"), *found, name, path, errors)
        current = ctx.shop.stock.get(found[0].idx, found[1].idx, name)
        moves.append((*found, name, q["quantity"] - current, None))
    if errors:
        return {"inventoryAdjustmentGroup": None, "userErrors": errors}
    return {"inventoryAdjustmentGroup": apply(ctx, moves, input), "userErrors": []}


@resolves("Mutation", "inventoryMoveQuantities")
@idempotent(required=True)
def move_quantities(_: Any, info: GraphQLResolveInfo, input: dict[str, Any]) -> dict[str, Any]:
    ctx: Ctx = info.context
    ctx.require("inventoryMoveQuantities", "write_inventory")
    check_size(input["changes"], "input.changes")
    check_change_from(ctx, [c["from"] for c in input["changes"]], "input.changes.from")
    check_change_from(ctx, [c["to"] for c in input["changes"]], "input.changes.to")
    errors = common_errors(input)
    moves = []
    for i, change in enumerate(input["changes"]):
        path = ["input", "changes", str(i)]
        src, dst = change["from"], change["to"]
        if src["locationId"] != dst["locationId"]:
            errors.append(
                user_error("The quantities can't be moved between different locations.", path, "DIFFERENT_LOCATIONS")
            )
            continue
        if src["name"] == dst["name"]:
            errors.append(
                user_error("The quantity names for each change can't be the same.", path, "SAME_QUANTITY_NAME")
            )
            continue
        for end, terminal in (("from", src), ("to", dst)):
            if terminal["name"] not in STATE_NAMES:
                errors.append(
                    user_error("The specified quantity name is invalid.", [*path, end, "name"], "INVALID_QUANTITY_NAME")
                )
            check_ledger(terminal["name"], terminal.get("ledgerDocumentUri"), [*path, end], errors)
        if change["quantity"] < 0:
            errors.append(
                user_error("The quantity can't be negative.", [*path, "quantity"], "INVALID_QUANTITY_NEGATIVE")
            )
        found = target(ctx, change["inventoryItemId"], src["locationId"], path, errors)
        if found is None or errors:
            continue
        check_cas(ctx, src.get("changeFromQuantity"), *found, src["name"], [*path, "from"], errors)
        check_cas(ctx, dst.get("changeFromQuantity"), *found, dst["name"], [*path, "to"], errors)
        moves.append((*found, src["name"], -change["quantity"], src.get("ledgerDocumentUri")))
        moves.append((*found, dst["name"], change["quantity"], dst.get("ledgerDocumentUri")))
    if errors:
        return {"inventoryAdjustmentGroup": None, "userErrors": errors}
    return {"inventoryAdjustmentGroup": apply(ctx, moves, input, moving=True), "userErrors": []}
