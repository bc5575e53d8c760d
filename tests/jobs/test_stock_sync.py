"""The stock push, the re-read after a webhook and reconciliation, against the Shopify sandbox."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from ismartsync.extensions import db
from ismartsync.models import (
    BatchStatus,
    DriftStatus,
    MovementKind,
    OutboxStatus,
    Reconciliation,
    ReconciliationStatus,
    StockDrift,
    StockLevel,
    StockMovement,
    SyncBatch,
    SyncOutboxEntry,
    Variant,
)
from ismartsync.models.base import utcnow
from ismartsync.services.audit import Actor
from ismartsync.services.reconciliation import accept_shopify, push_ours, start_reconciliation
from ismartsync.services.stock import ledger_sum, level_of, record_movement
from ismartsync.services.stock_push import claim_batch
from jobs import sync
from tests.conftest import REDIS_URL
from tests.sandbox_fixtures import SHOP


def _sell(synced, variant: Variant, quantity: int = 1, reference: str = "") -> None:
    record_movement(
        db.session,
        variant=variant,
        branch=synced.branch,
        delta=-quantity,
        kind=MovementKind.SALE,
        reference=reference,
    )
    db.session.commit()


def _entries(variant: Variant) -> list[SyncOutboxEntry]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            sa.select(SyncOutboxEntry).where(SyncOutboxEntry.variant_id == variant.id).order_by(SyncOutboxEntry.id)
        )
    )


def _shopify_movements(variant: Variant) -> list[StockMovement]:
    return list(
        db.session.scalars(
            sa.select(StockMovement).where(
                StockMovement.variant_id == variant.id, StockMovement.kind == MovementKind.SHOPIFY
            )
        )
    )


def _adjust_requests(synced) -> list[dict]:
    requests = synced.sandbox.control("GET", f"/requests?shop={SHOP}")["requests"]
    return [r for r in requests if r["operation_name"] in ("InventoryAdjust", "InventorySet")]


def test_a_sale_reaches_shopify_once_with_its_reason_and_reference(synced, run_jobs):
    variant = synced.variants(1)[0]
    before = synced.shopify_on_hand(variant)
    _sell(synced, variant, 2, reference="gid://ismartsync/Sale/41")
    run_jobs("shopify")

    assert synced.shopify_on_hand(variant) == before - 2
    [entry] = _entries(variant)
    assert entry.status == OutboxStatus.APPLIED
    batch = db.session.get(SyncBatch, entry.batch_id)
    assert (batch.status, batch.reason, batch.reference) == (
        BatchStatus.APPLIED,
        "correction",
        "gid://ismartsync/Sale/41",
    )
    [request] = _adjust_requests(synced)
    assert request["idempotency_keys"] == [batch.idempotency_key]
    assert '"changeFromQuantity": null' in batch.request
    assert not _shopify_movements(variant)


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


def test_our_own_write_echoes_back_as_no_change(synced, run_jobs):
    variant = synced.variants(1)[0]
    _sell(synced, variant, 1)
    run_jobs("shopify")
    level = level_of(db.session, variant, synced.branch)

    counts = sync.refresh_stock(synced.merchant_id, [variant.inventory_item_id])

    assert counts["in_step"] == 1 and counts["changed"] == 0
    assert level_of(db.session, variant, synced.branch) == level
    assert not _shopify_movements(variant)


def test_a_change_made_in_shopify_is_recorded_and_never_pushed_back(synced, run_jobs):
    variant = synced.variants(1)[0]
    level = level_of(db.session, variant, synced.branch)
    synced.set_in_shopify(variant, level + 7)

    counts = sync.refresh_stock(synced.merchant_id, [variant.inventory_item_id], reference="gid://shopify/Test/1")
    run_jobs("shopify")

    assert counts["changed"] == 1
    assert level_of(db.session, variant, synced.branch) == level + 7
    assert ledger_sum(db.session, variant, synced.branch) == level + 7
    [movement] = _shopify_movements(variant)
    assert (movement.delta, movement.reference) == (7, "gid://shopify/Test/1")
    assert _entries(variant) == []
    assert synced.shopify_on_hand(variant) == level + 7
    # The same notice again (a duplicate delivery) finds nothing new.
    assert sync.refresh_stock(synced.merchant_id, [variant.inventory_item_id])["changed"] == 0


def test_a_webhook_older_than_our_last_read_is_already_covered(synced):
    variant = synced.variants(1)[0]
    sync.refresh_stock(synced.merchant_id, [variant.inventory_item_id])
    old = (utcnow() - timedelta(minutes=10)).isoformat()
    synced.set_in_shopify(variant, 1)

    counts = sync.refresh_stock(synced.merchant_id, [variant.inventory_item_id], triggered_at=old)

    assert counts["covered"] == 1 and counts["changed"] == 0


def test_a_sale_while_shopify_is_down_waits_and_is_applied_once_when_it_returns(synced, run_jobs):
    variant = synced.variants(1)[0]
    before = synced.shopify_on_hand(variant)
    synced.sandbox.control("POST", "/faults", {"mode": 503, "count": 100, "target": "graphql"})
    _sell(synced, variant, 1)
    run_jobs("shopify")
    [entry] = _entries(variant)
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
    _sell(synced, variant, 1)
    run_jobs("shopify")

    assert synced.shopify_on_hand(variant) == before - 1
    [entry] = _entries(variant)
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
    assert [e.status for e in _entries(variant)] == [OutboxStatus.APPLIED]


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

    [skipped] = _entries(untracked)
    assert skipped.status == OutboxStatus.SKIPPED and "does not track" in skipped.error
    assert db.session.get(Variant, untracked.id).sync_skip_reason
    assert [e.status for e in _entries(other)] == [OutboxStatus.APPLIED]
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
    assert [e.status for e in _entries(variant)] == [OutboxStatus.APPLIED, OutboxStatus.APPLIED]
    [request] = _adjust_requests(synced)
    assert request["operation_name"] == "InventorySet"


@pytest.mark.skipif(not REDIS_URL, reason="needs ISMARTSYNC_TEST_REDIS_URL: without Redis jobs run in-process")
def test_the_sweeper_pushes_a_sale_whose_job_was_lost_while_redis_was_down(synced, run_jobs, app):
    variant = synced.variants(1)[0]
    before = synced.shopify_on_hand(variant)
    saved = app.extensions.pop("ismartsync_redis", None)
    app.config["REDIS_URL"] = "redis://127.0.0.1:1/0"  # nothing listens there
    try:
        _sell(synced, variant, 1)  # the sale commits; its push job cannot be enqueued
    finally:
        app.config["REDIS_URL"] = REDIS_URL
        app.extensions.pop("ismartsync_redis", None)
        if saved is not None:
            app.extensions["ismartsync_redis"] = saved
    run_jobs("shopify")
    [entry] = _entries(variant)
    assert entry.status == OutboxStatus.PENDING
    entry.created_at = utcnow() - timedelta(minutes=1)
    db.session.commit()

    sync.sweep()
    run_jobs("shopify")

    assert [e.status for e in _entries(variant)] == [OutboxStatus.APPLIED]
    assert synced.shopify_on_hand(variant) == before - 1


def _reconcile(synced, run_jobs, owner=None) -> Reconciliation:
    run = start_reconciliation(db.session, synced.merchant_id, trigger="manual", actor=Actor(owner) if owner else None)
    db.session.commit()
    run_jobs("shopify")
    db.session.refresh(run)
    assert run.status == ReconciliationStatus.SUCCEEDED, run.error
    return run


def test_reconciliation_allows_for_changes_still_on_their_way(synced, run_jobs, app):
    variant = synced.variants(1)[0]
    synced.sandbox.control("POST", "/faults", {"mode": 503, "count": 100, "operation": "InventoryAdjust"})
    _sell(synced, variant, 2)
    run_jobs("shopify")
    synced.sandbox.control("DELETE", "/faults")

    run = _reconcile(synced, run_jobs)

    assert run.checked > 0 and run.drifted == 0


def test_reconciliation_finds_a_missed_shopify_change_and_accept_shopify_records_it(synced, run_jobs, owner):
    variant = synced.variants(1)[0]
    level = level_of(db.session, variant, synced.branch)
    synced.set_in_shopify(variant, level - 4)  # its webhook never came

    run = _reconcile(synced, run_jobs, owner)

    assert run.drifted == 1
    drift = db.session.scalars(sa.select(StockDrift).where(StockDrift.variant_id == variant.id)).one()
    assert (drift.local_quantity, drift.shopify_on_hand, drift.drift) == (level, level - 4, -4)
    accept_shopify(db.session, Actor(owner), drift)
    db.session.commit()
    assert drift.status == DriftStatus.ACCEPTED
    assert level_of(db.session, variant, synced.branch) == level - 4
    assert _reconcile(synced, run_jobs).drifted == 0


def test_push_ours_makes_shopify_agree_with_the_branch(synced, run_jobs, owner):
    variant = synced.variants(1)[0]
    level = level_of(db.session, variant, synced.branch)
    synced.set_in_shopify(variant, level + 9)
    _reconcile(synced, run_jobs)
    drift = db.session.scalars(sa.select(StockDrift).where(StockDrift.variant_id == variant.id)).one()

    push_ours(db.session, Actor(owner), drift)
    db.session.commit()
    run_jobs("shopify")

    assert drift.status == DriftStatus.PUSHED
    assert synced.shopify_on_hand(variant) == level
    assert level_of(db.session, variant, synced.branch) == level


def test_the_echo_of_our_own_batch_is_recognised_without_reading_shopify(synced, run_jobs):
    variant = synced.variants(1)[0]
    _sell(synced, variant, 1)
    run_jobs("shopify")
    echo = synced.shopify_level(variant)["available"]  # what Shopify's inventory_levels/update would announce
    synced.sandbox.control("DELETE", "/requests")

    counts = sync.refresh_stock(
        synced.merchant_id,
        [variant.inventory_item_id],
        location_id=synced.location.shopify_id,
        announced_available=echo,
    )

    assert counts["covered"] == 1
    assert _shopify_requests(synced) == []
    # Another figure is news: Shopify is read, and an online order (available only) changes nothing of ours.
    counts = sync.refresh_stock(
        synced.merchant_id,
        [variant.inventory_item_id],
        location_id=synced.location.shopify_id,
        announced_available=echo - 1,
    )
    assert counts["in_step"] == 1
    assert _shopify_requests(synced) == ["VariantInventoryLevels"]
    assert not _shopify_movements(variant)


def _shopify_requests(synced) -> list[str]:
    return [r["operation_name"] for r in synced.sandbox.control("GET", f"/requests?shop={SHOP}")["requests"]]


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
    with sync._client(synced.merchant_id) as client:
        sync._request(client, batch)
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
    assert [e.status for e in _entries(variant)] == [OutboxStatus.APPLIED]
