"""Shopify-side changes coming in, called directly: which pairs are read, how a reading is matched and compared with
ours, when it is trusted, and which webhooks bring nothing new."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from ismartsync.extensions import db
from ismartsync.models import MovementKind, OutboxStatus, StockMovement, SyncOutboxEntry
from ismartsync.models.base import utcnow
from ismartsync.services.stock.inbound import (
    CLOCK_SKEW,
    SHOPIFY_CHANGE_REASON,
    Comparison,
    Outcome,
    Quantities,
    apply_reading,
    compare_locked,
    is_echo,
    mapped_pairs,
    out_of_step,
    quantities_by_pair,
    read_covers,
    versions_before_read,
)
from ismartsync.services.stock.ledger import level_of, record_movement
from ismartsync.services.stock.sync_outbox import sync_state
from tests import factories
from tests.services.stock.conftest import LOCATION, link, pair_of

REFERENCE = "gid://shopify/InventoryLevel/1?inventory_item_id=1"


def stocked(variant, branch, opening: int = 10, *sales: int) -> None:
    """`opening` found in Shopify at import (Shopify has it), then sales of ours Shopify must still be told of."""
    record_movement(db.session, variant=variant, branch=branch, delta=opening, kind=MovementKind.OPENING)
    for quantity in sales:
        record_movement(db.session, variant=variant, branch=branch, delta=-quantity, kind=MovementKind.SALE)


def level(item: str, location: str, **quantities: int) -> dict:
    return {
        "item": {"id": item},
        "location": {"id": location},
        "quantities": [{"name": name, "quantity": quantity} for name, quantity in quantities.items()],
    }


def shopify_movements(variant) -> list[StockMovement]:
    return list(
        db.session.scalars(
            sa.select(StockMovement).where(
                StockMovement.variant_id == variant.id, StockMovement.kind == MovementKind.SHOPIFY
            )
        )
    )


def read(pair, on_hand: int, available: int | None = None, *, seen: int = 0, at=None) -> Outcome:
    return apply_reading(
        db.session,
        pair,
        Quantities(on_hand, available),
        seen_version=seen,
        read_started_at=at or utcnow(),
        reference=REFERENCE,
    )


def test_mapped_pairs_are_every_synced_variant_at_every_linked_branch(merchant, branch, variant):
    second, unlinked, closed = (factories.BranchFactory(merchant=merchant) for _ in range(3))
    link(branch, LOCATION)
    link(second, "gid://shopify/Location/2")
    link(closed, "gid://shopify/Location/3", active=False)
    for left_out in ({"tracked": False}, {"inventory_item_id": None}, {"sync_skip_reason": "Bundle"}):
        factories.VariantFactory(product__merchant=merchant, **left_out)
    factories.VariantFactory(product__merchant=merchant, deleted_at=utcnow())
    factories.VariantFactory(product__merchant=factories.MerchantFactory())  # another merchant's

    pairs = mapped_pairs(db.session, merchant.id)

    assert sorted(pairs, key=lambda p: p.branch_id) == [
        pair_of(variant, branch),
        pair_of(variant, second, "gid://shopify/Location/2"),
    ]
    assert mapped_pairs(db.session, merchant.id, branch_id=second.id) == [
        pair_of(variant, second, "gid://shopify/Location/2")
    ]
    assert mapped_pairs(db.session, merchant.id, item_ids=["gid://shopify/InventoryItem/none"]) == []
    assert len(mapped_pairs(db.session, merchant.id, item_ids=[variant.inventory_item_id])) == 2
    assert unlinked.id not in {p.branch_id for p in pairs}


def test_shopify_levels_are_matched_to_our_pairs_and_unstocked_ones_left_out(merchant, branch, variant):
    pair = pair_of(variant, branch)
    other = pair_of(factories.VariantFactory(product__merchant=merchant), branch)
    levels = [
        level("gid://shopify/InventoryItem/elsewhere", LOCATION, on_hand=40),  # not one of ours
        level(pair.inventory_item_id, LOCATION, available=3, on_hand=5),
        level(other.inventory_item_id, LOCATION, available=2),  # no on_hand: not stocked here
        level(pair.inventory_item_id, "gid://shopify/Location/9", on_hand=7),  # another location
    ]

    assert list(quantities_by_pair(levels, [pair, other])) == [(pair, Quantities(5, 3))]
    assert list(quantities_by_pair([level(other.inventory_item_id, LOCATION, on_hand=0)], [other])) == [
        (other, Quantities(0, None))
    ]


def test_the_locked_comparison_allows_for_our_changes_not_yet_in_shopify(variant, branch, location):
    stocked(variant, branch, 10, 3)  # ours 7, of which the sale of 3 is unsent
    pair = pair_of(variant, branch)

    assert compare_locked(db.session, pair, 10) == Comparison(7, -3, 10)
    assert compare_locked(db.session, pair, 10).drift == 0
    assert compare_locked(db.session, pair, 8).drift == -2


def test_out_of_step_are_the_pairs_whose_shopify_figure_is_not_ours_less_unsent(merchant, branch, location):
    in_step, behind, never_stocked = (factories.VariantFactory(product__merchant=merchant) for _ in range(3))
    stocked(in_step, branch, 10, 3)
    stocked(behind, branch, 10)
    figures = {pair_of(in_step, branch): 10, pair_of(behind, branch): 9, pair_of(never_stocked, branch): 2}

    assert out_of_step(db.session, figures) == [pair_of(behind, branch), pair_of(never_stocked, branch)]
    assert out_of_step(db.session, {}) == []


def test_a_reading_that_matches_ours_is_noted_and_moves_nothing(variant, branch, location):
    stocked(variant, branch, 10, 3)
    at = utcnow()

    assert read(pair_of(variant, branch), 10, 9, at=at) == Outcome.IN_STEP

    state = sync_state(db.session, variant.merchant_id, variant.id, branch.id)
    assert (state.shopify_on_hand, state.shopify_available, state.read_at, state.version) == (10, 9, at, 0)
    assert level_of(db.session, variant, branch) == 7 and shopify_movements(variant) == []


def test_a_change_made_in_shopify_becomes_a_shopify_movement_never_pushed_back(variant, branch, location):
    stocked(variant, branch, 10, 3)
    unsent_before = db.session.scalar(sa.select(sa.func.count()).select_from(SyncOutboxEntry))

    assert read(pair_of(variant, branch), 14) == Outcome.CHANGED

    [movement] = shopify_movements(variant)
    assert (movement.delta, movement.reason, movement.reference) == (4, SHOPIFY_CHANGE_REASON, REFERENCE)
    assert level_of(db.session, variant, branch) == 11  # 14 in Shopify, and our sale of 3 still on its way
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SyncOutboxEntry)) == unsent_before
    assert versions_before_read(db.session, variant.merchant_id) == {(variant.id, branch.id): 1}


def test_a_reading_is_not_trusted_when_ours_moved_while_it_was_in_flight(variant, branch, location):
    stocked(variant, branch, 10)
    seen = versions_before_read(db.session, variant.merchant_id).get((variant.id, branch.id), 0)
    sync_state(db.session, variant.merchant_id, variant.id, branch.id).version += 1  # ours moved meanwhile
    db.session.flush()

    assert read(pair_of(variant, branch), 4, 4, seen=seen) == Outcome.BUSY

    state = sync_state(db.session, variant.merchant_id, variant.id, branch.id)
    assert (state.shopify_on_hand, state.read_at) == (None, None)
    assert level_of(db.session, variant, branch) == 10 and shopify_movements(variant) == []


def test_a_reading_is_not_trusted_while_a_batch_of_ours_is_on_its_way(variant, branch, location):
    stocked(variant, branch, 10, 1)
    db.session.scalars(sa.select(SyncOutboxEntry)).one().status = OutboxStatus.SENDING
    db.session.flush()

    assert read(pair_of(variant, branch), 4) == Outcome.BUSY
    assert level_of(db.session, variant, branch) == 9 and shopify_movements(variant) == []


def test_an_older_reading_does_not_move_the_last_read_back(variant, branch, location):
    stocked(variant, branch, 10)
    pair, now = pair_of(variant, branch), utcnow()
    read(pair, 10, at=now)

    assert read(pair, 10, at=now - timedelta(minutes=1)) == Outcome.IN_STEP
    assert sync_state(db.session, variant.merchant_id, variant.id, branch.id).read_at == now


def test_a_webhook_announcing_the_available_we_know_is_an_echo_unless_a_batch_is_on_its_way(variant, branch, location):
    stocked(variant, branch, 10)
    pair = pair_of(variant, branch)
    read(pair, 10, 6)

    assert is_echo(db.session, pair, 6)
    assert not is_echo(db.session, pair, 5)
    assert not is_echo(db.session, pair, None)  # a webhook that names no figure is always news
    record_movement(db.session, variant=variant, branch=branch, delta=-1, kind=MovementKind.SALE)
    db.session.scalars(sa.select(SyncOutboxEntry)).one().status = OutboxStatus.SENDING
    db.session.flush()
    assert not is_echo(db.session, pair, 6)


def test_a_read_covers_a_webhook_triggered_before_it_beyond_the_clock_skew(variant, branch, location):
    stocked(variant, branch, 10)
    pair, now = pair_of(variant, branch), utcnow()
    assert not read_covers(db.session, pair, now - timedelta(hours=1))  # never read yet

    read(pair, 10, at=now)

    assert read_covers(db.session, pair, now - CLOCK_SKEW - timedelta(seconds=1))
    assert not read_covers(db.session, pair, now - CLOCK_SKEW + timedelta(seconds=1))  # within the skew: read again
    assert not read_covers(db.session, pair, None)
