"""Catalog import: Shopify locations, products, variants and customers into our tables, in batches.

Input is Shopify's own shapes (GraphQL nodes, or bulk-operation JSONL lines), already parsed. Every function is
idempotent: running an import twice changes nothing the second time.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import insert, select, text, update
from sqlalchemy.orm import Session, lazyload

from ismartsync.models import Customer, Product, ShopifyLocation, Variant
from ismartsync.models.base import utcnow
from ismartsync.models.catalog import search_text
from ismartsync.money import to_minor
from ismartsync.shopify.times import parse_shopify_time

BATCH_SIZE = 1000
# Rows seen after which PostgreSQL's statistics are refreshed during a big import (then every 25 batches).
STATISTICS_AT = (BATCH_SIZE, 5 * BATCH_SIZE)
INTERNAL_BARCODE_PREFIX = "29"  # EAN-13 "in-store" range: never clashes with a manufacturer's code


@dataclass
class ImportCounts:
    created: int = 0
    updated: int = 0
    seen: int = 0
    # (inventory item gid, location gid) → on_hand, for opening stock at mapped locations.
    on_hand: dict[tuple[str, str], int] = field(default_factory=dict)
    # Only levels at these locations are kept (None: all); a big shop has several levels per variant.
    locations: set[str] | None = None
    # Variant gids seen, when a full import needs to know which ones Shopify no longer has.
    seen_ids: set[str] | None = None


def ean13_check_digit(first12: str) -> str:
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(first12))
    return str((10 - total % 10) % 10)


def internal_barcode(variant_id: int) -> str:
    body = f"{INTERNAL_BARCODE_PREFIX}{variant_id:010d}"
    return body + ean13_check_digit(body)


def kind_of(line: dict[str, Any]) -> str:
    """`ProductVariant`, `InventoryLevel`, `Customer`… from a node's gid."""
    gid = str(line.get("id", ""))
    return gid.split("/")[3] if gid.startswith("gid://shopify/") else ""


# Locations


def upsert_locations(session: Session, merchant_id: int, nodes: Iterable[dict[str, Any]]) -> int:
    existing = {
        loc.shopify_id: loc
        for loc in session.scalars(select(ShopifyLocation).where(ShopifyLocation.merchant_id == merchant_id))
    }
    changed = 0
    for node in nodes:
        address = node.get("address") or {}
        values = {
            "name": node.get("name") or "Location",
            "address": ", ".join(str(address[k]) for k in ("address1", "city") if address.get(k)),
            "active": bool(node.get("isActive", True)),
            "fulfills_online_orders": bool(node.get("fulfillsOnlineOrders", False)),
        }
        location = existing.get(node["id"])
        if location is None:
            session.add(ShopifyLocation(merchant_id=merchant_id, shopify_id=node["id"], **values))
            changed += 1
        elif _apply_changes(location, values):
            location.synced_at = utcnow()
            changed += 1
    session.flush()
    return changed


# Products and variants


def _product_values(product: dict[str, Any]) -> dict[str, Any]:
    return {
        "title": (product.get("title") or "")[:255],
        "handle": (product.get("handle") or "")[:255],
        "vendor": (product.get("vendor") or "")[:255],
        "product_type": (product.get("productType") or "")[:255],
        "status": product.get("status") or "ACTIVE",
        "shopify_updated_at": parse_shopify_time(product.get("updatedAt")),
    }


def _variant_values(node: dict[str, Any]) -> dict[str, Any]:
    item = node.get("inventoryItem") or {}
    compare_at = node.get("compareAtPrice")
    return {
        "inventory_item_id": item.get("id"),
        "title": (node.get("title") or "")[:255],
        "position": int(node.get("position") or 0),
        "sku": (node.get("sku") or "").strip()[:255],
        "barcode": (node.get("barcode") or "").strip()[:255],
        "options": [{"name": o.get("name"), "value": o.get("value")} for o in node.get("selectedOptions") or []],
        "price_minor": to_minor(node.get("price") or "0"),
        "compare_at_price_minor": to_minor(compare_at) if compare_at else None,
        "tracked": bool(item.get("tracked", True)),
        "shopify_updated_at": parse_shopify_time(node.get("updatedAt")),
        "deleted_at": None,
    }


