"""inventoryActivate / inventoryDeactivate (stocking an item at a location) and inventoryItemUpdate (tracking)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from graphql import GraphQLResolveInfo

from sandbox.shopify import events
from sandbox.shopify.models import ItemView, LevelView
from sandbox.shopify.registry import Ctx, resolves
from sandbox.shopify.resolvers.common import user_error


@resolves("Mutation", "inventoryActivate")
def activate(
    _: Any,
    info: GraphQLResolveInfo,
    inventoryItemId: str,
    locationId: str,
    available: int | None = None,
    onHand: int | None = None,
    **_args: Any,
) -> dict[str, Any]:
    ctx: Ctx = info.context
    ctx.require("inventoryActivate", "write_inventory")
    shop = ctx.shop
    variant = shop.lookup_gid(inventoryItemId, "InventoryItem")
    location = shop.lookup_gid(locationId, "Location")
    errors = []
    if variant is None:
        errors.append(user_error("Inventory item does not exist", ["inventoryItemId"]))
    if location is None:
        errors.append(user_error("Location does not exist", ["locationId"]))
    elif not location.is_active:
        errors.append(user_error("Location is not active", ["locationId"]))
    if errors:
        return {"inventoryLevel": None, "userErrors": errors}
    if shop.stock.is_active(variant.idx, location.idx):
        return {"inventoryLevel": shop.level(variant, location), "userErrors": []}
    now = ctx.now()
    shop.stock.active[location.idx][variant.idx] = 1
    shop.stock.updated_at[location.idx][variant.idx] = now
    quantity = onHand if onHand is not None else available
    if quantity is not None and variant.tracked:
        shop.stock.change(variant.idx, location.idx, "on_hand", quantity, now)
    shop.touch()
    events.level_connected(ctx.sandbox, shop, variant, location)
    if quantity:
        events.levels_changed(ctx.sandbox, shop, [(variant, location)])
    return {"inventoryLevel": shop.level(variant, location), "userErrors": []}


@resolves("Mutation", "inventoryDeactivate")
def deactivate(_: Any, info: GraphQLResolveInfo, inventoryLevelId: str) -> dict[str, Any]:
    ctx: Ctx = info.context
    ctx.require("inventoryDeactivate", "write_inventory")
    level = ctx.shop.lookup_gid(inventoryLevelId, "InventoryLevel")
    if not isinstance(level, LevelView) or not ctx.shop.stock.is_active(level.variant.idx, level.location.idx):
        return {"userErrors": [user_error("Inventory level does not exist", ["inventoryLevelId"])]}
    stock, v, loc = ctx.shop.stock, level.variant.idx, level.location.idx
    if stock.get(v, loc, "committed"):
        return {
            "userErrors": [
                user_error(
                    "The item has committed inventory at this location and can't be unstocked.", ["inventoryLevelId"]
                )
            ]
        }
    stock.active[loc][v] = 0
    stock.change(v, loc, "on_hand", -stock.get(v, loc, "on_hand"), ctx.now())
    ctx.shop.touch()
    events.level_disconnected(ctx.sandbox, ctx.shop, level.variant, level.location)
    return {"userErrors": []}


@resolves("Mutation", "inventoryItemUpdate")
def update_item(_: Any, info: GraphQLResolveInfo, id: str, input: dict[str, Any]) -> dict[str, Any]:
    ctx: Ctx = info.context
    ctx.require("inventoryItemUpdate", "write_inventory", "write_products")
    variant = ctx.shop.lookup_gid(id, "InventoryItem")
    if variant is None:
        return {"inventoryItem": None, "userErrors": [user_error("Inventory item does not exist", ["id"])]}
    if "cost" in input:
        try:
            variant.unit_cost = None if input["cost"] is None else int(Decimal(str(input["cost"])) * 100)
        except InvalidOperation:
            return {"inventoryItem": None, "userErrors": [user_error("Cost is invalid", ["input", "cost"])]}
    for key, attr in (("tracked", "tracked"), ("sku", "sku"), ("requiresShipping", "requires_shipping")):
        if key in input and input[key] is not None:
            setattr(variant, attr, input[key])
    variant.item_updated_at = variant.updated_at = ctx.now()
    ctx.shop.touch()
    events.item_changed(ctx.sandbox, ctx.shop, variant)
    return {"inventoryItem": ItemView(variant), "userErrors": []}
