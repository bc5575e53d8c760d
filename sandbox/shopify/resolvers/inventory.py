"""Locations, inventory items and levels (`quantities(names:)`), adjustment groups: the read side of inventory."""

from __future__ import annotations

from typing import Any, NamedTuple

from graphql import GraphQLResolveInfo

from sandbox.shopify.models import AdjustmentGroup, ItemView, LevelView, Location, iso
from sandbox.shopify.registry import Ctx, connection, fields, resolves
from sandbox.shopify.resolvers.common import location_address, money_v2
from sandbox.shopify.search import Listing, predicate
from sandbox.shopify.store import QUANTITY_NAMES


@connection("QueryRoot", "locations")
def list_locations(_: Any, ctx: Ctx, args: dict[str, Any]) -> Listing:
    ctx.require("locations", "read_locations")
    query = predicate(
        args.get("query"),
        {
            "_text": lambda loc: loc.name,
            "name": lambda loc: loc.name,
            "id": lambda loc: loc.id,
            "active": lambda loc: loc.is_active,
        },
    )
    inactive = bool(args.get("includeInactive"))

    def keep(loc: Location) -> bool:
        return not loc.deleted and (inactive or loc.is_active) and (query is None or query(loc))

    return Listing(ctx.shop.locations, lambda loc: loc.id, keep, bool(args.get("reverse")))


@resolves("QueryRoot", "locationsCount")
def count_locations(_: Any, info: GraphQLResolveInfo, **args: Any) -> dict[str, Any]:
    listing = list_locations(None, info.context, {**args, "includeInactive": True})
    return {"count": sum(1 for _ in listing.walk(None)), "precision": "EXACT"}


@resolves("QueryRoot", "location")
def resolve_location(_: Any, info: GraphQLResolveInfo, id: str | None = None) -> Location | None:
    info.context.require("location", "read_locations")
    if id is None:
        return next((loc for loc in info.context.shop.locations if loc.is_active), None)
    return info.context.shop.lookup_gid(id, "Location")


@resolves("QueryRoot", "inventoryItem")
def resolve_item(_: Any, info: GraphQLResolveInfo, id: str) -> ItemView | None:
    info.context.require("inventoryItem", "read_inventory", "read_products")
    variant = info.context.shop.lookup_gid(id, "InventoryItem")
    return ItemView(variant) if variant else None


@connection("QueryRoot", "inventoryItems")
def list_items(_: Any, ctx: Ctx, args: dict[str, Any]) -> Listing:
    ctx.require("inventoryItems", "read_inventory", "read_products")
    query = predicate(
        args.get("query"),
        {"sku": lambda v: v.sku, "id": lambda v: v.item_id, "updated_at": lambda v: v.item_updated_at},
    )
    return Listing(
        ctx.shop.variants,
        lambda v: v.id,
        lambda v: not v.deleted and (query is None or query(v)),
        bool(args.get("reverse")),
        ItemView,
    )


@connection("InventoryItem", "inventoryLevels")
def list_item_levels(item: ItemView, ctx: Ctx, args: dict[str, Any]) -> Listing:
    shop, v = ctx.shop, item.variant
    return Listing(
        shop.locations,
        lambda loc: loc.id,
        lambda loc: not loc.deleted and shop.stock.is_active(v.idx, loc.idx),
        bool(args.get("reverse")),
        lambda loc: shop.level(v, loc),
    )


@connection("Location", "inventoryLevels")
def list_location_levels(location: Location, ctx: Ctx, args: dict[str, Any]) -> Listing:
    shop, active = ctx.shop, ctx.shop.stock.active[location.idx]
    return Listing(
        shop.variants,
        lambda v: v.id,
        lambda v: active[v.idx] and not v.deleted,
        bool(args.get("reverse")),
        lambda v: shop.level(v, location),
    )


@resolves("InventoryItem", "inventoryLevel")
def resolve_item_level(item: ItemView, info: GraphQLResolveInfo, locationId: str, **_: Any) -> LevelView | None:
    shop = info.context.shop
    loc = shop.lookup_gid(locationId, "Location")
    if loc is None or not shop.stock.is_active(item.variant.idx, loc.idx):
        return None
    return shop.level(item.variant, loc)


@resolves("Location", "inventoryLevel")
def resolve_location_level(loc: Location, info: GraphQLResolveInfo, inventoryItemId: str, **_: Any) -> Any:
    shop = info.context.shop
    variant = shop.lookup_gid(inventoryItemId, "InventoryItem")
    if variant is None or not shop.stock.is_active(variant.idx, loc.idx):
        return None
    return shop.level(variant, loc)


