"""One catalog record read again after Shopify said it changed (a webhook): a product with its variants, an
inventory item's tracked flag, a customer, a location. Only what is newer than what we hold is applied.

Input is Shopify's own shapes, already fetched (`ismartsync.shopify.importer`); nothing here calls Shopify.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from ismartsync.models import Customer, Product, ShopifyLocation, Variant
from ismartsync.models.base import utcnow
from ismartsync.services.shopify_store import catalog_import
from ismartsync.services.stock.ledger import record_opening_stock
from ismartsync.shopify.times import parse_shopify_time


@dataclass
class ProductChange:
    stale: bool = False  # our copy is newer than what was read: nothing applied
    created: int = 0
    updated: int = 0
    deleted: int = 0
    # Tracked variants created now, which need opening stock at mapped branches.
    new_variant_ids: list[int] = field(default_factory=list)


def _older(value: str | None, stored: datetime | None) -> bool:
    """Whether Shopify's `updatedAt` is strictly before the one we stored (a read that lost a race)."""
    seen = parse_shopify_time(value)
    return seen is not None and stored is not None and seen < stored


def _mark_variants_deleted(session: Session, variant_ids: list[int]) -> int:
    if variant_ids:
        session.execute(update(Variant).where(Variant.id.in_(variant_ids)).values(deleted_at=utcnow()))
    return len(variant_ids)


def apply_product(
    session: Session,
    merchant_id: int,
    product_id: str,
    product: dict[str, Any] | None,
    variants: list[dict[str, Any]],
) -> ProductChange:
    """Store a product as just read (`product` None: deleted in Shopify) with all its variants.

    Variants it no longer has are marked deleted (kept for their history), like a full import does.
    """
    change = ProductChange()
    local = {
        v.shopify_id: v
        for v in session.scalars(
            select(Variant)
            .join(Product, Product.id == Variant.product_id)
            .where(Product.merchant_id == merchant_id, Product.shopify_id == product_id)
        )
    }
    if product is None:
        change.deleted = _mark_variants_deleted(session, [v.id for v in local.values() if v.deleted_at is None])
        return change
    stored = session.scalar(
        select(Product.shopify_updated_at).where(Product.merchant_id == merchant_id, Product.shopify_id == product_id)
    )
    if _older(product.get("updatedAt"), stored):
        change.stale = True
        return change
    fresh = [
        n for n in variants if n["id"] not in local or not _older(n.get("updatedAt"), local[n["id"]].shopify_updated_at)
    ]
    counts = catalog_import.ImportCounts()
    if fresh:
        catalog_import.upsert_variant_batch(session, merchant_id, fresh, counts)
    change.created, change.updated = counts.created, counts.updated
    seen = {n["id"] for n in variants}
    gone = [v.id for gid, v in local.items() if gid not in seen and v.deleted_at is None]
    change.deleted = _mark_variants_deleted(session, gone)
    created = [n["id"] for n in fresh if n["id"] not in local]
    if created:
        change.new_variant_ids = list(
            session.scalars(
                select(Variant.id).where(
                    Variant.merchant_id == merchant_id,
                    Variant.shopify_id.in_(created),
                    Variant.tracked.is_(True),
                    Variant.inventory_item_id.is_not(None),
                )
            )
        )
    session.flush()
    return change


def open_new_variants(
    session: Session, merchant_id: int, variant_ids: list[int], levels: Iterable[dict[str, Any]], reference: str
) -> int:
    """Opening stock at every mapped branch for new variants, from Shopify's levels (`item`, `location`,
    `quantities` as `importer.on_hand_levels` yields them); a level that already exists is left alone."""
    mapped = session.scalars(
        select(ShopifyLocation).where(
            ShopifyLocation.merchant_id == merchant_id, ShopifyLocation.branch_id.is_not(None)
        )
    ).all()
    if not mapped or not variant_ids:
        return 0
    counts = catalog_import.ImportCounts(locations={loc.shopify_id for loc in mapped})
    for level in levels:
        catalog_import.collect_levels(level, counts)
    items = dict(
        session.execute(select(Variant.inventory_item_id, Variant.id).where(Variant.id.in_(variant_ids))).all()
    )
    opened = 0
    for location in mapped:
        quantities = {
            items[item]: quantity
            for (item, location_id), quantity in counts.on_hand.items()
            if location_id == location.shopify_id and item in items
        }
        if location.branch is not None:
            opened += record_opening_stock(session, location.branch, quantities, reference)
    return opened


def set_item_tracked(session: Session, merchant_id: int, item_id: str, tracked: bool) -> int:
    """Shopify's tracked flag for the variants of an inventory item; returns how many changed."""
    result = session.execute(
        update(Variant)
        .where(Variant.merchant_id == merchant_id, Variant.inventory_item_id == item_id, Variant.tracked != tracked)
        .values(tracked=tracked)
    )
    return result.rowcount or 0


def mark_item_deleted(session: Session, merchant_id: int, item_id: str) -> int:
    """The inventory item is gone in Shopify: its variants leave the catalog (kept for their history)."""
    ids = session.scalars(
        select(Variant.id).where(
            Variant.merchant_id == merchant_id, Variant.inventory_item_id == item_id, Variant.deleted_at.is_(None)
        )
    ).all()
    return _mark_variants_deleted(session, list(ids))


def apply_customer(session: Session, merchant_id: int, customer_id: str, node: dict[str, Any] | None) -> str:
    """Store a customer as just read, or delete ours when Shopify has none (no sales point at customers yet).

    Returns "deleted", "stale" (ours is newer) or "saved".
    """
    if node is None:
        session.execute(delete(Customer).where(Customer.merchant_id == merchant_id, Customer.shopify_id == customer_id))
        return "deleted"
    stored = session.scalar(
        select(Customer.shopify_updated_at).where(
            Customer.merchant_id == merchant_id, Customer.shopify_id == customer_id
        )
    )
    if _older(node.get("updatedAt"), stored):
        return "stale"
    catalog_import.upsert_customer_batch(session, merchant_id, [node], catalog_import.ImportCounts())
    return "saved"


def deactivate_location(session: Session, merchant_id: int, location_id: str) -> bool:
    """A location deleted in Shopify stays (a branch may be linked to it) but is no longer active."""
    location = session.scalar(
        select(ShopifyLocation).where(
            ShopifyLocation.merchant_id == merchant_id, ShopifyLocation.shopify_id == location_id
        )
    )
    if location is None or not location.active:
        return False
    location.active, location.synced_at = False, utcnow()
    session.flush()
    return True
