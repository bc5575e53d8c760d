"""The stock push against the Shopify sandbox: coalesced, resent under its key, refusals fixed, counts, the sweeper."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from ismartsync.extensions import db
from ismartsync.models import (
    BatchStatus,
    MovementKind,
    OutboxStatus,
    StockLevel,
    SyncBatch,
    Variant,
)
from ismartsync.models.base import utcnow
from ismartsync.pipelines import stock_push
from ismartsync.pipelines.shopify_client import open_client
from ismartsync.services.stock.ledger import level_of, record_movement
from ismartsync.services.stock.push import claim_batch
from jobs import sync
from tests.conftest import REDIS_URL
from tests.pipelines.stock import adjust_requests, entries, sell, shopify_movements
from tests.sandbox_fixtures import SHOP
from tests.shopify.fixtures import install_with_oauth


def test_a_sale_reaches_shopify_once_with_its_reason_and_reference(synced, run_jobs):
    variant = synced.variants(1)[0]
    before = synced.shopify_on_hand(variant)
    sell(synced, variant, 2, reference="gid://ismartsync/Sale/41")
    run_jobs("shopify")

    assert synced.shopify_on_hand(variant) == before - 2
    [entry] = entries(variant)
    assert entry.status == OutboxStatus.APPLIED
    batch = db.session.get(SyncBatch, entry.batch_id)
    assert (batch.status, batch.reason, batch.reference) == (
        BatchStatus.APPLIED,
        "correction",
        "gid://ismartsync/Sale/41",
    )
    [request] = adjust_requests(synced)
    assert request["idempotency_keys"] == [batch.idempotency_key]
    assert '"changeFromQuantity": null' in batch.request
    assert not shopify_movements(variant)


def test_many_sales_are_coalesced_into_one_change_per_item(synced, run_jobs, app):
    variants = synced.variants(3)
    befores = [synced.shopify_on_hand(v) for v in variants]
    for variant in variants:
        for _ in range(3):
            record_movement(db.session, variant=variant, branch=synced.branch, delta=-1, kind=MovementKind.SALE)
    db.session.commit()
    run_jobs("shopify")

    assert [synced.shopify_on_hand(v) for v in variants] == [b - 3 for b in befores]
    batches = db.session.scalars(sa.select(SyncBatch).where(SyncBatch.merchant_id == synced.merchant_id)).all()
    assert [(b.status, b.changes) for b in batches] == [(BatchStatus.APPLIED, 3)]
    assert batches[0].reference == f"gid://ismartsync/SyncBatch/{batches[0].id}"


def test_a_sale_while_shopify_is_down_waits_and_is_applied_once_when_it_returns(synced, run_jobs):
    variant = synced.variants(1)[0]
    before = synced.shopify_on_hand(variant)
    synced.sandbox.control("POST", "/faults", {"mode": 503, "count": 100, "target": "graphql"})
    sell(synced, variant, 1)
    run_jobs("shopify")
    [entry] = entries(variant)
    batch = db.session.get(SyncBatch, entry.batch_id)
    assert (entry.status, batch.status) == (OutboxStatus.SENDING, BatchStatus.RETRY)
    assert "did not answer" in batch.error
    key = batch.idempotency_key

    synced.sandbox.control("DELETE", "/faults")
    batch.next_attempt_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    sync.sweep()
    run_jobs("shopify")

    db.session.expire_all()
    assert (batch.status, batch.idempotency_key) == (BatchStatus.APPLIED, key)
    assert synced.shopify_on_hand(variant) == before - 1


def test_a_timeout_after_shopify_applied_is_resent_with_the_same_key_and_applied_once(
    synced, run_jobs, app, monkeypatch
):
    variant = synced.variants(1)[0]
    before = synced.shopify_on_hand(variant)
    monkeypatch.setitem(app.config, "SHOPIFY_TIMEOUT_SECONDS", 0.5)
    synced.sandbox.control(
        "POST", "/faults", {"mode": "timeout", "apply": True, "delay_ms": 1500, "operation": "InventoryAdjust"}
    )
    sell(synced, variant, 1)
    run_jobs("shopify")

    assert synced.shopify_on_hand(variant) == before - 1
    [entry] = entries(variant)
    assert entry.status == OutboxStatus.APPLIED
    keys = synced.sandbox.control("GET", f"/idempotency?shop={SHOP}")["keys"]
    [record] = [k for k in keys if k["mutation"] == "inventoryAdjustQuantities"]
    assert record["applied"] and record["replays"] >= 1


def test_a_batch_left_sending_by_a_dead_worker_is_taken_over_with_its_key(synced, run_jobs, app, monkeypatch):
    variant = synced.variants(1)[0]
    before = synced.shopify_on_hand(variant)
    monkeypatch.setitem(app.config, "SYNC_STALE_SECONDS", 1)
    record_movement(db.session, variant=variant, branch=synced.branch, delta=-1, kind=MovementKind.SALE)
    # A worker claims the batch and dies before sending (the push job of this commit is dropped with it).
    db.session.flush()
    claimed_at = utcnow() - timedelta(seconds=5)
    batch = claim_batch(db.session, synced.merchant_id, now=claimed_at, stale_after=timedelta(seconds=1))
    db.session.info.clear()
    db.session.commit()
    key = batch.idempotency_key
    sync.sweep()
    run_jobs("shopify")

    db.session.expire_all()
    assert (batch.status, batch.idempotency_key, batch.attempts) == (BatchStatus.APPLIED, key, 2)
    assert synced.shopify_on_hand(variant) == before - 1


def test_an_item_not_stocked_at_the_location_is_activated_there(synced, run_jobs, merchant):
    stocked = sa.select(StockLevel.variant_id).where(StockLevel.branch_id == synced.branch.id)
    variant = db.session.scalars(
        sa.select(Variant)
        .where(Variant.merchant_id == merchant.id, Variant.tracked.is_(True), ~Variant.id.in_(stocked))
        .order_by(Variant.id)
    ).first()
    if variant is None:
        pytest.skip("the seeded shop stocks every item at this location")
    record_movement(db.session, variant=variant, branch=synced.branch, delta=4, kind=MovementKind.TRANSFER_IN)
    db.session.commit()
    run_jobs("shopify")

    assert synced.shopify_on_hand(variant) == 4
    assert [e.status for e in entries(variant)] == [OutboxStatus.APPLIED]


def test_an_item_shopify_does_not_track_is_skipped_with_a_reason_and_the_rest_go(synced, run_jobs):
    untracked, other = synced.variants(2)
    before = synced.shopify_on_hand(other)
    synced.sandbox.control(
        "POST", f"/shops/{SHOP}/variants/{untracked.shopify_id.rsplit('/', 1)[1]}", {"tracked": False}
    )
    record_movement(db.session, variant=untracked, branch=synced.branch, delta=-1, kind=MovementKind.SALE)
    record_movement(db.session, variant=other, branch=synced.branch, delta=-1, kind=MovementKind.SALE)
    db.session.commit()
    run_jobs("shopify")

    [skipped] = entries(untracked)
    assert skipped.status == OutboxStatus.SKIPPED and "does not track" in skipped.error
    assert db.session.get(Variant, untracked.id).sync_skip_reason
    assert [e.status for e in entries(other)] == [OutboxStatus.APPLIED]
    assert synced.shopify_on_hand(other) == before - 1


def test_a_count_sets_shopify_to_the_counted_quantity_over_changes_made_there(synced, run_jobs):
    variant = synced.variants(1)[0]
    level = level_of(db.session, variant, synced.branch)
    synced.set_in_shopify(variant, level + 3)  # unseen by us: the count must win
    record_movement(db.session, variant=variant, branch=synced.branch, delta=-2, kind=MovementKind.SALE)
    record_movement(db.session, variant=variant, branch=synced.branch, delta=5 - (level - 2), kind=MovementKind.COUNT)
    db.session.commit()
    run_jobs("shopify")

    assert synced.shopify_on_hand(variant) == 5
    assert [e.status for e in entries(variant)] == [OutboxStatus.APPLIED, OutboxStatus.APPLIED]
    [request] = adjust_requests(synced)
    assert request["operation_name"] == "InventorySet"


@pytest.mark.skipif(not REDIS_URL, reason="needs ISMARTSYNC_TEST_REDIS_URL: without Redis jobs run in-process")
def test_the_sweeper_pushes_a_sale_whose_job_was_lost_while_redis_was_down(synced, run_jobs, app):
    variant = synced.variants(1)[0]
    before = synced.shopify_on_hand(variant)
    saved = app.extensions.pop("ismartsync_redis", None)
    app.config["REDIS_URL"] = "redis://127.0.0.1:1/0"  # nothing listens there
    try:
        sell(synced, variant, 1)  # the sale commits; its push job cannot be enqueued
    finally:
        app.config["REDIS_URL"] = REDIS_URL
        app.extensions.pop("ismartsync_redis", None)
        if saved is not None:
            app.extensions["ismartsync_redis"] = saved
    run_jobs("shopify")
    [entry] = entries(variant)
    assert entry.status == OutboxStatus.PENDING
    entry.created_at = utcnow() - timedelta(minutes=1)
    db.session.commit()

    sync.sweep()
    run_jobs("shopify")

    assert [e.status for e in entries(variant)] == [OutboxStatus.APPLIED]
    assert synced.shopify_on_hand(variant) == before - 1


def test_a_count_meeting_a_change_in_shopify_reads_again_and_still_sets_the_count(synced, run_jobs, app, monkeypatch):
    variant = synced.variants(1)[0]
    level = level_of(db.session, variant, synced.branch)
    monkeypatch.setitem(app.config, "SYNC_STALE_SECONDS", 1)
    record_movement(db.session, variant=variant, branch=synced.branch, delta=2 - level, kind=MovementKind.COUNT)
    db.session.flush()
    batch = claim_batch(
        db.session, synced.merchant_id, now=utcnow() - timedelta(seconds=5), stale_after=timedelta(seconds=1)
    )
    db.session.info.clear()  # this worker reads Shopify, stores the request, and dies before sending
    db.session.commit()
    with open_client(db.session, synced.merchant_id) as client:
        stock_push._request(db.session, client, batch)
    synced.set_in_shopify(variant, level + 6)  # meanwhile someone changes it in Shopify

    sync.sweep()
    run_jobs("shopify")

    assert synced.shopify_on_hand(variant) == 2
    sets = [
        r
        for r in synced.sandbox.control("GET", f"/requests?shop={SHOP}")["requests"]
        if r["operation_name"] == "InventorySet"
    ]
    assert [r["user_errors"] for r in sets] == [1, 0]
    assert sets[0]["idempotency_keys"] != sets[1]["idempotency_keys"]
    assert [e.status for e in entries(variant)] == [OutboxStatus.APPLIED]


def test_a_401_mid_push_renews_the_token_once_and_the_sale_is_applied_once(synced, run_jobs, shopify_app, owner):
    install_with_oauth(shopify_app, owner)  # the store now holds an expiring token and a refresh token
    variant = synced.variants(1)[0]
    before = synced.shopify_on_hand(variant)
    synced.sandbox.control("POST", "/clock", {"advance_seconds": 3601})  # Shopify's hour is up; ours says not yet
    sell(synced, variant, 1)
    run_jobs("shopify")

    assert synced.shopify_on_hand(variant) == before - 1
    [entry] = entries(variant)
    batch = db.session.get(SyncBatch, entry.batch_id)
    assert (entry.status, batch.status, batch.attempts) == (OutboxStatus.APPLIED, BatchStatus.APPLIED, 1)
    sent = adjust_requests(synced)
    assert [r["status"] for r in sent] == [401, 200]
    assert sent[1]["idempotency_keys"] == [batch.idempotency_key]
    assert sum(t.uses for t in synced.sandbox.sandbox.auth.refresh_tokens.values()) == 1


# Shopify's idempotency answers (InventoryAdjustQuantitiesUserErrorCode / InventorySetQuantitiesUserErrorCode).


def test_a_key_whose_attempt_failed_in_shopify_is_replaced_and_the_sale_applied_once(synced, run_jobs):
    """HTTP 500 after Shopify recorded the key: the same key again answers IDEMPOTENCY_PREVIOUS_ATTEMPT_FAILED, so
    the batch goes again at once under a new key (nothing was applied under the first)."""
    variant = synced.variants(1)[0]
    before = synced.shopify_on_hand(variant)
    synced.sandbox.control("POST", "/faults", {"mode": "attempt_failed", "operation": "InventoryAdjust"})
    sell(synced, variant, 1)
    run_jobs("shopify")

    assert synced.shopify_on_hand(variant) == before - 1
    [entry] = entries(variant)
    batch = db.session.get(SyncBatch, entry.batch_id)
    assert (entry.status, batch.status) == (OutboxStatus.APPLIED, BatchStatus.APPLIED)
    sent = adjust_requests(synced)
    assert [(r["status"], r["user_errors"]) for r in sent] == [(500, 0), (200, 1), (200, 0)]
    assert sent[0]["idempotency_keys"] == sent[1]["idempotency_keys"] != sent[2]["idempotency_keys"]
    assert sent[2]["idempotency_keys"] == [batch.idempotency_key]
    keys = {k["key"]: k for k in synced.sandbox.control("GET", f"/idempotency?shop={SHOP}")["keys"]}
    assert keys[sent[0]["idempotency_keys"][0]]["failed"] and keys[batch.idempotency_key]["applied"]


def test_a_key_still_in_progress_is_sent_again_with_the_same_key(synced, run_jobs):
    variant = synced.variants(1)[0]
    before = synced.shopify_on_hand(variant)
    synced.sandbox.control(
        "POST", "/faults", {"mode": "idempotency_in_progress", "count": 2, "operation": "InventoryAdjust"}
    )
    sell(synced, variant, 1)
    run_jobs("shopify")

    assert synced.shopify_on_hand(variant) == before - 1
    sent = adjust_requests(synced)
    assert [r["user_errors"] for r in sent] == [1, 1, 0]
    assert len({tuple(r["idempotency_keys"]) for r in sent}) == 1
    [entry] = entries(variant)
    assert entry.status == OutboxStatus.APPLIED


def _claimed_then_key_taken(synced, app, monkeypatch, send) -> SyncBatch:
    """A worker claims the batch and dies; meanwhile another request is sent to Shopify under the batch's key."""
    monkeypatch.setitem(app.config, "SYNC_STALE_SECONDS", 1)
    db.session.flush()
    batch = claim_batch(
        db.session, synced.merchant_id, now=utcnow() - timedelta(seconds=5), stale_after=timedelta(seconds=1)
    )
    db.session.info.clear()
    db.session.commit()
    with open_client(db.session, synced.merchant_id) as client:
        send(client, batch.idempotency_key)
    return batch


