"""Reserved stock per branch: what open online orders assigned to a branch hold of its stock, following their
placement, a move to another branch, a partial fulfilment and a cancellation as read from Shopify; and the counter
selling into it under the warn and block policies."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from ismartsync.errors import DomainError
from ismartsync.extensions import db
from ismartsync.models import FulfilmentWorkflow, ShopifyLocation, Tender
from ismartsync.models.online_order import FulfilmentOrder
from ismartsync.services import cart as carts
from ismartsync.services.audit import Actor
from ismartsync.services.checkout import Payment, checkout_sale
from ismartsync.services.online_orders.fulfilment import dispatch_fulfilment_order
from ismartsync.services.online_orders.intake import apply_order
from ismartsync.services.online_orders.reserved import reserved_at, reserved_by_branch, reserving_orders
from ismartsync.services.stock.ledger import level_of
from tests.factories import BranchFactory

GULBERG, DHA = "gid://shopify/Location/71", "gid://shopify/Location/72"


def order_node(number: int, lines: list[tuple[Any, int]], location: str = GULBERG, **changes: Any) -> dict[str, Any]:
    """An `Order` read: order #`number` of `lines` (variant, quantity), one open fulfilment order at `location`;
    `remaining` (a list per line), `status`, `cancelled`, `updated` change it."""
    remaining = changes.pop("remaining", [q for _, q in lines])
    status = changes.pop("status", "OPEN")
    updated = changes.pop("updated", "2026-12-01T09:00:00Z")
    return {
        "id": f"gid://shopify/Order/{number}",
        "name": f"#{number}",
        "createdAt": "2026-12-01T09:00:00Z",
        "updatedAt": updated,
        "cancelledAt": changes.pop("cancelled", None),
        "displayFinancialStatus": "PENDING",
        "displayFulfillmentStatus": "UNFULFILLED",
        "paymentGatewayNames": ["Cash on Delivery (COD)"],
        "lineItems": {
            "nodes": [
                {
                    "id": f"gid://shopify/LineItem/{number}{i}",
                    "quantity": q,
                    "currentQuantity": q,
                    "unfulfilledQuantity": left,
                    "variant": {"id": v.shopify_id},
                }
                for i, ((v, q), left) in enumerate(zip(lines, remaining, strict=True))
            ]
        },
        "fulfillmentOrders": {
            "nodes": [
                {
                    "id": f"gid://shopify/FulfillmentOrder/{number}",
                    "status": status,
                    "updatedAt": updated,
                    "assignedLocation": {"name": "Store", "location": {"id": location}},
                    "supportedActions": [{"action": "CREATE_FULFILLMENT"}],
                    "lineItems": {
                        "nodes": [
                            {
                                "id": f"gid://shopify/FulfillmentOrderLineItem/{number}{i}",
                                "totalQuantity": q,
                                "remainingQuantity": left,
                                "lineItem": {"id": f"gid://shopify/LineItem/{number}{i}"},
                            }
                            for i, ((_, q), left) in enumerate(zip(lines, remaining, strict=True))
                        ]
                    },
                }
            ]
        },
        **changes,
    }


@pytest.fixture
def dha(merchant, branch):
    """The test branch linked to Gulberg's location, a second branch (DHA) to the other."""
    other = BranchFactory(merchant=merchant, name="DHA")
    for location, linked in ((GULBERG, branch), (DHA, other)):
        db.session.add(ShopifyLocation(merchant=merchant, shopify_id=location, name=linked.name, branch=linked))
    db.session.flush()
    return other


def test_a_placed_order_reserves_its_units_at_its_branch_only(merchant, branch, dha, items):
    lawn, khussa, _ = items
    apply_order(db.session, merchant.id, order_node(1001, [(lawn, 2), (khussa, 1)]))
    apply_order(db.session, merchant.id, order_node(1003, [(lawn, 1)]))

    assert reserved_at(db.session, branch.id, [lawn.id, khussa.id, items[2].id]) == {lawn.id: 3, khussa.id: 1}
    assert reserved_at(db.session, dha.id, [lawn.id]) == {}
    assert reserved_by_branch(db.session, [lawn.id]) == {(lawn.id, branch.id): 3}


