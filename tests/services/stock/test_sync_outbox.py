"""The sync outbox, called directly: which movements Shopify must hear of, what is still unsent or on its way, and
the per-pair sync states and versions the readers compare."""

from __future__ import annotations

import os

import pytest
import sqlalchemy as sa

from ismartsync.extensions import db
from ismartsync.models import InventorySyncState, MovementKind, OutboxStatus, SyncOutboxEntry
from ismartsync.queue import get_queue
from ismartsync.services.stock.ledger import record_movement
from ismartsync.services.stock.sync_outbox import (
    PUSH_JOB,
    is_sending,
    lock_states,
    queue_movement,
    state_versions,
    sync_state,
    unsent_sum,
    versions_of,
)
from tests import factories
from tests.services.stock.conftest import LOCATION, link


def move(variant, branch, delta: int, kind: MovementKind = MovementKind.SALE, reference: str = ""):
    return record_movement(
        db.session, variant=variant, branch=branch, delta=delta, kind=kind, reference=reference
    ).movement


def entries() -> list[SyncOutboxEntry]:
    return list(db.session.scalars(sa.select(SyncOutboxEntry).order_by(SyncOutboxEntry.id)))


def test_a_movement_is_queued_once_its_branch_is_linked_with_the_location_item_delta_and_reference(variant, branch):
    move(variant, branch, 10, MovementKind.ADJUSTMENT)
    sale = move(variant, branch, -2, reference="gid://ismartsync/Sale/7")
    count = move(variant, branch, 1, MovementKind.COUNT)
    assert queue_movement(db.session, sale, variant) is None and entries() == []  # no Shopify location yet

    link(branch, LOCATION)
    queued = [queue_movement(db.session, movement, variant) for movement in (sale, count)]
    db.session.flush()

    assert entries() == queued
    assert [
        (e.variant_id, e.branch_id, e.inventory_item_id, e.location_id, e.kind, e.delta, e.quantity_after, e.status)
        for e in queued
    ] == [
        (variant.id, branch.id, variant.inventory_item_id, LOCATION, "sale", -2, 8, "pending"),
        (variant.id, branch.id, variant.inventory_item_id, LOCATION, "count", 1, 9, "pending"),
    ]
    # Shopify is told which document moved the stock: the sale's own id, or the movement's when it has none.
    assert [e.reference for e in queued] == ["gid://ismartsync/Sale/7", f"gid://ismartsync/StockMovement/{count.id}"]


@pytest.mark.parametrize("kind", [MovementKind.SHOPIFY, MovementKind.OPENING])
def test_movements_that_came_from_shopify_are_never_queued(variant, branch, location, kind):
    movement = move(variant, branch, 3, kind)

    assert queue_movement(db.session, movement, variant) is None
    assert entries() == []


@pytest.mark.parametrize(
    "change",
    [{"tracked": False}, {"inventory_item_id": None}, {"sync_skip_reason": "Bundle: Shopify keeps no quantity"}],
)
def test_a_variant_shopify_keeps_no_quantity_of_is_never_queued(merchant, branch, location, change):
    variant = factories.VariantFactory(product__merchant=merchant, **change)
    movement = move(variant, branch, -1)

    assert queue_movement(db.session, movement, variant) is None
    assert entries() == []


def test_a_location_no_longer_active_in_shopify_is_not_a_link(variant, branch):
    link(branch, LOCATION, active=False)

    assert queue_movement(db.session, move(variant, branch, -1), variant) is None
    assert entries() == []


@pytest.mark.skipif(not os.environ.get("ISMARTSYNC_TEST_REDIS_URL"), reason="without Redis the push runs at commit")
def test_a_sale_of_several_lines_asks_for_one_push_after_the_commit(merchant, branch, location):
    shopify = get_queue("shopify")
    shopify.empty()
    first, second = (factories.VariantFactory(product__merchant=merchant) for _ in range(2))
    move(first, branch, -1)
    move(second, branch, -2)
    assert shopify.count == 0  # nothing before the commit

    db.session.commit()

    try:
        assert [(job.func_name, job.args) for job in shopify.get_jobs()] == [(PUSH_JOB, (merchant.id,))]
    finally:
        shopify.empty()  # the job belongs to this test's rolled-back rows