def test_an_adjustment_whose_key_holds_another_request_waits_for_a_person(synced, run_jobs, app, monkeypatch):
    """IDEMPOTENCY_KEY_PARAMETER_MISMATCH on a delta: whether it was applied cannot be told, so it is not sent again
    under a new key (that could apply it twice); Sync health shows why."""
    variant = synced.variants(1)[0]
    before = synced.shopify_on_hand(variant)
    record_movement(db.session, variant=variant, branch=synced.branch, delta=-1, kind=MovementKind.SALE)

    def other_adjustment(client, key):
        change = {"inventoryItemId": variant.inventory_item_id, "locationId": synced.location.shopify_id}
        variables = {
            "input": {
                "name": "available",
                "reason": "correction",
                "changes": [{**change, "delta": -5, "changeFromQuantity": None}],
            }
        }
        client.mutate("InventoryAdjust", variables, idempotency_key=key, payload="inventoryAdjustQuantities")

    batch = _claimed_then_key_taken(synced, app, monkeypatch, other_adjustment)
    sync.sweep()
    run_jobs("shopify")

    db.session.expire_all()
    assert batch.status == BatchStatus.FAILED and "whether this change was applied cannot be told" in batch.error
    assert [e.status for e in entries(variant)] == [OutboxStatus.FAILED]
    assert synced.shopify_on_hand(variant) == before - 5  # only the other request
    assert [r["user_errors"] for r in adjust_requests(synced)] == [0, 1]


