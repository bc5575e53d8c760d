"""Online orders in, against the Shopify sandbox: COD and card orders placed there reach the branch through the
incremental sync (the last 60 days the first time, then what changed with an overlap) and through their webhooks,
read again through the API, a duplicate delivery being one effect."""

from __future__ import annotations

import time
from typing import Any

import pytest
import sqlalchemy as sa

from ismartsync.extensions import db
from ismartsync.models import ShopifyLocation, WebhookEvent, WebhookStatus
from ismartsync.models.base import utcnow
from ismartsync.models.online_order import FulfilmentOrder, OnlineOrder, OrderSync, OrderSyncStatus
from ismartsync.pipelines.order_sync import sync_orders
from ismartsync.services.audit import Actor
from ismartsync.services.online_orders.intake import READ_MARGIN
from ismartsync.services.shopify_store.locations import map_branch
from tests.pipelines.test_webhooks import Store
from tests.sandbox_fixtures import SHOP, requests_log
from tests.shopify.synced import connect, import_catalog
from tests.shopify.webhooks import deliver

DAY = 86400
FULFIL = """mutation Fulfil($f: FulfillmentInput!) {
  fulfillmentCreate(fulfillment: $f) { fulfillment { id } userErrors { field message } } }"""


@pytest.fixture
def running(start_sandbox, use_sandbox, webhook_receiver):
    """A sandbox whose webhooks go to the receiver (handed to our endpoint by the test), not yet connected."""
    sandbox = start_sandbox(variants=40, app_url=webhook_receiver.url.removesuffix("/webhooks/shopify"))
    use_sandbox(sandbox)
    return sandbox


@pytest.fixture
def store(running, webhook_receiver, owner, merchant, branch, client, run_jobs) -> Store:
    """Connected (its first order sync run at the connect), imported, the branch linked to the first location."""
    connect(running, owner, run_jobs)
    import_catalog(owner, run_jobs)
    map_branch(db.session, Actor(owner), branch, _first_location(merchant))
    db.session.commit()
    store = Store(running, webhook_receiver, client, run_jobs)
    store.caught()
    return store


def _first_location(merchant) -> ShopifyLocation:
    return db.session.scalars(
        sa.select(ShopifyLocation)
        .where(ShopifyLocation.merchant_id == merchant.id, ShopifyLocation.active)
        .order_by(ShopifyLocation.id)
    ).first()


def _stocked(sandbox, count: int = 2) -> list[str]:
    """Variant ids with stock at the shop's first location."""
    levels = sandbox.control("GET", f"/shops/{SHOP}/inventory?limit=40")["levels"]
    first = min(int(level["location_id"].rsplit("/", 1)[1]) for level in levels)
    found = [
        level["variant_id"]
        for level in levels
        if level["tracked"] and level["available"] > 3 and level["location_id"].endswith(f"/{first}")
    ]
    return found[:count]


def _place(sandbox, variant_id: str, quantity: int = 1, **extra: Any) -> dict[str, Any]:
    return sandbox.control(
        "POST", f"/shops/{SHOP}/orders", {"lines": [{"variant_id": variant_id, "quantity": quantity}], **extra}
    )


def _orders(merchant) -> dict[str, OnlineOrder]:
    db.session.expire_all()
    rows = db.session.scalars(sa.select(OnlineOrder).where(OnlineOrder.merchant_id == merchant.id))
    return {order.name: order for order in rows}


def _reads(sandbox, operation: str) -> int:
    return sum(1 for r in requests_log(sandbox) if r.get("operation_name") == operation)


def test_the_first_sync_takes_the_orders_of_the_last_60_days(running, owner, merchant, run_jobs):
    first, second = _stocked(running)
    running.control("POST", "/clock", {"advance_seconds": -70 * DAY})
    old = _place(running, first)
    running.control("POST", "/clock", {"advance_seconds": 60 * DAY})
    recent = _place(running, first, 2)
    running.control("POST", "/clock", {"advance_seconds": 10 * DAY})
    card = _place(running, second, financial_status="PAID", gateway="shopify_payments")

    connect(running, owner, run_jobs)  # the connect's order sync

    orders = _orders(merchant)
    shown = {o["name"] for o in running.control("GET", f"/shops/{SHOP}/orders")["orders"]} - {old["name"]}
    assert sorted(orders) == sorted(shown) and {recent["name"], card["name"]} <= set(orders)
    assert old["name"] not in orders
    assert orders[recent["name"]].cod and orders[recent["name"]].financial_status == "PENDING"
    assert not orders[card["name"]].cod and orders[card["name"]].gateway_names == ["shopify_payments"]
    assert [line.quantity for line in orders[recent["name"]].lines] == [2]
    sync = db.session.scalar(sa.select(OrderSync).where(OrderSync.merchant_id == merchant.id))
    assert (sync.status, sync.orders_read, sync.last_error) == (OrderSyncStatus.IDLE, len(shown), "")
    assert sync.cursor == max(o.shopify_updated_at for o in orders.values())


