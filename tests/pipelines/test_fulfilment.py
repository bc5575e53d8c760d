"""Online orders leaving a branch under each workflow, against the Shopify sandbox: after the dispatch, the webhooks
(duplicated, reordered, the inventory update before the fulfilment) and a reconciliation, our level and Shopify's
on_hand agree, Shopify's committed has dropped, and no unit came off twice."""

from __future__ import annotations

import time
from typing import Any

import pytest
import sqlalchemy as sa

from ismartsync.extensions import db
from ismartsync.models import (
    Dispatch,
    DispatchStatus,
    DriftStatus,
    FulfilmentArrival,
    FulfilmentWorkflow,
    MovementKind,
    OutboxStatus,
    StockDrift,
    StockMovement,
    SyncOutboxEntry,
    Variant,
    WebhookStatus,
)
from ismartsync.models.online_order import FulfilmentOrder, OnlineOrder
from ismartsync.pipelines.order_sync import refresh_order, sync_orders
from ismartsync.pipelines.shopify_client import open_client
from ismartsync.services.audit import Actor
from ismartsync.services.online_orders.fulfilment import WrongItem, dispatch_fulfilment_order, pick_list, scan_item
from ismartsync.services.online_orders.intake import READ_MARGIN
from ismartsync.services.stock.ledger import ledger_sum, level_of
from ismartsync.services.stock.reconciliation import start_reconciliation
from tests.pipelines import test_order_sync as order_sync
from tests.pipelines.test_order_sync import _first_location, _place, _reads, _stocked
from tests.pipelines.test_webhooks import _import
from tests.sandbox_fixtures import SHOP

QUANTITY = 2
running, store = order_sync.running, order_sync.store  # the connected sandbox store of the order tests


def _variant(merchant, shopify_variant_gid: str) -> Variant:
    return db.session.scalar(
        sa.select(Variant).where(Variant.merchant_id == merchant.id, Variant.shopify_id == shopify_variant_gid)
    )


def _shopify(store, variant_gid: str, location_gid: str) -> dict[str, Any]:
    levels = store.control("GET", f"/inventory?variant_id={variant_gid}&location_id={location_gid}")["levels"]
    (level,) = [lv for lv in levels if lv["location_id"] == location_gid]
    return level


def _fulfilment_order(merchant, placed) -> FulfilmentOrder:
    db.session.expire_all()
    order = db.session.scalar(
        sa.select(OnlineOrder).where(OnlineOrder.merchant_id == merchant.id, OnlineOrder.name == placed["name"])
    )
    (fo,) = order.fulfilment_orders
    return fo


def _placed(store, merchant, owner, branch, workflow: FulfilmentWorkflow):
    """A COD order of QUANTITY of a stocked item, in through its webhook; the pair's figures before."""
    branch.fulfilment_workflow = workflow.value
    db.session.commit()
    _import(owner, store.run_jobs)  # the branch's opening stock, now that it is linked
    store.caught()
    (variant_gid,) = _stocked(store.sandbox, 1)
    location = _first_location(merchant)
    variant = _variant(merchant, variant_gid)
    before = _shopify(store, variant_gid, location.shopify_id)
    assert level_of(db.session, variant, branch) == before["on_hand"]  # in step to begin with
    placed = _place(store.sandbox, variant_gid, QUANTITY, payment="cod")
    store.post(store.caught("orders/create"))
    return placed, variant, variant_gid, location, before


def _dispatch(owner, fo, variant, key: str = "key-1", picked: dict[int, int] | None = None) -> Dispatch:
    if picked is None:
        lines = pick_list(db.session, fo, {})
        for _ in range(QUANTITY):
            scan_item(db.session, owner.merchant_id, lines, variant.barcode or variant.internal_barcode)
        picked = {p.line.id: p.picked for p in lines}
    dispatch = dispatch_fulfilment_order(
        db.session,
        Actor(owner),
        fo,
        key=key,
        picked=picked,
        courier="TCS",
        tracking_number="TCS123456",
    )
    db.session.commit()
    return dispatch


def _reconcile(store, owner) -> None:
    start_reconciliation(db.session, owner.merchant_id, trigger="manual")
    db.session.commit()
    store.run_jobs("shopify")
    db.session.expire_all()


def _assert_converged(store, merchant, branch, variant, variant_gid, location, before) -> None:
    db.session.expire_all()
    after = _shopify(store, variant_gid, location.shopify_id)
    ours = level_of(db.session, variant, branch)
    assert after["on_hand"] == before["on_hand"] - QUANTITY  # Shopify took the units off once
    assert after["committed"] == before["committed"]  # and no longer holds them for the order
    assert ours == after["on_hand"] == ledger_sum(db.session, variant, branch)  # ours once, the same figure
    drifts = db.session.scalars(sa.select(StockDrift).where(StockDrift.status == DriftStatus.OPEN)).all()
    assert drifts == []
    awaiting = db.session.scalars(
        sa.select(SyncOutboxEntry).where(SyncOutboxEntry.status.in_((OutboxStatus.AWAITING, OutboxStatus.PENDING)))
    ).all()
    assert awaiting == []