fields(
    "InventoryItem",
    {
        "id": lambda i: i.variant.item_gid,
        "legacyResourceId": lambda i: str(i.variant.item_id),
        "sku": lambda i: i.variant.sku,
        "tracked": lambda i: i.variant.tracked,
        "requiresShipping": lambda i: i.variant.requires_shipping,
        "createdAt": lambda i: iso(i.variant.created_at),
        "updatedAt": lambda i: iso(i.variant.item_updated_at),
        "unitCost": lambda i: money_v2(i.variant.unit_cost),
        "countryCodeOfOrigin": lambda i: "PK",
        "harmonizedSystemCode": lambda i: None,
        "variant": lambda i: i.variant,
        "inventoryHistoryUrl": lambda i: None,
        "trackedEditable": lambda i: {"locked": False, "reason": None},
        "measurement": lambda i: {
            "id": f"gid://shopify/InventoryItemMeasurement/{i.variant.item_id}",
            "weight": {"unit": "GRAMS", "value": float(i.variant.grams)},
        },
    },
)


@resolves("InventoryItem", "duplicateSkuCount")
def duplicate_skus(item: ItemView, info: GraphQLResolveInfo) -> int:
    sku = item.variant.sku
    if not sku:
        return 0
    return sum(1 for v in info.context.shop.variants if v.sku == sku and not v.deleted) - 1


@resolves("InventoryItem", "locationsCount")
def item_locations(item: ItemView, info: GraphQLResolveInfo) -> dict[str, Any]:
    shop = info.context.shop
    return {
        "count": sum(1 for loc in shop.locations if shop.stock.is_active(item.variant.idx, loc.idx)),
        "precision": "EXACT",
    }


fields(
    "Location",
    {
        "id": lambda loc: loc.gid,
        "legacyResourceId": lambda loc: str(loc.id),
        "name": lambda loc: loc.name,
        "isActive": lambda loc: loc.is_active,
        "fulfillsOnlineOrders": lambda loc: loc.fulfills_online_orders,
        "hasActiveInventory": lambda loc: loc.is_active,
        "shipsInventory": lambda loc: loc.fulfills_online_orders,
        "isFulfillmentService": lambda loc: False,
        "isPrimary": lambda loc: loc.idx == 0,
        "activatable": lambda loc: not loc.is_active,
        "deactivatable": lambda loc: loc.is_active,
        "deletable": lambda loc: not loc.is_active,
        "addressVerified": lambda loc: True,
        "deactivatedAt": lambda loc: None if loc.is_active else iso(loc.updated_at),
        "createdAt": lambda loc: iso(loc.created_at),
        "updatedAt": lambda loc: iso(loc.updated_at),
        "hasUnfulfilledOrders": lambda loc: False,
        "address": location_address,
    },
)


class Quantity(NamedTuple):
    """One named quantity of a level; its id and time are only worked out when asked for."""

    name: str
    quantity: int
    level: LevelView
    stamp: float


@resolves("InventoryLevel", "quantities")
def level_quantities(level: LevelView, info: GraphQLResolveInfo, names: list[str]) -> list[Quantity]:
    stock, v, loc = info.context.shop.stock, level.variant.idx, level.location.idx
    stamp = stock.updated_at[loc][v] or level.variant.item_updated_at
    return [Quantity(name, stock.get(v, loc, name), level, stamp) for name in names if name in QUANTITY_NAMES]


fields(
    "InventoryQuantity",
    {
        "id": lambda q: f"{q.level.gid}&name={q.name}".replace("InventoryLevel", "InventoryQuantity"),
        "name": lambda q: q.name,
        "quantity": lambda q: q.quantity,
        "updatedAt": lambda q: iso(q.stamp),
    },
)


fields(
    "InventoryLevel",
    {
        "id": lambda lv: lv.gid,
        "item": lambda lv: ItemView(lv.variant),
        "location": lambda lv: lv.location,
        "isActive": lambda lv: True,
        "canDeactivate": lambda lv: True,
        "deactivationAlert": lambda lv: None,
        "createdAt": lambda lv: iso(lv.variant.created_at),
    },
)


@resolves("InventoryLevel", "updatedAt")
def level_updated(level: LevelView, info: GraphQLResolveInfo) -> str | None:
    stamp = info.context.shop.stock.updated_at[level.location.idx][level.variant.idx]
    return iso(stamp or level.variant.item_updated_at)


fields(
    "InventoryAdjustmentGroup",
    {
        "id": lambda g: g.gid,
        "createdAt": lambda g: iso(g.created_at),
        "reason": lambda g: g.reason,
        "referenceDocumentUri": lambda g: g.reference_document_uri,
        "app": lambda g: None,
        "staffMember": lambda g: None,
    },
)


@resolves("InventoryAdjustmentGroup", "changes")
def group_changes(
    group: AdjustmentGroup,
    info: GraphQLResolveInfo,
    quantityNames: list[str] | None = None,
    inventoryItemIds: list[str] | None = None,
    locationIds: list[str] | None = None,
) -> list[Any]:
    return [
        c
        for c in group.changes
        if (quantityNames is None or c.name in quantityNames)
        and (inventoryItemIds is None or c.variant.item_gid in inventoryItemIds)
        and (locationIds is None or c.location.gid in locationIds)
    ]


fields(
    "InventoryChange",
    {
        "name": lambda c: c.name,
        "delta": lambda c: c.delta,
        "quantityAfterChange": lambda c: c.quantity_after,
        "item": lambda c: ItemView(c.variant),
        "location": lambda c: c.location,
        "ledgerDocumentUri": lambda c: c.ledger_document_uri,
    },
)