def test_a_move_to_another_branch_moves_the_reservation(merchant, branch, dha, items):
    lawn = items[0]
    apply_order(db.session, merchant.id, order_node(1001, [(lawn, 2)]))

    apply_order(db.session, merchant.id, order_node(1001, [(lawn, 2)], DHA, updated="2026-12-01T10:00:00Z"))

    assert reserved_at(db.session, branch.id, [lawn.id]) == {}
    assert reserved_at(db.session, dha.id, [lawn.id]) == {lawn.id: 2}


def test_a_partial_fulfilment_leaves_what_remains_reserved_and_a_closed_one_nothing(merchant, branch, dha, items):
    lawn = items[0]
    apply_order(db.session, merchant.id, order_node(1001, [(lawn, 3)]))

    later = "2026-12-01T10:00:00Z"
    apply_order(
        db.session, merchant.id, order_node(1001, [(lawn, 3)], remaining=[1], status="IN_PROGRESS", updated=later)
    )
    assert reserved_at(db.session, branch.id, [lawn.id]) == {lawn.id: 1}

    done = "2026-12-01T11:00:00Z"
    apply_order(db.session, merchant.id, order_node(1001, [(lawn, 3)], remaining=[0], status="CLOSED", updated=done))
    assert reserved_at(db.session, branch.id, [lawn.id]) == {}


def test_a_held_order_still_reserves_and_a_cancelled_one_releases(merchant, branch, dha, items):
    lawn = items[0]
    apply_order(db.session, merchant.id, order_node(1001, [(lawn, 2)], status="ON_HOLD"))
    assert reserved_at(db.session, branch.id, [lawn.id]) == {lawn.id: 2}

    apply_order(
        db.session,
        merchant.id,
        order_node(1001, [(lawn, 2)], cancelled="2026-12-01T10:00:00Z", updated="2026-12-01T10:00:00Z"),
    )
    assert reserved_at(db.session, branch.id, [lawn.id]) == {}


def test_a_dispatch_shopify_does_not_show_yet_is_not_reserved_as_well(merchant, branch, dha, items, owner):
    """The dispatch took its units off on hand at once; until Shopify shows the fulfilment (remaining still 2) they
    are not also reserved, so available is what is on hand."""
    lawn = items[0]  # 10 on hand
    branch.fulfilment_workflow = FulfilmentWorkflow.MANUAL.value
    apply_order(db.session, merchant.id, order_node(1001, [(lawn, 2)]))
    apply_order(db.session, merchant.id, order_node(1003, [(lawn, 3)]))
    fo = db.session.scalar(
        sa.select(FulfilmentOrder).where(FulfilmentOrder.shopify_id == "gid://shopify/FulfillmentOrder/1001")
    )
    assert reserved_at(db.session, branch.id, [lawn.id]) == {lawn.id: 5}

    dispatch_fulfilment_order(
        db.session,
        Actor(owner),
        fo,
        key="k-1",
        picked={line.id: 2 for line in fo.lines},
        courier="TCS",
        tracking_number="TCS1",
    )

    assert level_of(db.session, lawn, branch) == 8
    assert [line.remaining_quantity for line in fo.lines] == [2]  # Shopify does not show it yet
    assert reserved_at(db.session, branch.id, [lawn.id]) == {lawn.id: 3}  # #1003's only
    assert reserved_by_branch(db.session, [lawn.id]) == {(lawn.id, branch.id): 3}
    assert reserving_orders(db.session, branch.id, lawn.id) == ["#1003"]


# The counter: stock beside the line, and selling into what is reserved