def test_a_count_whose_key_holds_another_request_is_read_again_and_set(synced, run_jobs, app, monkeypatch):
    """The same answer on a count is harmless to act on: it is compare-and-set, read again and sent under a new key."""
    variant = synced.variants(1)[0]
    level = level_of(db.session, variant, synced.branch)
    record_movement(db.session, variant=variant, branch=synced.branch, delta=3 - level, kind=MovementKind.COUNT)

    def other_set(client, key):
        quantity = {"inventoryItemId": variant.inventory_item_id, "locationId": synced.location.shopify_id}
        on_hand = synced.shopify_on_hand(variant)
        variables = {
            "input": {
                "name": "on_hand",
                "reason": "correction",
                "quantities": [{**quantity, "quantity": 40, "changeFromQuantity": on_hand}],
            }
        }
        client.mutate("InventorySet", variables, idempotency_key=key, payload="inventorySetQuantities")

    batch = _claimed_then_key_taken(synced, app, monkeypatch, other_set)
    key = batch.idempotency_key
    sync.sweep()
    run_jobs("shopify")

    db.session.expire_all()
    assert batch.status == BatchStatus.APPLIED and batch.idempotency_key != key
    assert synced.shopify_on_hand(variant) == 3
    assert [r["user_errors"] for r in adjust_requests(synced)] == [0, 1, 0]


