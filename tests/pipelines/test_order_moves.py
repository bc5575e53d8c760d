"""A manager moves a fulfilment order to another branch, against the Shopify sandbox: recorded and audited before
Shopify is asked, `fulfillmentOrderMove` sent from the job, the order read again so the branch follows Shopify's
answer; Shopify refusing is shown; Shopify down leaves it waiting for the retry, which never moves it twice."""

from __future__ import annotations

import re
from typing import Any

import pytest
import sqlalchemy as sa

from ismartsync.extensions import db
from ismartsync.models import AuditEntry, ShopifyLocation
from ismartsync.models.online_order import OnlineOrder
from ismartsync.models.order_work import FulfilmentOrderMove, MoveStatus
from ismartsync.pipelines.order_moves import move_fulfilment_order
from ismartsync.pipelines.order_sync import sync_orders
from ismartsync.services.audit import Actor
from ismartsync.services.shopify_store.locations import map_branch
from ismartsync.shopify.errors import ShopifyUnavailable
from tests import factories
from tests.sandbox_fixtures import SHOP, requests_log
from tests.shopify.synced import connect_and_import, import_catalog


@pytest.fixture
def two_branches(sandbox, shopify_app, merchant, owner, manager, branch, run_jobs) -> Any:
    """Gulberg linked to the shop's first location, DHA to its second, both with their opening stock, and a COD
    order at the first location of one item stocked at both, taken in by the order sync."""
    synced = connect_and_import(sandbox, merchant, owner, branch, run_jobs)
    dha = factories.BranchFactory(merchant=merchant, name="DHA Phase 5")
    locations = db.session.scalars(
        sa.select(ShopifyLocation)
        .where(ShopifyLocation.merchant_id == merchant.id, ShopifyLocation.active)
        .order_by(ShopifyLocation.id)
    ).all()
    map_branch(db.session, Actor(owner), dha, locations[1])
    db.session.commit()
    import_catalog(owner, run_jobs, "full")
    first, second = (loc.shopify_id.rsplit("/", 1)[1] for loc in locations[:2])
    levels = sandbox.control("GET", f"/shops/{SHOP}/inventory?limit=250")["levels"]
    at = {(lv["variant_id"], lv["location_id"].rsplit("/", 1)[1]): lv["available"] for lv in levels if lv["tracked"]}
    variant = next(v for (v, loc), n in at.items() if loc == first and n > 3 and at.get((v, second), 0) > 3)
    placed = sandbox.control(
        "POST", f"/shops/{SHOP}/orders", {"lines": [{"variant_id": variant, "quantity": 2}], "location_id": first}
    )
    sync_orders(db.session, merchant.id)
    order = db.session.scalar(sa.select(OnlineOrder).where(OnlineOrder.name == placed["name"]))
    assert order.fulfilment_orders[0].branch_id == branch.id
    return type("World", (), {"synced": synced, "dha": dha, "order": order, "placed": placed, "second": second})


def _form_key(html: str) -> str:
    return re.search(r'class="move-form".*?name="request_key" value="([^"]+)"', html, re.S).group(1)


def _sandbox_order(sandbox, world) -> dict[str, Any]:
    return sandbox.control("GET", f"/shops/{SHOP}/orders/{world.placed['id'].rsplit('/', 1)[1]}")


def _moves_sent(sandbox) -> int:
    return sum(1 for r in requests_log(sandbox) if r.get("operation_name") == "FulfillmentOrderMove")


def test_a_manager_moves_a_fulfilment_order_to_a_branch_with_the_stock(
    sandbox, browser, manager, branch, two_branches, run_jobs
):
    world = two_branches
    fo = world.order.fulfilment_orders[0]
    browser.sign_in(manager)
    page = browser.get(f"/online-orders/{world.order.id}").get_data(as_text=True)
    form = {"branch_id": str(world.dha.id), "request_key": _form_key(page)}

    asked = browser.post(f"/online-orders/fulfilment-orders/{fo.id}/moves", form, htmx=True)
    again = browser.post(f"/online-orders/fulfilment-orders/{fo.id}/moves", form, htmx=True)  # a double tap

    assert asked.status_code == 200 and "Moving to DHA Phase 5…" in asked.get_data(as_text=True)
    assert again.status_code == 200
    run_jobs("shopify")
    db.session.expire_all()
    (move,) = db.session.scalars(sa.select(FulfilmentOrderMove)).all()
    assert (move.status, move.attempts, move.message) == (MoveStatus.DONE, 1, "")
    assert _moves_sent(sandbox) == 1
    assert [(f.branch_id, f.status) for f in db.session.get(OnlineOrder, world.order.id).fulfilment_orders] == [
        (world.dha.id, "OPEN")
    ]
    shown = _sandbox_order(sandbox, world)["fulfillment_orders"]
    assert [str(f["location_id"]).rsplit("/", 1)[1] for f in shown if f["status"] == "OPEN"] == [world.second]
    actions = db.session.scalars(
        sa.select(AuditEntry.action).where(AuditEntry.action.like("online_order.move%")).order_by(AuditEntry.id)
    ).all()
    assert actions == ["online_order.move_requested", "online_order.move_done"]
    after = browser.get(f"/online-orders/{world.order.id}/fulfilment").get_data(as_text=True)
    assert "Moving to" not in after and "moved to DHA Phase 5" in after and "every 2s" not in after


