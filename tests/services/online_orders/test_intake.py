"""Keeping what Shopify says of an order: newer reads win, the same read twice is one effect, lines and fulfilment
orders follow Shopify's, and a fulfilment order moved to another location moves to that location's branch."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa

from ismartsync.extensions import db
from ismartsync.models import Customer, ShopifyLocation
from ismartsync.models.online_order import FulfilmentOrder, FulfilmentOrderLine, OnlineOrder, OnlineOrderLine
from ismartsync.services.online_orders.cod import is_cod, is_cod_gateway
from ismartsync.services.online_orders.intake import apply_order, link_catalog, phone_key
from tests.factories import BranchFactory, VariantFactory

GULBERG, DHA = "gid://shopify/Location/71", "gid://shopify/Location/72"


def _order(**changes: Any) -> dict[str, Any]:
    """An `Order` read as Shopify answers it: a COD order of two lines at Gulberg."""
    node = {
        "id": "gid://shopify/Order/501",
        "legacyResourceId": "501",
        "name": "#1001",
        "sourceName": "web",
        "createdAt": "2026-12-01T09:00:00Z",
        "updatedAt": "2026-12-01T09:00:00Z",
        "cancelledAt": None,
        "cancelReason": None,
        "closedAt": None,
        "displayFinancialStatus": "PENDING",
        "displayFulfillmentStatus": "UNFULFILLED",
        "currencyCode": "PKR",
        "email": "ayesha@example.pk",
        "phone": "+923001234567",
        "note": "Call before coming",
        "tags": ["whatsapp"],
        "paymentGatewayNames": ["Cash on Delivery (COD)"],
        "customer": {
            "id": "gid://shopify/Customer/31",
            "displayName": "Ayesha Khan",
            "defaultEmailAddress": {"emailAddress": "ayesha@example.pk"},
            "defaultPhoneNumber": {"phoneNumber": "+923001234567"},
        },
        "shippingAddress": {"firstName": "Ayesha", "lastName": "Khan", "address1": "12 Main Blvd", "city": "Lahore"},
        "currentSubtotalPriceSet": {"shopMoney": {"amount": "5980.0"}},
        "totalShippingPriceSet": {"shopMoney": {"amount": "250.0"}},
        "totalTaxSet": {"shopMoney": {"amount": "0.0"}},
        "currentTotalPriceSet": {"shopMoney": {"amount": "6230.5", "currencyCode": "PKR"}},
        "lineItems": {
            "nodes": [
                _line(1, "gid://shopify/ProductVariant/5001", 2, "2990.0"),
                _line(2, None, 1, "0.0"),
            ]
        },
        "fulfillmentOrders": {"nodes": [_fulfilment_order(801, GULBERG, "2026-12-01T09:00:00Z")]},
    }
    node.update(changes)
    return node


def _line(n: int, variant: str | None, quantity: int, price: str) -> dict[str, Any]:
    return {
        "id": f"gid://shopify/LineItem/{n}",
        "sku": f"SKU-{n}",
        "title": "Lawn suit",
        "variantTitle": "M / Red",
        "quantity": quantity,
        "currentQuantity": quantity,
        "unfulfilledQuantity": quantity,
        "variant": {"id": variant} if variant else None,
        "discountedUnitPriceSet": {"shopMoney": {"amount": price}},
    }


def _fulfilment_order(n: int, location: str, updated: str, status: str = "OPEN") -> dict[str, Any]:
    return {
        "id": f"gid://shopify/FulfillmentOrder/{n}",
        "status": status,
        "requestStatus": "UNSUBMITTED",
        "updatedAt": updated,
        "assignedLocation": {"name": "Store", "location": {"id": location}},
        "supportedActions": [{"action": "CREATE_FULFILLMENT"}, {"action": "MOVE"}],
        "fulfillmentHolds": [],
        "lineItems": {
            "nodes": [
                {
                    "id": f"gid://shopify/FulfillmentOrderLineItem/{n}1",
                    "totalQuantity": 2,
                    "remainingQuantity": 2,
                    "lineItem": {"id": "gid://shopify/LineItem/1"},
                }
            ]
        },
    }


@pytest.fixture
def branches(merchant):
    gulberg, dha = BranchFactory(merchant=merchant, name="Gulberg"), BranchFactory(merchant=merchant, name="DHA")
    for location, branch in ((GULBERG, gulberg), (DHA, dha)):
        db.session.add(ShopifyLocation(merchant=merchant, shopify_id=location, name=branch.name, branch=branch))
    db.session.flush()
    return gulberg, dha


def _count(model, merchant) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(model.merchant_id == merchant.id))


def test_an_order_is_kept_with_its_customer_address_gateway_totals_and_branch(merchant, branches):
    gulberg, _ = branches
    variant = VariantFactory(product__merchant=merchant, shopify_id="gid://shopify/ProductVariant/5001")

    applied = apply_order(db.session, merchant.id, _order())

    order = applied.order
    assert applied.created and not applied.stale
    assert (order.name, order.legacy_id, order.source_name) == ("#1001", 501, "web")
    assert (order.customer_name, order.email, order.phone, order.phone_key) == (
        "Ayesha Khan",
        "ayesha@example.pk",
        "+923001234567",
        "03001234567",
    )
    assert order.cod and order.gateway_names == ["Cash on Delivery (COD)"]
    assert (order.total_minor, order.subtotal_minor, order.shipping_minor, order.currency) == (
        623050,
        598000,
        25000,
        "PKR",
    )
    assert (order.financial_status, order.fulfilment_status) == ("PENDING", "UNFULFILLED")
    assert (order.note, order.tags, order.shipping_address["city"]) == ("Call before coming", ["whatsapp"], "Lahore")
    assert order.shopify_created_at == datetime(2026, 12, 1, 9, tzinfo=UTC)
    assert [(line.variant_id, line.quantity, line.unit_price_minor) for line in order.lines] == [
        (variant.id, 2, 299000),
        (None, 1, 0),
    ]
    (fo,) = order.fulfilment_orders
    assert (fo.branch_id, fo.status, fo.supported_actions) == (gulberg.id, "OPEN", ["CREATE_FULFILLMENT", "MOVE"])
    assert [(line.order_line.shopify_id, line.remaining_quantity) for line in fo.lines] == [
        ("gid://shopify/LineItem/1", 2)
    ]


def test_the_same_read_twice_is_one_order_with_its_lines_once(merchant, branches):
    apply_order(db.session, merchant.id, _order())

    again = apply_order(db.session, merchant.id, _order())

    assert not again.created and not again.stale
    counts = [_count(m, merchant) for m in (OnlineOrder, OnlineOrderLine, FulfilmentOrder, FulfilmentOrderLine)]
    assert counts == [1, 2, 1, 1]


def test_a_newer_read_wins_and_an_older_one_changes_nothing(merchant, branches):
    apply_order(db.session, merchant.id, _order())
    newer = _order(
        updatedAt="2026-12-01T10:00:00Z",
        displayFinancialStatus="PAID",
        note="Paid by bank transfer",
        lineItems={"nodes": [_line(1, "gid://shopify/ProductVariant/5001", 3, "2990.0")]},
    )
    apply_order(db.session, merchant.id, newer)

    stale = apply_order(db.session, merchant.id, _order())

    order = stale.order
    assert stale.stale
    assert (order.financial_status, order.note) == ("PAID", "Paid by bank transfer")
    assert [(line.shopify_id, line.quantity) for line in order.lines] == [("gid://shopify/LineItem/1", 3)]
    assert order.shopify_updated_at == datetime(2026, 12, 1, 10, tzinfo=UTC)


def test_a_fulfilment_order_moved_in_shopify_moves_to_that_locations_branch(merchant, branches):
    _, dha = branches
    apply_order(db.session, merchant.id, _order())
    # Shopify changes the fulfilment order (not always the order's own updatedAt) when it is moved.
    moved = _order(fulfillmentOrders={"nodes": [_fulfilment_order(801, DHA, "2026-12-01T11:00:00Z")]})

    order = apply_order(db.session, merchant.id, moved).order

    assert [(fo.shopify_id, fo.branch_id) for fo in order.fulfilment_orders] == [
        ("gid://shopify/FulfillmentOrder/801", dha.id)
    ]
    # An older read of the fulfilment order (a late webhook's re-read) does not move it back.
    apply_order(db.session, merchant.id, _order())
    assert order.fulfilment_orders[0].branch_id == dha.id


def test_a_move_that_replaces_the_fulfilment_order_leaves_only_the_new_one(merchant, branches):
    _, dha = branches
    apply_order(db.session, merchant.id, _order())
    replaced = _order(
        updatedAt="2026-12-01T12:00:00Z",
        fulfillmentOrders={
            "nodes": [
                _fulfilment_order(801, GULBERG, "2026-12-01T12:00:00Z", status="CLOSED"),
                _fulfilment_order(802, DHA, "2026-12-01T12:00:00Z"),
            ]
        },
    )
    apply_order(db.session, merchant.id, replaced)
    only_new = copy.deepcopy(replaced)
    only_new["fulfillmentOrders"]["nodes"].pop(0)

    order = apply_order(db.session, merchant.id, only_new).order

    assert [(fo.shopify_id, fo.branch_id, fo.status) for fo in order.fulfilment_orders] == [
        ("gid://shopify/FulfillmentOrder/802", dha.id, "OPEN")
    ]
    assert _count(FulfilmentOrderLine, merchant) == 1


def test_a_location_not_linked_to_a_branch_leaves_the_fulfilment_order_without_one(merchant, branches):
    node = _order(
        fulfillmentOrders={"nodes": [_fulfilment_order(801, "gid://shopify/Location/99", "2026-12-01T09:00:00Z")]}
    )

    order = apply_order(db.session, merchant.id, node).order

    assert order.fulfilment_orders[0].branch_id is None
    assert order.fulfilment_orders[0].shopify_location_id == "gid://shopify/Location/99"


def test_orders_are_the_merchants_own(merchant, other_merchant, branches):
    ours = apply_order(db.session, merchant.id, _order()).order
    theirs = apply_order(db.session, other_merchant.id, _order()).order

    assert ours.id != theirs.id and theirs.merchant_id == other_merchant.id
    # The other merchant has no location linked: its fulfilment order is at no branch of ours.
    assert theirs.fulfilment_orders[0].branch_id is None


def test_variants_and_customers_imported_after_the_order_are_linked_later(merchant, branches):
    order = apply_order(db.session, merchant.id, _order()).order
    assert order.customer_id is None and order.lines[0].variant_id is None
    variant = VariantFactory(product__merchant=merchant, shopify_id="gid://shopify/ProductVariant/5001")
    customer = Customer(merchant=merchant, shopify_id="gid://shopify/Customer/31", first_name="Ayesha")
    db.session.add(customer)
    db.session.flush()

    assert link_catalog(db.session, merchant.id) == 2

    assert (order.customer_id, order.lines[0].variant_id, order.lines[1].variant_id) == (customer.id, variant.id, None)


@pytest.mark.parametrize(
    ("names", "cod"),
    [
        (["Cash on Delivery (COD)"], True),
        (["cash_on_delivery"], True),
        (["COD"], True),
        (["COD - Karachi only"], True),
        (["Cash on delivery (Lahore)"], True),
        (["gift_card", "Cash on Delivery (COD)"], True),
        (["shopify_payments"], False),
        (["Bank Deposit"], False),
        (["JazzCash"], False),
        (["Cards (Codeless Pay)"], False),
        ([], False),
    ],
)
def test_cash_on_delivery_is_told_from_the_gateway_names(names, cod):
    assert is_cod(names) is cod
    assert is_cod_gateway("manual") is False


@pytest.mark.parametrize(
    ("phone", "key"),
    [
        ("+923001234567", "03001234567"),
        ("0300-1234567", "03001234567"),
        ("+44 20 7946 0958", "442079460958"),
        (None, ""),
    ],
)
def test_an_orders_phone_is_searched_in_one_form(phone, key):
    assert phone_key(phone) == key