def test_unsent_is_what_shopify_has_not_got_yet_for_the_pair(merchant, variant, branch, location):
    other = factories.VariantFactory(product__merchant=merchant)
    for delta in (-1, -2, -4, -8, -16):
        move(variant, branch, delta)
    move(other, branch, -32)
    applied, sending, failed, skipped, _pending = entries()[:5]
    applied.status, sending.status = OutboxStatus.APPLIED, OutboxStatus.SENDING
    failed.status, skipped.status = OutboxStatus.FAILED, OutboxStatus.SKIPPED
    db.session.flush()

    # Sending and failed changes are not in Shopify yet; applied and skipped ones never will be sent again.
    assert unsent_sum(db.session, variant.id, branch.id) == -2 - 4 - 16
    assert unsent_sum(db.session, other.id, branch.id) == -32
    assert unsent_sum(db.session, variant.id, factories.BranchFactory(merchant=merchant).id) == 0


def test_a_pair_is_sending_while_a_batch_with_it_is_on_its_way(merchant, variant, branch, location):
    other = factories.VariantFactory(product__merchant=merchant)
    move(variant, branch, -1)
    move(other, branch, -1)
    assert not is_sending(db.session, variant.id, branch.id)  # waiting for the push, not on its way

    entries()[0].status = OutboxStatus.SENDING
    db.session.flush()

    assert is_sending(db.session, variant.id, branch.id)
    assert not is_sending(db.session, other.id, branch.id)


def test_a_pairs_sync_state_is_made_once_at_version_zero(merchant, variant, branch):
    state = sync_state(db.session, merchant.id, variant.id, branch.id)
    assert (state.merchant_id, state.version, state.shopify_on_hand, state.read_at) == (merchant.id, 0, None, None)
    state.version = 4
    db.session.flush()

    again = sync_state(db.session, merchant.id, variant.id, branch.id, lock=True)

    assert (again.id, again.version) == (state.id, 4)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(InventorySyncState)) == 1


def test_locking_states_makes_the_missing_ones_and_returns_every_pair_asked_for(merchant, variant, branch):
    other = factories.VariantFactory(product__merchant=merchant)
    second = factories.BranchFactory(merchant=merchant)
    sync_state(db.session, merchant.id, variant.id, branch.id).version = 3
    db.session.flush()
    keys = [(other.id, second.id), (variant.id, branch.id), (other.id, branch.id), (variant.id, branch.id)]

    states = lock_states(db.session, merchant.id, keys)

    assert {key: state.version for key, state in states.items()} == {
        (variant.id, branch.id): 3,
        (other.id, branch.id): 0,
        (other.id, second.id): 0,
    }
    assert all(state.merchant_id == merchant.id for state in states.values())
    assert db.session.scalar(sa.select(sa.func.count()).select_from(InventorySyncState)) == 3
    assert lock_states(db.session, merchant.id, []) == {}


def test_versions_of_pairs_without_a_state_are_zero_and_asking_makes_none(merchant, variant, branch):
    other = factories.VariantFactory(product__merchant=merchant)
    sync_state(db.session, merchant.id, variant.id, branch.id).version = 2
    db.session.flush()

    assert versions_of(db.session, [(variant.id, branch.id), (other.id, branch.id)]) == {
        (variant.id, branch.id): 2,
        (other.id, branch.id): 0,
    }
    assert db.session.scalar(sa.select(sa.func.count()).select_from(InventorySyncState)) == 1


def test_state_versions_are_the_merchants_known_pairs_optionally_at_one_branch(
    merchant, other_merchant, variant, branch
):
    second = factories.BranchFactory(merchant=merchant)
    theirs = factories.VariantFactory(product__merchant=other_merchant)
    sync_state(db.session, merchant.id, variant.id, branch.id).version = 1
    sync_state(db.session, merchant.id, variant.id, second.id).version = 5
    sync_state(db.session, other_merchant.id, theirs.id, factories.BranchFactory(merchant=other_merchant).id)
    db.session.flush()

    assert state_versions(db.session, merchant.id) == {(variant.id, branch.id): 1, (variant.id, second.id): 5}
    assert state_versions(db.session, merchant.id, second.id) == {(variant.id, second.id): 5}
