"""inventoryAdjustQuantities, inventorySetQuantities, inventoryMoveQuantities with 2026-04+ rules:
`changeFromQuantity` present on every change (a number = compare-and-swap, null = none) and `@idempotent`."""

from __future__ import annotations

import re
from typing import Any

from graphql import GraphQLError, GraphQLResolveInfo

from sandbox.shopify import events
from sandbox.shopify.idempotency import REQUIRED_FROM, idempotent
from sandbox.shopify.models import AdjustmentGroup, InventoryChange, Location, Variant
from sandbox.shopify.registry import Ctx, resolves
from sandbox.shopify.resolvers.common import user_error

REASONS = frozenset(
    (
        "correction",
        "cycle_count_available",
        "damaged",
        "movement_created",
        "movement_updated",
        "movement_received",
        "movement_canceled",
        "other",
        "promotion",
        "quality_control",
        "received",
        "reservation_created",
        "reservation_deleted",
        "reservation_updated",
        "restock",
        "safety_stock",
        "shrinkage",
    )
)
STATE_NAMES = ("available", "damaged", "quality_control", "reserved", "safety_stock", "incoming")
URI_RE = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:\S+$")
MAX_INPUT = 250
LIMIT = 1_000_000_000


def check_size(items: list[Any], path: str) -> None:
    if len(items) > MAX_INPUT:
        raise GraphQLError(
            f"The input array size of {len(items)} is greater than the maximum allowed of {MAX_INPUT}.",
            extensions={"code": "MAX_INPUT_SIZE_EXCEEDED", "path": path},
        )


def check_change_from(ctx: Ctx, items: list[dict[str, Any]], path: str) -> None:
    """From 2026-04 `changeFromQuantity` must be given explicitly (null allowed); graphql cannot say so."""
    if not ctx.at_least(REQUIRED_FROM):
        return
    for i, item in enumerate(items):
        if "changeFromQuantity" not in item:
            raise GraphQLError(
                f"{path}.{i}.changeFromQuantity is required from API version {REQUIRED_FROM}: pass the quantity you "
                "expect (compare-and-swap) or null to skip the check.",
                extensions={"code": "MISSING_REQUIRED_INPUT_FIELD", "field": f"{path}.{i}.changeFromQuantity"},
            )


def common_errors(input_: dict[str, Any]) -> list[dict[str, Any]]:
    errors = []
    if input_["reason"] not in REASONS:
        errors.append(user_error("The specified reason is invalid.", ["input", "reason"], "INVALID_REASON"))
    ref = input_.get("referenceDocumentUri")
    if ref is not None and not URI_RE.match(ref):
        errors.append(
            user_error(
                "The specified reference document is invalid.",
                ["input", "referenceDocumentUri"],
                "INVALID_REFERENCE_DOCUMENT",
            )
        )
    return errors


def target(
    ctx: Ctx, item_gid: str, location_gid: str, path: list[str], errors: list[dict[str, Any]]
) -> tuple[Variant, Location] | None:
    """The variant and location a change names, or a Shopify user error for why not."""
    variant = ctx.shop.lookup_gid(item_gid, "InventoryItem")
    location = ctx.shop.lookup_gid(location_gid, "Location")
    if variant is None:
        errors.append(
            user_error(
                "The specified inventory item could not be found.", [*path, "inventoryItemId"], "INVALID_INVENTORY_ITEM"
            )
        )
    elif not variant.tracked:
        errors.append(
            user_error(
                "The inventory item is not tracked, so its quantities can't be changed. Turn on tracking first.",
                [*path, "inventoryItemId"],
                "INVALID_INVENTORY_ITEM",
            )
        )
    if location is None or not location.is_active:
        errors.append(
            user_error("The specified location could not be found.", [*path, "locationId"], "INVALID_LOCATION")
        )
    if errors or variant is None or location is None:
        return None
    if not ctx.shop.stock.is_active(variant.idx, location.idx):
        errors.append(
            user_error(
                "The specified inventory item is not stocked at the location.",
                [*path, "locationId"],
                "ITEM_NOT_STOCKED_AT_LOCATION",
            )
        )
        return None
    return variant, location


def check_cas(
    ctx: Ctx,
    change_from: int | None,
    variant: Variant,
    location: Location,
    name: str,
    path: list[str],
    errors: list[dict[str, Any]],
) -> None:
    if change_from is not None and change_from != ctx.shop.stock.get(variant.idx, location.idx, name):
        errors.append(
            user_error(
                "The changeFromQuantity argument no longer matches the persisted quantity.",
                [*path, "changeFromQuantity"],
                "CHANGE_FROM_QUANTITY_STALE",
            )
        )


def check_ledger(name: str, uri: str | None, path: list[str], errors: list[dict[str, Any]]) -> None:
    if name == "available" and uri is not None:
        errors.append(
            user_error(
                "A ledger document URI is not allowed when adjusting available.",
                [*path, "ledgerDocumentUri"],
                "INVALID_AVAILABLE_DOCUMENT",
            )
        )
    elif name != "available" and uri is None:
        errors.append(
            user_error(
                "A ledger document URI is required except when adjusting available.",
                [*path, "ledgerDocumentUri"],
                "INVALID_QUANTITY_DOCUMENT",
            )
        )
    elif uri is not None and uri.startswith("gid://shopify/"):
        errors.append(
            user_error(
                "Internal (gid://shopify/) ledger documents are not allowed to be adjusted via API.",
                [*path, "ledgerDocumentUri"],
                "INTERNAL_LEDGER_DOCUMENT",
            )
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