def _apply_changes(row: Any, values: dict[str, Any]) -> bool:
    """Set the values that differ; False (and nothing written) when the row already matches."""
    changed = {k: v for k, v in values.items() if getattr(row, k) != v}
    for k, v in changed.items():
        setattr(row, k, v)
    return bool(changed)


def _upsert_products(session: Session, merchant_id: int, products: dict[str, dict[str, Any]]) -> dict[str, int]:
    """Product gid → our id, creating or updating as needed."""
    rows = session.scalars(select(Product).where(Product.merchant_id == merchant_id, Product.shopify_id.in_(products)))
    ids: dict[str, int] = {}
    for row in rows:
        ids[row.shopify_id] = row.id
        if _apply_changes(row, _product_values(products[row.shopify_id])):
            row.synced_at = utcnow()
    new = [
        {"merchant_id": merchant_id, "shopify_id": gid, "synced_at": utcnow(), **_product_values(p)}
        for gid, p in products.items()
        if gid not in ids
    ]
    if new:
        created = session.execute(insert(Product).returning(Product.shopify_id, Product.id), new)
        ids.update({gid: pid for gid, pid in created})
    return ids


def upsert_variant_batch(session: Session, merchant_id: int, nodes: list[dict[str, Any]], counts: ImportCounts) -> None:
    """Create or update one batch of variants (with their products); untouched rows are not written.

    New rows go in with one multi-row INSERT … RETURNING, so a 100k-variant first import stays within a minute.
    """
    products = {n["product"]["id"]: n["product"] for n in nodes if n.get("product")}
    product_ids = _upsert_products(session, merchant_id, products)
    by_gid = {n["id"]: n for n in nodes}
    existing = {
        v.shopify_id: v
        for v in session.scalars(
            select(Variant)
            .where(Variant.merchant_id == merchant_id, Variant.shopify_id.in_(by_gid))
            .options(lazyload(Variant.product))
        )
    }
    new: list[dict[str, Any]] = []
    for gid, node in by_gid.items():
        values = _variant_values(node)
        values["product_id"] = product_ids[node["product"]["id"]]
        values["search_text"] = search_text(
            node["product"].get("title") or "", values["title"], values["sku"], values["barcode"]
        )
        row = existing.get(gid)
        if row is None:
            new.append({"merchant_id": merchant_id, "shopify_id": gid, **values})
        elif _apply_changes(row, values):
            counts.updated += 1
    if new:
        # A plain executemany (pipelined by psycopg), then one query for the new rows that need our barcode.
        session.execute(insert(Variant.__table__), new)
        unlabelled = session.scalars(
            select(Variant.id).where(
                Variant.merchant_id == merchant_id,
                Variant.shopify_id.in_([row["shopify_id"] for row in new if not row["barcode"]]),
            )
        ).all()
        if unlabelled:
            session.execute(
                update(Variant), [{"id": vid, "internal_barcode": internal_barcode(vid)} for vid in unlabelled]
            )
    session.flush()
    counts.created += len(new)
    counts.seen += len(by_gid)
    if counts.seen_ids is not None:
        counts.seen_ids.update(by_gid)


def collect_levels(node: dict[str, Any], counts: ImportCounts) -> None:
    """Remember on_hand per (item, location) from an InventoryLevel node (bulk line or nested)."""
    item = (node.get("item") or {}).get("id")
    location = (node.get("location") or {}).get("id")
    if not item or not location or (counts.locations is not None and location not in counts.locations):
        return
    for quantity in node.get("quantities") or []:
        if quantity.get("name") == "on_hand":
            counts.on_hand[(item, location)] = int(quantity.get("quantity") or 0)


