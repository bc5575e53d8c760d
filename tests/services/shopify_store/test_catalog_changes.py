"""One record read again after a webhook: a read older than ours applies nothing, variants a product lost leave
the catalog, new tracked variants open their stock at linked branches, customers and locations follow Shopify."""

from __future__ import annotations

import copy

import sqlalchemy as sa

from ismartsync.extensions import db
from ismartsync.models import Customer, ShopifyLocation, StockLevel, Variant
from ismartsync.services.shopify_store import catalog_changes
from tests.services.shopify_store.test_catalog_import import level_line, variant_line

PRODUCT = "gid://shopify/Product/1"


def read(*numbers: int, at: str = "2026-11-20T10:00:00Z", price: str = "2990.00") -> list[dict]:
    """The product's variants as ProductWithVariants returns them, all stamped `at`."""
    nodes = [copy.deepcopy(variant_line(n, price=price)) for n in numbers]
    for node in nodes:
        node["updatedAt"] = node["product"]["updatedAt"] = at
    return nodes


def apply(merchant, nodes: list[dict]) -> catalog_changes.ProductChange:
    product = nodes[0]["product"] if nodes else None
    change = catalog_changes.apply_product(db.session, merchant.id, PRODUCT, product, nodes)
    db.session.commit()
    return change


def prices(merchant) -> dict[str, int]:
    db.session.expire_all()
    rows = db.session.execute(
        sa.select(Variant.shopify_id, Variant.price_minor).where(Variant.merchant_id == merchant.id)
    )
    return dict(rows.all())


def test_a_new_product_is_stored_with_its_tracked_variants_to_open(merchant):
    change = apply(merchant, read(1, 2))

    assert (change.created, change.stale) == (2, False)
    assert len(change.new_variant_ids) == 2
    assert prices(merchant) == {"gid://shopify/ProductVariant/1": 299000, "gid://shopify/ProductVariant/2": 299000}


def test_a_read_older_than_ours_applies_nothing(merchant):
    apply(merchant, read(1, at="2026-11-20T10:00:00Z", price="2990.00"))
    apply(merchant, read(1, at="2026-11-21T10:00:00Z", price="3500.00"))

    change = apply(merchant, read(1, at="2026-11-20T12:00:00Z", price="1.00"))

    assert change.stale is True
    assert prices(merchant) == {"gid://shopify/ProductVariant/1": 350000}


def test_a_read_as_new_as_ours_is_applied(merchant):
    apply(merchant, read(1, at="2026-11-20T10:00:00Z", price="2990.00"))

    apply(merchant, read(1, at="2026-11-20T10:00:00Z", price="2500.00"))

    assert prices(merchant) == {"gid://shopify/ProductVariant/1": 250000}


def test_variants_the_product_no_longer_has_leave_the_catalog(merchant):
    apply(merchant, read(1, 2, 3))

    change = apply(merchant, read(1, 3, at="2026-11-21T10:00:00Z"))

    assert change.deleted == 1
    deleted = db.session.scalars(sa.select(Variant.shopify_id).where(Variant.deleted_at.is_not(None))).all()
    assert deleted == ["gid://shopify/ProductVariant/2"]


def test_a_deleted_product_takes_all_its_variants_out_and_keeps_them(merchant):
    apply(merchant, read(1, 2))

    change = catalog_changes.apply_product(db.session, merchant.id, PRODUCT, None, [])
    db.session.commit()

    assert change.deleted == 2
    assert db.session.scalar(sa.select(sa.func.count()).where(Variant.deleted_at.is_not(None))) == 2


def test_another_merchants_product_of_the_same_id_is_untouched(merchant, other_merchant):
    apply(other_merchant, read(1))

    catalog_changes.apply_product(db.session, merchant.id, PRODUCT, None, [])
    db.session.commit()

    assert db.session.scalar(sa.select(Variant.deleted_at).where(Variant.merchant_id == other_merchant.id)) is None


def test_new_variants_open_their_stock_only_at_linked_branches(merchant, branch):
    db.session.add_all(
        [
            ShopifyLocation(
                merchant_id=merchant.id, shopify_id="gid://shopify/Location/7", name="Gulberg", branch=branch
            ),
            ShopifyLocation(merchant_id=merchant.id, shopify_id="gid://shopify/Location/8", name="Warehouse"),
        ]
    )
    change = apply(merchant, read(1, 2))
    levels = [level_line(1, 7, 12), level_line(2, 7, 0), level_line(1, 8, 99)]

    opened = catalog_changes.open_new_variants(db.session, merchant.id, change.new_variant_ids, levels, "ref")
    db.session.commit()

    assert opened == 2
    rows = db.session.execute(
        sa.select(Variant.shopify_id, StockLevel.branch_id, StockLevel.quantity).join(StockLevel).order_by(Variant.id)
    ).all()
    assert [tuple(r) for r in rows] == [
        ("gid://shopify/ProductVariant/1", branch.id, 12),
        ("gid://shopify/ProductVariant/2", branch.id, 0),
    ]
    assert catalog_changes.open_new_variants(db.session, merchant.id, change.new_variant_ids, levels, "ref") == 0


def test_tracked_flag_and_item_deletion_follow_the_inventory_item(merchant):
    apply(merchant, read(1, 2))

    assert catalog_changes.set_item_tracked(db.session, merchant.id, "gid://shopify/InventoryItem/1", False) == 1
    assert catalog_changes.set_item_tracked(db.session, merchant.id, "gid://shopify/InventoryItem/1", False) == 0
    assert catalog_changes.mark_item_deleted(db.session, merchant.id, "gid://shopify/InventoryItem/2") == 1
    db.session.commit()

    rows = db.session.execute(sa.select(Variant.shopify_id, Variant.tracked, Variant.deleted_at).order_by(Variant.id))
    assert [(gid[-1], tracked, deleted is not None) for gid, tracked, deleted in rows] == [
        ("1", False, False),
        ("2", True, True),
    ]


def customer_node(name: str, at: str) -> dict:
    return {"id": "gid://shopify/Customer/5", "firstName": name, "lastName": "Khan", "updatedAt": at}


def test_a_customer_read_older_than_ours_is_not_applied_and_a_missing_one_is_deleted(merchant):
    assert (
        catalog_changes.apply_customer(
            db.session, merchant.id, "gid://shopify/Customer/5", customer_node("Sana", "2026-11-21T10:00:00Z")
        )
        == "saved"
    )
    assert (
        catalog_changes.apply_customer(
            db.session, merchant.id, "gid://shopify/Customer/5", customer_node("Old", "2026-11-20T10:00:00Z")
        )
        == "stale"
    )
    db.session.commit()
    assert db.session.scalar(sa.select(Customer.first_name)) == "Sana"

    assert catalog_changes.apply_customer(db.session, merchant.id, "gid://shopify/Customer/5", None) == "deleted"
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Customer)) == 0


def test_a_deleted_location_stays_linked_but_inactive(merchant, branch):
    location = ShopifyLocation(merchant_id=merchant.id, shopify_id="gid://shopify/Location/7", name="G", branch=branch)
    db.session.add(location)
    db.session.commit()

    assert catalog_changes.deactivate_location(db.session, merchant.id, "gid://shopify/Location/7") is True
    assert catalog_changes.deactivate_location(db.session, merchant.id, "gid://shopify/Location/7") is False
    assert (location.active, location.branch_id) == (False, branch.id)