def test_orders_synced_before_the_branch_was_linked_come_to_it_with_their_variants(
    running, owner, merchant, branch, run_jobs
):
    (variant_id,) = _stocked(running, 1)
    placed = _place(running, variant_id)
    connect(running, owner, run_jobs)
    order = _orders(merchant)[placed["name"]]
    assert order.fulfilment_orders[0].branch_id is None and order.lines[0].variant_id is None

    import_catalog(owner, run_jobs)
    map_branch(db.session, Actor(owner), branch, _first_location(merchant))
    db.session.commit()
    sync_orders(db.session, merchant.id)

    order = _orders(merchant)[placed["name"]]
    assert order.fulfilment_orders[0].branch_id == branch.id
    assert order.lines[0].variant is not None and order.lines[0].variant.shopify_id == variant_id


def test_the_incremental_sync_takes_new_and_changed_orders_and_reads_each_change_once(store, merchant, branch):
    first, second = _stocked(store.sandbox)
    cod = _place(store.sandbox, first)
    card = _place(store.sandbox, second, financial_status="PAID", gateway="Credit card")
    store.sandbox.control("DELETE", "/requests")
    # Read once their second has passed: an order read in the second it changed is read again by the next run.
    time.sleep(READ_MARGIN.total_seconds())

    assert sync_orders(db.session, merchant.id).read == 2

    orders = _orders(merchant)
    assert {name: orders[name].cod for name in (cod["name"], card["name"])} == {cod["name"]: True, card["name"]: False}
    (fo,) = orders[card["name"]].fulfilment_orders
    assert (fo.branch_id, fo.status, fo.shopify_id) == (branch.id, "OPEN", card["fulfillment_orders"][0]["id"])
    assert "CREATE_FULFILLMENT" in fo.supported_actions
    assert _reads(store.sandbox, "Order") == 2

    # Shopify fulfils the card order; the next run's overlap lists both again but reads only the changed one.
    answer = store.sandbox.graphql(
        FULFIL, {"f": {"lineItemsByFulfillmentOrder": [{"fulfillmentOrderId": fo.shopify_id}]}}
    ).json()
    assert answer["data"]["fulfillmentCreate"]["userErrors"] == []
    store.sandbox.control("DELETE", "/requests")
    result = sync_orders(db.session, merchant.id)

    assert result.listed >= 2 and result.read == 1
    orders = _orders(merchant)
    assert orders[card["name"]].fulfilment_status == "FULFILLED"
    assert [
        (f.status, [line.remaining_quantity for line in f.lines]) for f in orders[card["name"]].fulfilment_orders
    ] == [("CLOSED", [0])]
    assert orders[cod["name"]].fulfilment_status == "UNFULFILLED"
    assert _reads(store.sandbox, "Order") == 1


def test_an_order_webhook_brings_the_order_in_and_its_duplicate_is_one_effect(store, merchant, branch):
    (variant_id,) = _stocked(store.sandbox, 1)
    placed = _place(store.sandbox, variant_id, 3)
    (delivery,) = store.caught("orders/create")
    copy = {**delivery, "headers": {**delivery["headers"], "X-Shopify-Webhook-Id": "a-retry-with-a-new-id"}}

    events = store.post([delivery, delivery, copy])

    assert sorted(e.status for e in events) == [WebhookStatus.PROCESSED, WebhookStatus.PROCESSED]
    order = _orders(merchant)[placed["name"]]
    assert db.session.scalar(sa.select(sa.func.count()).where(OnlineOrder.shopify_id == placed["id"])) == 1
    assert [line.quantity for line in order.lines] == [3] and len(order.fulfilment_orders) == 1
    assert order.fulfilment_orders[0].branch_id == branch.id