def test_smart_fulfilment_dispatch_tells_shopify_once_and_both_sides_agree(store, merchant, owner, branch):
    placed, variant, variant_gid, location, before = _placed(store, merchant, owner, branch, FulfilmentWorkflow.SMART)
    fo = _fulfilment_order(merchant, placed)

    dispatch = _dispatch(owner, fo, variant)
    again = _dispatch(owner, fo, variant, picked={line.id: QUANTITY for line in fo.lines})  # the form sent twice

    assert again.id == dispatch.id
    assert level_of(db.session, variant, branch) == before["on_hand"] - QUANTITY
    # Before the queue runs, a stock webhook for the pair sets it aside instead of taking Shopify's figure.
    store.control(
        "POST", "/inventory", {"variant_id": variant_gid, "location_id": location.shopify_id, "adjust_on_hand": 0}
    )
    store.post(store.caught("inventory_levels/update"))
    assert level_of(db.session, variant, branch) == before["on_hand"] - QUANTITY

    store.run_jobs("shopify")  # fulfillmentCreate

    db.session.expire_all()
    dispatch = db.session.get(Dispatch, dispatch.id)
    assert dispatch.status == DispatchStatus.DONE and dispatch.shopify_fulfillment_id
    assert _reads(store.sandbox, "FulfillmentCreate") == 1
    order = store.control("GET", f"/orders/{placed['id'].rsplit('/', 1)[1]}")
    assert order["fulfillments"][0]["tracking"][0]["number"] == "TCS123456"
    # Shopify's own webhooks arrive late, twice and in reverse; then a reconciliation.
    deliveries = store.caught()
    store.post(list(reversed(deliveries)) + deliveries)
    _reconcile(store, owner)
    _assert_converged(store, merchant, branch, variant, variant_gid, location, before)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Dispatch)) == 1


def test_a_refused_fulfilment_marks_the_dispatch_failed_and_stock_stays_in_step(store, merchant, owner, branch):
    placed, variant, variant_gid, location, before = _placed(store, merchant, owner, branch, FulfilmentWorkflow.SMART)
    fo = _fulfilment_order(merchant, placed)
    dispatch = _dispatch(owner, fo, variant)
    # Someone fulfils it in the admin first: our fulfillmentCreate is refused, and the order read settles ours.
    store.control("POST", f"/orders/{placed['id'].rsplit('/', 1)[1]}/fulfill", {})

    store.run_jobs("shopify")

    db.session.expire_all()
    assert db.session.get(Dispatch, dispatch.id).status == DispatchStatus.FAILED
    assert "Shopify refused" in db.session.get(Dispatch, dispatch.id).error
    store.post(store.caught())
    _reconcile(store, owner)
    assert db.session.get(Dispatch, dispatch.id).status == DispatchStatus.DONE
    _assert_converged(store, merchant, branch, variant, variant_gid, location, before)


@pytest.mark.parametrize("inventory_first", [True, False])
def test_manual_fulfilment_settles_when_shopify_shows_it(store, merchant, owner, branch, inventory_first):
    placed, variant, variant_gid, location, before = _placed(store, merchant, owner, branch, FulfilmentWorkflow.MANUAL)
    fo = _fulfilment_order(merchant, placed)

    dispatch = _dispatch(owner, fo, variant)
    store.run_jobs("shopify")

    assert db.session.get(Dispatch, dispatch.id).status == DispatchStatus.AWAITING
    assert _reads(store.sandbox, "FulfillmentCreate") == 0
    # A person fulfils it in Shopify; the inventory update may come before the fulfilment, and twice.
    store.control("POST", f"/orders/{placed['id'].rsplit('/', 1)[1]}/fulfill", {"tracking_number": "LEO1"})
    deliveries = store.caught()
    stock = [d for d in deliveries if d["headers"]["X-Shopify-Topic"] == "inventory_levels/update"]
    rest = [d for d in deliveries if d not in stock]
    for batch in (stock + rest + stock) if inventory_first else (rest + stock + rest):
        store.post([batch])
    assert level_of(db.session, variant, branch) == before["on_hand"] - QUANTITY

    _reconcile(store, owner)

    assert db.session.get(Dispatch, dispatch.id).status == DispatchStatus.DONE
    _assert_converged(store, merchant, branch, variant, variant_gid, location, before)


