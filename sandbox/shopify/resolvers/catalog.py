"""Products and variants: root queries with search and sort keys, and their fields."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from graphql import GraphQLResolveInfo

from sandbox.shopify.models import ItemView, Product, Variant, gid, iso
from sandbox.shopify.registry import Ctx, connection, fields, resolves, sorted_items
from sandbox.shopify.resolvers.common import money_v2, price
from sandbox.shopify.search import Listing, predicate

PRODUCT_SEARCH: dict[str, Callable[[Product], Any]] = {
    "_text": lambda p: f"{p.title} {p.vendor} {p.product_type}",
    "id": lambda p: p.id,
    "title": lambda p: p.title,
    "handle": lambda p: p.handle,
    "status": lambda p: p.status,
    "vendor": lambda p: p.vendor,
    "product_type": lambda p: p.product_type,
    "tag": lambda p: p.tags,
    "sku": lambda p: tuple(v.sku for v in p.live_variants() if v.sku),
    "barcode": lambda p: tuple(v.barcode for v in p.live_variants() if v.barcode),
    "created_at": lambda p: p.created_at,
    "updated_at": lambda p: p.updated_at,
    "published_at": lambda p: p.published_at,
}
VARIANT_SEARCH: dict[str, Callable[[Variant], Any]] = {
    "_text": lambda v: f"{v.product.title} {v.title} {v.sku or ''} {v.barcode or ''}",
    "id": lambda v: v.id,
    "sku": lambda v: v.sku,
    "barcode": lambda v: v.barcode,
    "title": lambda v: v.title,
    "product_id": lambda v: v.product.id,
    "inventory_item_id": lambda v: v.item_id,
    "product_status": lambda v: v.product.status,
    "status": lambda v: v.product.status,
    "vendor": lambda v: v.product.vendor,
    "product_type": lambda v: v.product.product_type,
    "tag": lambda v: v.product.tags,
    "created_at": lambda v: v.created_at,
    "updated_at": lambda v: v.updated_at,
}
PRODUCT_SORTS: dict[str, Callable[[Product], Any]] = {
    "TITLE": lambda p: p.title.lower(),
    "UPDATED_AT": lambda p: p.updated_at,
    "CREATED_AT": lambda p: p.created_at,
    "VENDOR": lambda p: p.vendor,
    "PRODUCT_TYPE": lambda p: p.product_type,
    "PUBLISHED_AT": lambda p: p.published_at or 0.0,
}
VARIANT_SORTS: dict[str, Callable[[Variant], Any]] = {
    "SKU": lambda v: v.sku or "",
    "TITLE": lambda v: v.title,
    "POSITION": lambda v: v.position,
    "FULL_TITLE": lambda v: f"{v.product.title} - {v.title}",
    "NAME": lambda v: f"{v.product.title} - {v.title}",
}


def _listing(
    ctx: Ctx,
    kind: str,
    items: list[Any],
    sorts: dict[str, Callable[[Any], Any]],
    search: dict[str, Callable[[Any], Any]],
    args: dict[str, Any],
) -> Listing:
    sort_key = args.get("sortKey") or "ID"
    keep_query = predicate(args.get("query"), search)

    def keep(obj: Any) -> bool:
        return not obj.deleted and (keep_query is None or keep_query(obj))

    if sort_key in sorts:
        ordered = sorted_items(ctx.shop, f"{kind}:{sort_key}", items, sorts[sort_key])
        return Listing(ordered, sorts[sort_key], keep, bool(args.get("reverse")))
    return Listing(items, lambda obj: obj.id, keep, bool(args.get("reverse")))


@connection("QueryRoot", "products")
def list_products(_: Any, ctx: Ctx, args: dict[str, Any]) -> Listing:
    ctx.require("products", "read_products")
    return _listing(ctx, "products", ctx.shop.products, PRODUCT_SORTS, PRODUCT_SEARCH, args)


@connection("QueryRoot", "productVariants")
def list_variants(_: Any, ctx: Ctx, args: dict[str, Any]) -> Listing:
    ctx.require("productVariants", "read_products")
    return _listing(ctx, "variants", ctx.shop.variants, VARIANT_SORTS, VARIANT_SEARCH, args)


@connection("Product", "variants")
def list_product_variants(product: Product, ctx: Ctx, args: dict[str, Any]) -> Listing:
    return Listing(product.variants, lambda v: v.id, lambda v: not v.deleted, bool(args.get("reverse")))


def _count(listing: Listing, limit: int | None) -> dict[str, Any]:
    cap = 10_000 if limit is None else limit
    count = 0
    for _ in listing.walk(None):
        count += 1
        if cap and count > cap:
            return {"count": cap, "precision": "AT_LEAST"}
    return {"count": count, "precision": "EXACT"}


@resolves("QueryRoot", "productsCount")
def count_products(_: Any, info: GraphQLResolveInfo, limit: int | None = None, **args: Any) -> dict[str, Any]:
    return _count(list_products(None, info.context, args), limit)


@resolves("QueryRoot", "productVariantsCount")
def count_variants(_: Any, info: GraphQLResolveInfo, limit: int | None = None, **args: Any) -> dict[str, Any]:
    return _count(list_variants(None, info.context, args), limit)


@resolves("QueryRoot", "product")
def resolve_product(_: Any, info: GraphQLResolveInfo, id: str) -> Product | None:
    info.context.require("product", "read_products")
    return info.context.shop.lookup_gid(id, "Product")


@resolves("QueryRoot", "productVariant")
def resolve_variant(_: Any, info: GraphQLResolveInfo, id: str) -> Variant | None:
    info.context.require("productVariant", "read_products")
    return info.context.shop.lookup_gid(id, "ProductVariant")


def _options(p: Product) -> list[dict[str, Any]]:
    return [
        {
            "id": gid("ProductOption", p.id * 10 + i),
            "name": name,
            "position": i + 1,
            "values": values,
            "optionValues": [
                {"id": gid("ProductOptionValue", p.id * 100 + i * 20 + j), "name": value, "hasVariants": True}
                for j, value in enumerate(values)
            ],
        }
        for i, (name, values) in enumerate(p.options)
    ]


def _price_range(p: Product) -> dict[str, Any]:
    prices = [v.price for v in p.live_variants()] or [0]
    return {"minVariantPrice": money_v2(min(prices)), "maxVariantPrice": money_v2(max(prices))}


def _total_inventory(p: Product, info: GraphQLResolveInfo) -> int:
    stock, locs = info.context.shop.stock, info.context.shop.locations
    return sum(
        stock.get(v.idx, loc.idx, "available")
        for v in p.live_variants()
        if v.tracked
        for loc in locs
        if stock.is_active(v.idx, loc.idx)
    )


fields(
    "Product",
    {
        "id": lambda p: p.gid,
        "legacyResourceId": lambda p: str(p.id),
        "title": lambda p: p.title,
        "handle": lambda p: p.handle,
        "vendor": lambda p: p.vendor,
        "productType": lambda p: p.product_type,
        "status": lambda p: p.status,
        "tags": lambda p: list(p.tags),
        "createdAt": lambda p: iso(p.created_at),
        "updatedAt": lambda p: iso(p.updated_at),
        "publishedAt": lambda p: iso(p.published_at),
        "descriptionHtml": lambda p: p.description,
        "bodyHtml": lambda p: p.description,
        "description": lambda p: p.description.removeprefix("<p>").removesuffix("</p>"),
        "options": _options,
        "priceRangeV2": _price_range,
        "variantsCount": lambda p: {"count": len(p.live_variants()), "precision": "EXACT"},
        "totalVariants": lambda p: len(p.live_variants()),
        "hasOnlyDefaultVariant": lambda p: False,
        "isGiftCard": lambda p: False,
        "tracksInventory": lambda p: any(v.tracked for v in p.live_variants()),
        "onlineStoreUrl": lambda p: None,
        "templateSuffix": lambda p: None,
        "seo": lambda p: {"title": None, "description": None},
    },
)
resolves("Product", "totalInventory")(lambda p, info, **_: _total_inventory(p, info))


def _variant_quantity(v: Variant, info: GraphQLResolveInfo) -> int:
    stock, locs = info.context.shop.stock, info.context.shop.locations
    return sum(stock.get(v.idx, loc.idx, "available") for loc in locs if stock.is_active(v.idx, loc.idx))


fields(
    "ProductVariant",
    {
        "id": lambda v: v.gid,
        "legacyResourceId": lambda v: str(v.id),
        "title": lambda v: v.title,
        "displayName": lambda v: f"{v.product.title} - {v.title}",
        "sku": lambda v: v.sku,
        "barcode": lambda v: v.barcode,
        "price": lambda v: price(v.price),
        "compareAtPrice": lambda v: price(v.compare_at),
        "position": lambda v: v.position,
        "createdAt": lambda v: iso(v.created_at),
        "updatedAt": lambda v: iso(v.updated_at),
        "inventoryPolicy": lambda v: v.inventory_policy,
        "availableForSale": lambda v: v.product.status == "ACTIVE",
        "taxable": lambda v: True,
        "selectedOptions": lambda v: [
            {"name": name, "value": value, "optionValue": {"name": value}}
            for (name, _), value in zip(v.product.options, v.options, strict=False)
        ],
        "product": lambda v: v.product,
        "inventoryItem": ItemView,
        "requiresComponents": lambda v: False,
    },
)
resolves("ProductVariant", "inventoryQuantity", "sellableOnlineQuantity")(
    lambda v, info, **_: _variant_quantity(v, info)
)