def test_a_fulfilment_in_shopify_reaches_the_order_through_its_webhook(store, merchant):
    (variant_id,) = _stocked(store.sandbox, 1)
    placed = _place(store.sandbox, variant_id)
    store.post(store.caught("orders/create"))
    fo_id = placed["fulfillment_orders"][0]["id"]
    store.sandbox.graphql(FULFIL, {"f": {"lineItemsByFulfillmentOrder": [{"fulfillmentOrderId": fo_id}]}})

    events = store.post(store.caught("fulfillments/create"))

    assert [e.status for e in events] == [WebhookStatus.PROCESSED]
    order = _orders(merchant)[placed["name"]]
    assert order.fulfilment_status == "FULFILLED" and order.fulfilment_orders[0].status == "CLOSED"


@pytest.mark.parametrize("known", [True, False])
def test_a_fulfilment_order_webhook_reads_its_order_again(store, merchant, client, known):
    (variant_id,) = _stocked(store.sandbox, 1)
    placed = _place(store.sandbox, variant_id)
    if known:
        store.post(store.caught("orders/create"))
    fo_id = placed["fulfillment_orders"][0]["id"]
    body = f'{{"fulfillment_order": {{"id": "{fo_id}", "status": "open"}}}}'

    response = deliver(
        client, body, topic="fulfillment_orders/order_routing_complete", webhook_id=f"fo-{known}", secret=store.secret
    )
    store.run_jobs("shopify")

    assert response.status_code == 200
    event = db.session.scalar(sa.select(WebhookEvent).where(WebhookEvent.webhook_id == f"fo-{known}"))
    db.session.refresh(event)
    assert (event.status, event.error) == (WebhookStatus.PROCESSED, "")
    fo = db.session.scalar(sa.select(FulfilmentOrder).where(FulfilmentOrder.shopify_id == fo_id))
    assert fo is not None and fo.order.name == placed["name"]


def test_a_fulfilment_order_webhook_naming_nothing_known_is_ignored(store, client):
    body = '{"fulfillment_order": {"id": "gid://shopify/FulfillmentOrder/999999", "status": "open"}}'

    deliver(client, body, topic="fulfillment_orders/placed_on_hold", webhook_id="fo-unknown", secret=store.secret)
    store.run_jobs("shopify")

    event = db.session.scalar(sa.select(WebhookEvent).where(WebhookEvent.webhook_id == "fo-unknown"))
    db.session.refresh(event)
    assert event.status == WebhookStatus.IGNORED and "no fulfilment order" in event.error


def test_a_sync_already_running_is_not_started_twice(store, merchant):
    sync = db.session.scalar(sa.select(OrderSync).where(OrderSync.merchant_id == merchant.id))
    sync.status = OrderSyncStatus.RUNNING
    sync.started_at = utcnow()
    db.session.commit()

    assert sync_orders(db.session, merchant.id) is None


def test_a_fulfilment_order_moved_in_shopify_moves_to_the_other_branch(store, merchant, owner, branch):
    from tests import factories

    second = db.session.scalars(
        sa.select(ShopifyLocation)
        .where(ShopifyLocation.merchant_id == merchant.id, ShopifyLocation.active)
        .order_by(ShopifyLocation.id)
    ).all()[1]
    other = factories.BranchFactory(merchant=merchant, name="DHA Phase 5")
    map_branch(db.session, Actor(owner), other, second)
    db.session.commit()
    (variant_id,) = _stocked(store.sandbox, 1)
    placed = _place(store.sandbox, variant_id)
    store.post(store.caught("orders/create"))
    order_number = placed["id"].rsplit("/", 1)[1]
    fo_id = placed["fulfillment_orders"][0]["id"]

    store.sandbox.control(
        "POST",
        f"/shops/{SHOP}/orders/{order_number}/move",
        {"fulfillment_order_id": fo_id, "location_id": second.shopify_id},
    )
    events = store.post(store.caught("fulfillment_orders/moved"))

    assert [e.status for e in events] == [WebhookStatus.PROCESSED]
    order = _orders(merchant)[placed["name"]]
    open_ones = [fo for fo in order.fulfilment_orders if fo.status not in ("CLOSED", "CANCELLED")]
    assert [fo.branch_id for fo in open_ones] == [other.id]