# A chain with 30 locations, the branch linked to the 30th.


def test_a_sale_at_the_30th_location_reaches_it(chain, run_jobs):
    variant = chain.variants(1)[0]
    before = chain.shopify_on_hand(variant)
    sell(chain, variant, 2)
    run_jobs("shopify")

    assert chain.shopify_on_hand(variant) == before - 2
    assert [e.status for e in entries(variant)] == [OutboxStatus.APPLIED]


def test_a_count_at_the_30th_location_compares_with_its_level_there(chain, run_jobs):
    """The count reads Shopify's on_hand at the 30th store (past the first page of levels) for its compare-and-set:
    read as 0 it would be refused as stale for ever."""
    variant = chain.variants(1)[0]
    level = level_of(db.session, variant, chain.branch)
    assert chain.shopify_on_hand(variant) == level > 0
    record_movement(db.session, variant=variant, branch=chain.branch, delta=2 - level, kind=MovementKind.COUNT)
    db.session.commit()
    run_jobs("shopify")

    assert chain.shopify_on_hand(variant) == 2
    [entry] = entries(variant)
    batch = db.session.get(SyncBatch, entry.batch_id)
    assert (entry.status, batch.status) == (OutboxStatus.APPLIED, BatchStatus.APPLIED)
    assert f'"changeFromQuantity": {level}' in batch.request
    sets = [r for r in adjust_requests(chain) if r["operation_name"] == "InventorySet"]
    assert [r["user_errors"] for r in sets] == [0]