def test_the_cart_line_shows_on_hand_reserved_and_available(merchant, branch, dha, items, till, counter):
    lawn = items[0]  # 10 on hand
    apply_order(db.session, merchant.id, order_node(1001, [(lawn, 4)]))
    apply_order(db.session, merchant.id, order_node(1003, [(lawn, 4)]))
    cart = carts.open_cart(db.session, till, counter)
    carts.add_variant(db.session, cart, lawn, 2)

    stock = carts.branch_stock(db.session, cart)[cart.lines[0].id]

    assert (stock.on_hand, stock.reserved, stock.available, stock.short) == (10, 8, 2, False)
    carts.set_quantity(db.session, cart, cart.lines[0], 3)
    assert carts.branch_stock(db.session, cart)[cart.lines[0].id].short


def test_warn_sells_into_reserved_stock_and_names_the_orders(merchant, branch, dha, items, till, counter):
    lawn = items[0]
    apply_order(db.session, merchant.id, order_node(1001, [(lawn, 4)]))
    apply_order(db.session, merchant.id, order_node(1003, [(lawn, 4)]))
    cart = carts.open_cart(db.session, till, counter)
    carts.add_variant(db.session, cart, lawn, 4)

    done = checkout_sale(db.session, till, counter, cart.uuid, [Payment(Tender.CASH, 10**8)])

    assert done.warnings == (f"2 of {lawn.display_name} are reserved for online orders #1001, #1003.",)
    assert level_of(db.session, lawn, branch) == 6


def test_warn_says_nothing_when_the_sale_fits_in_what_is_available(merchant, branch, dha, items, till, counter):
    lawn = items[0]
    apply_order(db.session, merchant.id, order_node(1001, [(lawn, 4)]))
    cart = carts.open_cart(db.session, till, counter)
    carts.add_variant(db.session, cart, lawn, 6)

    done = checkout_sale(db.session, till, counter, cart.uuid, [Payment(Tender.CASH, 10**8)])

    assert done.warnings == ()


def test_block_refuses_adding_what_online_orders_hold(merchant, branch, dha, items, till, counter):
    merchant.negative_stock_policy = "block"
    lawn = items[0]
    apply_order(db.session, merchant.id, order_node(1001, [(lawn, 9)]))
    cart = carts.open_cart(db.session, till, counter)
    carts.add_variant(db.session, cart, lawn, 1)

    with pytest.raises(DomainError, match=r"^1 of .* is reserved for online order #1001\.$"):
        carts.add_variant(db.session, cart, lawn, 1)
    assert cart.lines[0].quantity == 1


def test_block_refuses_checkout_when_an_order_came_in_meanwhile(merchant, branch, dha, items, till, counter):
    merchant.negative_stock_policy = "block"
    lawn = items[0]
    cart = carts.open_cart(db.session, till, counter)
    carts.add_variant(db.session, cart, lawn, 3)
    apply_order(db.session, merchant.id, order_node(1001, [(lawn, 8)]))

    with pytest.raises(DomainError, match=r"1 of .* is reserved for online order #1001"):
        checkout_sale(db.session, till, counter, cart.uuid, [Payment(Tender.CASH, 10**8)])


def test_two_lines_of_one_item_are_counted_together(merchant, branch, dha, items, till, counter):
    lawn = items[0]
    apply_order(db.session, merchant.id, order_node(1001, [(lawn, 8)]))
    cart = carts.open_cart(db.session, till, counter)
    carts.add_variant(db.session, cart, lawn, 3)
    carts.override_price(db.session, till, cart, cart.lines[0], 250000)  # a line of its own for the next one
    carts.add_variant(db.session, cart, lawn, 1)

    done = checkout_sale(db.session, till, counter, cart.uuid, [Payment(Tender.CASH, 10**8)])

    assert [ln.quantity for ln in cart.lines] == [3, 1]  # 4 of 10 on hand, 2 available: 2 taken from #1001's 8
    assert done.warnings == (f"2 of {lawn.display_name} are reserved for online order #1001.",)
