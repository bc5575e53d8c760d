"""Catalog import: Shopify shapes in, our rows out; a second run changes nothing; tenants never mix."""

from __future__ import annotations

import copy

import sqlalchemy as sa

from ismartsync.extensions import db
from ismartsync.models import Customer, Product, ShopifyLocation, Variant
from ismartsync.services.shopify_store.catalog_import import (
    ImportCounts,
    ean13_check_digit,
    import_customer_lines,
    import_variant_lines,
    upsert_locations,
)


def variant_line(n: int, *, barcode: str = "", price: str = "2990.00", product: int = 1) -> dict:
    return {
        "id": f"gid://shopify/ProductVariant/{n}",
        "title": "M / Maroon",
        "sku": f"LAWN-{n}",
        "barcode": barcode,
        "price": price,
        "compareAtPrice": "3490.00",
        "position": 1,
        "updatedAt": "2026-11-20T10:00:00Z",
        "selectedOptions": [{"name": "Size", "value": "M"}, {"name": "Colour", "value": "Maroon"}],
        "product": {
            "id": f"gid://shopify/Product/{product}",
            "title": "Gul Ahmed lawn 3-piece",
            "status": "ACTIVE",
            "vendor": "Gul Ahmed",
            "productType": "Lawn suit",
            "handle": "gul-lawn",
            "updatedAt": "2026-11-20T10:00:00Z",
        },
        "inventoryItem": {"id": f"gid://shopify/InventoryItem/{n}", "tracked": True},
    }


def level_line(n: int, location: int, on_hand: int) -> dict:
    return {
        "id": f"gid://shopify/InventoryLevel/{n}?inventory_item_id={n}",
        "item": {"id": f"gid://shopify/InventoryItem/{n}"},
        "location": {"id": f"gid://shopify/Location/{location}"},
        "quantities": [{"name": "on_hand", "quantity": on_hand}, {"name": "available", "quantity": on_hand - 1}],
        "__parentId": f"gid://shopify/ProductVariant/{n}",
    }


def run(merchant, lines) -> ImportCounts:
    counts = ImportCounts()
    list(import_variant_lines(db.session, merchant.id, copy.deepcopy(lines), counts))
    return counts


def test_variants_arrive_with_their_product_price_options_and_levels(merchant):
    counts = run(merchant, [variant_line(1, barcode="8964000123457"), level_line(1, 10, 6)])
    variant = db.session.scalar(sa.select(Variant).where(Variant.merchant_id == merchant.id))
    assert (counts.created, counts.seen) == (1, 1)
    assert variant.price_minor == 299000 and variant.compare_at_price_minor == 349000
    assert variant.options[0] == {"name": "Size", "value": "M"}
    assert variant.product.title == "Gul Ahmed lawn 3-piece" and variant.product.vendor == "Gul Ahmed"
    assert variant.barcode == "8964000123457" and variant.internal_barcode is None
    assert counts.on_hand == {("gid://shopify/InventoryItem/1", "gid://shopify/Location/10"): 6}


def test_a_variant_without_barcode_gets_a_scannable_internal_one(merchant):
    run(merchant, [variant_line(2)])
    variant = db.session.scalar(sa.select(Variant).where(Variant.merchant_id == merchant.id))
    code = variant.internal_barcode
    assert code.startswith("29") and len(code) == 13 and code[-1] == ean13_check_digit(code[:12])
    assert variant.scan_code == code


def test_running_the_same_import_again_changes_nothing(merchant):
    lines = [variant_line(n, product=n % 3) for n in range(1, 8)]
    run(merchant, lines)
    before = db.session.execute(sa.select(Variant.id, Variant.internal_barcode, Variant.price_minor)).all()
    again = run(merchant, lines)
    assert (again.created, again.updated, again.seen) == (0, 0, 7)
    assert db.session.execute(sa.select(Variant.id, Variant.internal_barcode, Variant.price_minor)).all() == before
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Product)) == 3


def test_a_changed_price_updates_only_that_variant(merchant):
    run(merchant, [variant_line(1), variant_line(2)])
    counts = run(merchant, [variant_line(1, price="2490.50"), variant_line(2)])
    assert (counts.created, counts.updated) == (0, 1)
    prices = dict(db.session.execute(sa.select(Variant.shopify_id, Variant.price_minor)).all())
    assert prices["gid://shopify/ProductVariant/1"] == 249050


def test_the_same_shopify_ids_in_two_merchants_stay_apart(merchant, other_merchant):
    run(merchant, [variant_line(1, price="100.00")])
    run(other_merchant, [variant_line(1, price="200.00")])
    rows = db.session.execute(sa.select(Variant.merchant_id, Variant.price_minor).order_by(Variant.merchant_id)).all()
    assert sorted(rows) == sorted([(merchant.id, 10000), (other_merchant.id, 20000)])


def test_customers_with_redacted_or_missing_fields_are_kept(merchant):
    lines = [
        {
            "id": "gid://shopify/Customer/1",
            "firstName": "Ayesha",
            "lastName": "Malik",
            "defaultEmailAddress": {"emailAddress": "ayesha@example.pk"},
            "defaultPhoneNumber": {"phoneNumber": "+923001234567"},
            "updatedAt": "2026-11-01T00:00:00Z",
        },
        {
            "id": "gid://shopify/Customer/2",
            "firstName": None,
            "lastName": None,
            "defaultEmailAddress": None,
            "defaultPhoneNumber": None,
            "updatedAt": "2026-11-02T00:00:00Z",
        },
    ]
    counts = ImportCounts()
    list(import_customer_lines(db.session, merchant.id, lines, counts))
    customers = db.session.scalars(sa.select(Customer).order_by(Customer.shopify_id)).all()
    assert counts.created == 2
    assert customers[0].phone == "+923001234567" and customers[0].full_name == "Ayesha Malik"
    assert customers[1].email == "" and customers[1].full_name == "Customer"


def test_locations_are_stored_and_updated_in_place(merchant):
    node = {
        "id": "gid://shopify/Location/10",
        "name": "Gulberg Store",
        "isActive": True,
        "fulfillsOnlineOrders": True,
        "address": {"address1": "42-B Main Blvd", "city": "Lahore"},
    }
    assert upsert_locations(db.session, merchant.id, [node]) == 1
    assert upsert_locations(db.session, merchant.id, [node]) == 0
    assert upsert_locations(db.session, merchant.id, [{**node, "name": "Gulberg Flagship"}]) == 1
    location = db.session.scalar(sa.select(ShopifyLocation))
    assert (location.name, location.address) == ("Gulberg Flagship", "42-B Main Blvd, Lahore")
