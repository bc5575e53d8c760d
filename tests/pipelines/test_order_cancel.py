"""Cancelling online orders against the Shopify sandbox: one cancelled in Shopify releases its reserved units when its
webhook is read; one cancelled by a manager here is sent with orderCancel from a job, Shopify releases what it
committed and so do we; a dispatched order is refused (here, or by Shopify when it shipped meanwhile); a double
submit is one cancellation."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from ismartsync.errors import DomainError
from ismartsync.extensions import db
from ismartsync.models import AuditEntry, CancellationStatus, CancelReason, OrderCancellation, Variant
from ismartsync.pipelines.order_cancel import cancel_order
from ismartsync.services.audit import Actor
from ismartsync.services.online_orders import cancel as cancellations
from ismartsync.services.online_orders.reserved import reserved_at
from ismartsync.shopify.errors import ShopifyUnavailable
from tests.pipelines import test_order_sync
from tests.pipelines.test_order_sync import _orders, _place, _stocked
from tests.sandbox_fixtures import SHOP, requests_log

# The order sync tests' fixtures: a sandbox whose webhooks we hand to our endpoint, the store connected and imported.
running, store = test_order_sync.running, test_order_sync.store


def _committed(sandbox, variant_gid: str, location_gid: str) -> int:
    number = variant_gid.rsplit("/", 1)[1]
    levels = sandbox.control("GET", f"/shops/{SHOP}/inventory?variant_id={number}")["levels"]
    (level,) = [lv for lv in levels if lv["location_id"] == location_gid]
    return level["committed"]


def _variant(shopify_id: str) -> Variant:
    return db.session.scalar(sa.select(Variant).where(Variant.shopify_id == shopify_id))


def _placed_here(store, quantity: int = 2) -> tuple[dict[str, Any], Variant, str]:
    """An order of `quantity` placed in the sandbox and taken in by its webhook: (placed, our variant, location)."""
    (variant_id,) = _stocked(store.sandbox, 1)
    placed = _place(store.sandbox, variant_id, quantity)
    store.post(store.caught("orders/create"))
    location = placed["fulfillment_orders"][0]["location_id"]
    return placed, _variant(variant_id), location


def _cancel_calls(sandbox) -> int:
    return sum(1 for r in requests_log(sandbox) if r.get("operation_name") == "OrderCancel")


def test_an_order_cancelled_in_shopify_releases_its_reservation(store, merchant, branch):
    placed, variant, _ = _placed_here(store)
    assert reserved_at(db.session, branch.id, [variant.id]) == {variant.id: 2}

    number = placed["id"].rsplit("/", 1)[1]
    store.sandbox.control("POST", f"/shops/{SHOP}/orders/{number}/cancel", {"reason": "CUSTOMER"})
    store.post(store.caught("orders/cancelled"))

    assert _orders(merchant)[placed["name"]].is_cancelled
    assert reserved_at(db.session, branch.id, [variant.id]) == {}


def test_a_manager_cancels_an_order_shopify_releases_what_it_committed_and_so_do_we(store, merchant, branch, manager):
    placed, variant, location = _placed_here(store, 3)
    before = _committed(store.sandbox, placed["line_items"][0]["variant_id"], location)
    order = _orders(merchant)[placed["name"]]

    cancellation, asked = cancellations.request_cancel(
        db.session, Actor(manager), order, CancelReason.CUSTOMER, "Customer called to cancel"
    )
    db.session.commit()
    store.run_jobs("shopify")

    assert asked
    shown = store.sandbox.control("GET", f"/shops/{SHOP}/orders/{placed['id'].rsplit('/', 1)[1]}")
    assert shown["cancelled"] and shown["financial_status"] == "VOIDED"  # COD: nothing was paid, nothing refunded
    assert _committed(store.sandbox, placed["line_items"][0]["variant_id"], location) == before - 3
    ours = _orders(merchant)[placed["name"]]
    assert ours.is_cancelled and ours.cancel_reason == "CUSTOMER"
    assert reserved_at(db.session, branch.id, [variant.id]) == {}
    row = db.session.get(OrderCancellation, cancellation.id)
    assert (row.status, row.attempts, row.last_error) == (CancellationStatus.SENT, 1, "")
    audit = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "online_order.cancel"))
    assert audit.summary == (
        f"Cancel order {placed['name']} in Shopify, release 3 reserved units, restock; "
        "the customer is not refunded by iSmartSync."
    )
    assert _cancel_calls(store.sandbox) == 1


def test_a_double_submit_is_one_cancellation_and_one_call(store, merchant, manager):
    placed, _, _ = _placed_here(store)
    order = _orders(merchant)[placed["name"]]

    first, asked = cancellations.request_cancel(db.session, Actor(manager), order, CancelReason.INVENTORY)
    db.session.commit()
    again, asked_again = cancellations.request_cancel(db.session, Actor(manager), order, CancelReason.OTHER)
    db.session.commit()
    store.run_jobs("shopify")
    assert cancel_order(db.session, first.id) is None  # the job run again: nothing left to send

    assert (asked, asked_again, again.id) == (True, False, first.id)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OrderCancellation)) == 1
    assert _cancel_calls(store.sandbox) == 1


def test_an_order_dispatched_is_not_cancelled(store, merchant, manager):
    placed, _, location = _placed_here(store)
    number = placed["id"].rsplit("/", 1)[1]
    store.sandbox.control("POST", f"/shops/{SHOP}/orders/{number}/fulfill", {"location_id": location})
    store.post(store.caught("orders/updated"))
    order = _orders(merchant)[placed["name"]]

    with pytest.raises(DomainError, match="was already dispatched"):
        cancellations.request_cancel(db.session, Actor(manager), order, CancelReason.CUSTOMER)
    assert cancellations.plan_cancel(order).refusal is not None


def test_shopify_refuses_when_the_order_shipped_after_the_manager_asked(store, merchant, branch, manager):
    placed, variant, location = _placed_here(store)
    order = _orders(merchant)[placed["name"]]
    cancellation, _ = cancellations.request_cancel(db.session, Actor(manager), order, CancelReason.CUSTOMER)
    db.session.commit()
    number = placed["id"].rsplit("/", 1)[1]
    store.sandbox.control("POST", f"/shops/{SHOP}/orders/{number}/fulfill", {"location_id": location})

    row = cancel_order(db.session, cancellation.id)

    assert row.status == CancellationStatus.REFUSED and "fulfillments" in row.last_error
    shown = store.sandbox.control("GET", f"/shops/{SHOP}/orders/{number}")
    assert not shown["cancelled"]
    db.session.expire_all()
    assert not _orders(merchant)[placed["name"]].is_cancelled
    assert reserved_at(db.session, branch.id, [variant.id]) == {}  # it left: nothing held for it any more


def test_shopify_unreachable_keeps_the_cancellation_to_send_again(store, merchant, manager):
    placed, _, _ = _placed_here(store)
    order = _orders(merchant)[placed["name"]]
    cancellation, _ = cancellations.request_cancel(db.session, Actor(manager), order, CancelReason.CUSTOMER)
    db.session.commit()
    store.sandbox.control("POST", "/faults", {"mode": "503", "count": 20, "operation": "OrderCancel"})

    with pytest.raises(ShopifyUnavailable):
        cancel_order(db.session, cancellation.id)
    row = db.session.get(OrderCancellation, cancellation.id)
    assert row.status == CancellationStatus.PENDING and "tried again" in row.last_error

    store.sandbox.control("DELETE", "/faults")
    row = cancel_order(db.session, cancellation.id)
    assert row.status == CancellationStatus.SENT and row.attempts == 2
    assert _orders(merchant)[placed["name"]].is_cancelled