def refresh_statistics(session: Session, *tables: str) -> None:
    """PostgreSQL plans from table statistics; during a first import they say "empty" until refreshed, and the
    look-ups of existing rows then scan whole tables. ANALYZE samples a few thousand rows: well under a second."""
    if session.get_bind().dialect.name == "postgresql":
        for table in tables:
            session.execute(text(f"ANALYZE {table}"))


def import_variant_lines(
    session: Session, merchant_id: int, lines: Iterable[dict[str, Any]], counts: ImportCounts
) -> Iterator[int]:
    """Consume variant and inventory-level lines in batches; yields the running count for progress."""
    batch: list[dict[str, Any]] = []
    for line in lines:
        kind = kind_of(line)
        if kind == "ProductVariant":
            for level in ((line.get("inventoryItem") or {}).get("inventoryLevels") or {}).get("nodes") or []:
                collect_levels(level, counts)
            batch.append(line)
            if len(batch) >= BATCH_SIZE:
                upsert_variant_batch(session, merchant_id, batch, counts)
                batch = []
                if counts.seen in STATISTICS_AT or counts.seen % (25 * BATCH_SIZE) == 0:
                    refresh_statistics(session, "products", "variants")
                yield counts.seen
        elif kind == "InventoryLevel":
            collect_levels(line, counts)
    if batch:
        upsert_variant_batch(session, merchant_id, batch, counts)
    yield counts.seen


def mark_missing_variants_deleted(session: Session, merchant_id: int, seen_gids: set[str]) -> int:
    """After a full import: variants Shopify no longer has are kept (history) but marked deleted."""
    stale = [
        vid
        for vid, gid in session.execute(
            select(Variant.id, Variant.shopify_id).where(
                Variant.merchant_id == merchant_id, Variant.deleted_at.is_(None)
            )
        )
        if gid not in seen_gids
    ]
    if stale:
        session.execute(update(Variant).where(Variant.id.in_(stale)).values(deleted_at=utcnow()))
    return len(stale)


# Customers


def _customer_values(node: dict[str, Any]) -> dict[str, Any]:
    email = (node.get("defaultEmailAddress") or {}).get("emailAddress") or node.get("email") or ""
    phone = (node.get("defaultPhoneNumber") or {}).get("phoneNumber") or node.get("phone") or ""
    return {
        "first_name": (node.get("firstName") or "")[:120],
        "last_name": (node.get("lastName") or "")[:120],
        "email": email[:254],
        "phone": phone[:40],
        "shopify_updated_at": parse_shopify_time(node.get("updatedAt")),
    }


def upsert_customer_batch(
    session: Session, merchant_id: int, nodes: list[dict[str, Any]], counts: ImportCounts
) -> None:
    """Customers with redacted or missing fields are stored with what is there."""
    by_gid = {n["id"]: n for n in nodes}
    existing = {
        c.shopify_id: c
        for c in session.scalars(
            select(Customer).where(Customer.merchant_id == merchant_id, Customer.shopify_id.in_(by_gid))
        )
    }
    for gid, node in by_gid.items():
        values = _customer_values(node)
        row = existing.get(gid)
        if row is None:
            session.add(Customer(merchant_id=merchant_id, shopify_id=gid, **values))
            counts.created += 1
        elif _apply_changes(row, values):
            counts.updated += 1
    session.flush()
    counts.seen += len(by_gid)


def import_customer_lines(
    session: Session, merchant_id: int, lines: Iterable[dict[str, Any]], counts: ImportCounts
) -> Iterator[int]:
    batch: list[dict[str, Any]] = []
    for line in lines:
        if kind_of(line) != "Customer":
            continue
        batch.append(line)
        if len(batch) >= BATCH_SIZE:
            upsert_customer_batch(session, merchant_id, batch, counts)
            batch = []
            if counts.seen in STATISTICS_AT or counts.seen % (25 * BATCH_SIZE) == 0:
                refresh_statistics(session, "customers")
            yield counts.seen
    if batch:
        upsert_customer_batch(session, merchant_id, batch, counts)
    yield counts.seen