def test_shopify_refusing_the_move_is_shown_and_the_branch_stays(
    sandbox, browser, manager, branch, two_branches, run_jobs
):
    world = two_branches
    fo = world.order.fulfilment_orders[0]
    browser.sign_in(manager)
    page = browser.get(f"/online-orders/{world.order.id}").get_data(as_text=True)
    # Shopify moved it elsewhere meanwhile (the admin's "Change location"), and our page is stale: its location
    # is now the second one, so Shopify refuses a move "to the same location".
    sandbox.control(
        "POST",
        f"/shops/{SHOP}/orders/{world.placed['id'].rsplit('/', 1)[1]}/move",
        {"fulfillment_order_id": fo.shopify_id, "location_id": world.second},
    )

    browser.post(
        f"/online-orders/fulfilment-orders/{fo.id}/moves",
        {"branch_id": str(world.dha.id), "request_key": _form_key(page)},
    )
    run_jobs("shopify")

    db.session.expire_all()
    (move,) = db.session.scalars(sa.select(FulfilmentOrderMove)).all()
    assert move.status == MoveStatus.REFUSED and move.message.startswith("Shopify refused the move")
    # The order read again follows Shopify: at DHA all the same.
    assert db.session.get(OnlineOrder, world.order.id).fulfilment_orders[0].branch_id == world.dha.id
    html = browser.get(f"/online-orders/{world.order.id}").get_data(as_text=True)
    assert "not moved to DHA Phase 5: Shopify refused the move" in html


def test_shopify_down_leaves_the_move_waiting_and_the_retry_never_moves_twice(
    sandbox, browser, manager, branch, two_branches, run_jobs
):
    world = two_branches
    fo = world.order.fulfilment_orders[0]
    browser.sign_in(manager)
    page = browser.get(f"/online-orders/{world.order.id}").get_data(as_text=True)
    sandbox.control("POST", "/faults", {"mode": "502", "count": 1, "operation": "FulfillmentOrderMove"})

    browser.post(
        f"/online-orders/fulfilment-orders/{fo.id}/moves",
        {"branch_id": str(world.dha.id), "request_key": _form_key(page)},
    )
    run_jobs("shopify")

    db.session.expire_all()
    (move,) = db.session.scalars(sa.select(FulfilmentOrderMove)).all()
    assert move.status == MoveStatus.PENDING and "could not be reached" in move.message
    waiting = browser.get(f"/online-orders/{world.order.id}").get_data(as_text=True)
    assert "Moving to DHA Phase 5…" in waiting and "Try again now" in waiting
    assert 'hx-trigger="every 15s"' in waiting  # Shopify is down: the page asks less often
    # The answer was lost but the move went through in Shopify: the retry reads the order first and does not ask again.
    sandbox.control(
        "POST",
        f"/shops/{SHOP}/orders/{world.placed['id'].rsplit('/', 1)[1]}/move",
        {"fulfillment_order_id": fo.shopify_id, "location_id": world.second},
    )
    sandbox.control("DELETE", "/requests")

    settled = move_fulfilment_order(db.session, move.id)

    assert settled.status == MoveStatus.DONE and settled.attempts == 2
    assert _moves_sent(sandbox) == 0
    assert db.session.get(OnlineOrder, world.order.id).fulfilment_orders[0].branch_id == world.dha.id


def test_shopify_unreachable_raises_for_the_jobs_retry(sandbox, manager, branch, two_branches):
    world = two_branches
    fo = world.order.fulfilment_orders[0]
    move = FulfilmentOrderMove(
        merchant_id=fo.merchant_id,
        fulfilment_order_id=fo.id,
        order_id=fo.order_id,
        fulfilment_order_shopify_id=fo.shopify_id,
        to_branch_id=world.dha.id,
        to_shopify_location_id=f"gid://shopify/Location/{world.second}",
        request_key="job-retry",
        requested_by_id=manager.id,
    )
    db.session.add(move)
    db.session.commit()
    sandbox.control("POST", "/faults", {"mode": "503", "count": 20, "operation": "FulfillmentOrderMove"})

    with pytest.raises(ShopifyUnavailable):
        move_fulfilment_order(db.session, move.id)
    sandbox.control("DELETE", "/faults")
    settled = move_fulfilment_order(db.session, move.id)

    assert settled.status == MoveStatus.DONE and settled.attempts == 2
    assert db.session.get(OnlineOrder, world.order.id).fulfilment_orders[0].branch_id == world.dha.id