@pytest.mark.parametrize("inventory_first", [True, False])
def test_branch_sync_moves_the_branch_once_whichever_webhook_comes_first(
    store, merchant, owner, branch, inventory_first
):
    placed, variant, variant_gid, location, before = _placed(
        store, merchant, owner, branch, FulfilmentWorkflow.BRANCH_SYNC
    )

    store.control("POST", f"/orders/{placed['id'].rsplit('/', 1)[1]}/fulfill", {})
    deliveries = store.caught()
    stock = [d for d in deliveries if d["headers"]["X-Shopify-Topic"] == "inventory_levels/update"]
    rest = [d for d in deliveries if d not in stock]
    events = []
    for batch in (stock + rest + rest + stock) if inventory_first else (rest + stock + rest):
        events += store.post([batch])
    assert all(e.status in (WebhookStatus.PROCESSED, WebhookStatus.IGNORED) for e in events)
    _reconcile(store, owner)

    _assert_converged(store, merchant, branch, variant, variant_gid, location, before)
    order = db.session.scalar(sa.select(OnlineOrder).where(OnlineOrder.name == placed["name"]))
    (arrival,) = db.session.scalars(sa.select(FulfilmentArrival).where(FulfilmentArrival.order_id == order.id)).all()
    assert (arrival.quantity, arrival.accounted, arrival.taken) == (QUANTITY, 0, 0 if inventory_first else QUANTITY)
    kinds = db.session.scalars(
        sa.select(StockMovement.kind).where(StockMovement.variant_id == variant.id, StockMovement.delta < 0)
    ).all()
    assert kinds == [MovementKind.SHOPIFY if inventory_first else MovementKind.FULFILMENT]


def test_a_wrong_scan_is_refused_and_counts_nothing(store, merchant, owner, branch):
    placed, variant, *_ = _placed(store, merchant, owner, branch, FulfilmentWorkflow.SMART)
    fo = _fulfilment_order(merchant, placed)
    other = db.session.scalar(
        sa.select(Variant).where(Variant.merchant_id == merchant.id, Variant.id != variant.id, Variant.barcode != "")
    )
    lines = pick_list(db.session, fo, {})

    with pytest.raises(WrongItem, match="not on this order"):
        scan_item(db.session, merchant.id, lines, other.barcode)
    assert [p.picked for p in lines] == [0]
    with pytest.raises(Exception, match="Scan every item"):
        dispatch_fulfilment_order(
            db.session, Actor(owner), fo, key="k", picked={}, courier="TCS", tracking_number="TCS1"
        )
    assert SHOP


def test_an_order_whose_pair_is_in_flight_waits_and_the_sync_goes_on(store, merchant, owner, branch):
    """A dispatch not yet shown by Shopify holds its pair in flight: another order of that item fulfilled in Shopify
    meanwhile is left pending (not compared, nothing taken twice), the sync takes the other orders, and a later read
    of that order, once the dispatch settled, takes it."""
    placed, variant, variant_gid, location, before = _placed(store, merchant, owner, branch, FulfilmentWorkflow.MANUAL)
    _dispatch(owner, _fulfilment_order(merchant, placed), variant)  # awaiting Shopify: the pair is in flight
    fulfilled = _place(store.sandbox, variant_gid, 1, payment="cod")
    store.control("POST", f"/orders/{fulfilled['id'].rsplit('/', 1)[1]}/fulfill", {})  # in Shopify alone
    other = _place(store.sandbox, variant_gid, 1, payment="cod")
    store.caught()  # their webhooks are not delivered: the sync reads them
    time.sleep(READ_MARGIN.total_seconds())

    started = time.monotonic()
    result = sync_orders(db.session, merchant.id)

    assert result is not None and result.read >= 2 and time.monotonic() - started < 3  # no waiting on the pair
    orders = order_sync._orders(merchant)
    assert {fulfilled["name"], other["name"]} <= set(orders)
    (arrival,) = db.session.scalars(
        sa.select(FulfilmentArrival).where(FulfilmentArrival.order_id == orders[fulfilled["name"]].id)
    ).all()
    assert arrival.taken_at is None  # pending
    assert level_of(db.session, variant, branch) == before["on_hand"] - QUANTITY  # the dispatch only

    # The dispatch settles when Shopify shows it; the next read of the other order takes its arrival.
    store.control("POST", f"/orders/{placed['id'].rsplit('/', 1)[1]}/fulfill", {"tracking_number": "LEO1"})
    store.post(store.caught())
    with open_client(db.session, merchant.id) as client:
        refresh_order(db.session, client, merchant.id, fulfilled["id"])
    db.session.commit()

    db.session.expire_all()
    arrival = db.session.get(FulfilmentArrival, arrival.id)
    assert arrival.taken_at is not None
    after = _shopify(store, variant_gid, location.shopify_id)
    assert after["on_hand"] == before["on_hand"] - QUANTITY - 1
    assert level_of(db.session, variant, branch) == after["on_hand"] == ledger_sum(db.session, variant, branch)
