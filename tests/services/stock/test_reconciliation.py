"""Reconciliation, called directly: which merchants are due a comparison (hourly, or every few minutes for a store
whose webhooks cannot be verified), one run at a time, drifts opened, refreshed
and cleared by comparisons, and a drift resolved once by accepting Shopify's quantity or pushing ours."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from ismartsync.errors import DomainError
from ismartsync.extensions import db
from ismartsync.models import (
    AuditEntry,
    DriftStatus,
    MovementKind,
    OutboxStatus,
    Reconciliation,
    ReconciliationStatus,
    ShopifyConnection,
    ShopifyLocation,
    StockDrift,
    StockMovement,
    SyncOutboxEntry,
)
from ismartsync.models.base import utcnow
from ismartsync.models.shopify import AuthMethod, ConnectionStatus
from ismartsync.services.audit import Actor
from ismartsync.services.stock.inbound import Outcome, Quantities
from ismartsync.services.stock.ledger import level_of, record_movement
from ismartsync.services.stock.reconciliation import (
    accept_shopify,
    due_reconciliations,
    open_drifts,
    push_ours,
    record_comparison,
    start_reconciliation,
)
from ismartsync.services.stock.sync_outbox import sync_state
from tests import factories
from tests.services.stock.conftest import LOCATION, link, pair_of

EVERY = timedelta(hours=6)


@pytest.fixture
def run(merchant):
    return start_reconciliation(db.session, merchant.id, trigger="scheduled")


@pytest.fixture
def stocked(variant, branch, location):
    """Ten at Gulberg, which Shopify had when the store was imported."""
    record_movement(db.session, variant=variant, branch=branch, delta=10, kind=MovementKind.OPENING)
    return pair_of(variant, branch)


def compare(run, pair, on_hand: int, seen: int = 0) -> Outcome:
    return record_comparison(db.session, run, pair, Quantities(on_hand), seen_version=seen, read_at=utcnow())


def the_drift(variant) -> StockDrift:
    return db.session.scalars(sa.select(StockDrift).where(StockDrift.variant_id == variant.id)).one()


def shopify_movements(variant) -> list[StockMovement]:
    kind = StockMovement.kind == MovementKind.SHOPIFY
    return list(db.session.scalars(sa.select(StockMovement).where(StockMovement.variant_id == variant.id, kind)))


def test_a_comparison_left_running_by_a_dead_worker_gives_way_to_a_new_one(merchant, owner):
    dead = Reconciliation(merchant_id=merchant.id, trigger="scheduled", started_at=utcnow() - timedelta(hours=3))
    db.session.add(dead)
    db.session.flush()

    run = start_reconciliation(db.session, merchant.id, trigger="manual", actor=Actor(owner))

    assert (dead.status, dead.error, dead.finished_at is not None) == ("failed", "Stopped (its worker died).", True)
    assert (run.status, run.trigger, run.started_by_id) == ("running", "manual", owner.id)
    audit = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "shopify.reconcile")).one()
    assert audit.actor_id == owner.id
    with pytest.raises(DomainError, match="already running"):  # the new one is alive: one at a time
        start_reconciliation(db.session, merchant.id, trigger="scheduled")


def test_due_are_connected_merchants_with_linked_branches_not_compared_lately_nor_comparing():
    now = utcnow()

    def store(last_started_hours_ago=None, *, status=ReconciliationStatus.SUCCEEDED, linked=True, connected=True):
        owner = factories.MerchantFactory()
        db.session.add(
            ShopifyConnection(
                merchant_id=owner.id,
                shop_domain=f"store-{owner.id}.myshopify.com",
                auth_method=AuthMethod.ADMIN_TOKEN,
                access_token="shpat_test",
                status=ConnectionStatus.CONNECTED if connected else ConnectionStatus.DISCONNECTED,
            )
        )
        if linked:
            link(factories.BranchFactory(merchant=owner), LOCATION)
        if last_started_hours_ago is not None:
            started = now - timedelta(hours=last_started_hours_ago)
            db.session.add(Reconciliation(merchant_id=owner.id, trigger="scheduled", status=status, started_at=started))
        db.session.flush()
        return owner.id

    never, long_ago = store(), store(7)
    recently, running, failed_long_ago = (
        store(1),
        store(9, status=ReconciliationStatus.RUNNING),
        store(8, status="failed"),
    )
    unlinked, disconnected = store(linked=False), store(connected=False)
    mine = {never, long_ago, recently, running, failed_long_ago, unlinked, disconnected}

    due = [m for m in due_reconciliations(db.session, now, EVERY) if m in mine]

    assert sorted(due) == sorted([never, long_ago, failed_long_ago])


def test_a_difference_opens_a_drift_and_a_later_comparison_refreshes_the_same_one(merchant, variant, stocked):
    first = start_reconciliation(db.session, merchant.id, trigger="scheduled")
    assert compare(first, stocked, 7) == Outcome.CHANGED
    drift = the_drift(variant)
    assert (drift.status, drift.reconciliation_id, drift.local_quantity, drift.unsent, drift.shopify_on_hand) == (
        "open",
        first.id,
        10,
        0,
        7,
    )
    first.status = ReconciliationStatus.SUCCEEDED
    second = start_reconciliation(db.session, merchant.id, trigger="scheduled")

    assert compare(second, stocked, 6) == Outcome.CHANGED

    assert the_drift(variant) is drift  # still one open difference for the pair
    assert (drift.reconciliation_id, drift.shopify_on_hand, drift.drift) == (second.id, 6, -4)
    assert open_drifts(db.session, merchant.id) == [drift]


def test_a_comparison_in_step_again_clears_the_open_drift(merchant, variant, run, stocked):
    compare(run, stocked, 7)

    assert compare(run, stocked, 10) == Outcome.IN_STEP

    drift = the_drift(variant)
    assert drift.status == DriftStatus.CLEARED and drift.resolved_at is not None
    assert open_drifts(db.session, merchant.id) == []


def test_a_pair_that_moved_while_it_was_read_is_busy_and_opens_nothing(merchant, variant, branch, run, stocked):
    sync_state(db.session, merchant.id, variant.id, branch.id).version += 1
    db.session.flush()

    assert compare(run, stocked, 7, seen=0) == Outcome.BUSY
    assert open_drifts(db.session, merchant.id) == []


def test_accepting_shopifys_quantity_resolves_the_drift_once(merchant, owner, variant, branch, run, stocked):
    compare(run, stocked, 7)
    drift = the_drift(variant)

    assert accept_shopify(db.session, Actor(owner), drift) is True

    assert level_of(db.session, variant, branch) == 7
    [movement] = shopify_movements(variant)
    assert (movement.delta, movement.reference) == (-3, f"gid://ismartsync/StockDrift/{drift.id}")
    assert db.session.scalars(sa.select(SyncOutboxEntry)).all() == []  # never pushed back
    assert (drift.status, drift.resolved_by_id) == ("accepted", owner.id)
    assert sync_state(db.session, merchant.id, variant.id, branch.id).version == 1
    with pytest.raises(DomainError, match="already been dealt with"):
        accept_shopify(db.session, Actor(owner), drift)
    with pytest.raises(DomainError, match="already been dealt with"):
        push_ours(db.session, Actor(owner), drift)
    assert len(shopify_movements(variant)) == 1 and level_of(db.session, variant, branch) == 7


def test_pushing_ours_sends_the_difference_to_shopify_once(merchant, owner, variant, branch, run, stocked):
    compare(run, stocked, 7)
    drift = the_drift(variant)

    assert push_ours(db.session, Actor(owner), drift) is True

    [correction] = db.session.scalars(sa.select(SyncOutboxEntry)).all()
    assert (correction.kind, correction.delta, correction.quantity_after, correction.location_id) == (
        "drift",
        3,
        10,
        LOCATION,
    )
    assert (correction.reference, correction.status) == (f"gid://ismartsync/StockDrift/{drift.id}", "pending")
    assert level_of(db.session, variant, branch) == 10 and shopify_movements(variant) == []
    assert (drift.status, drift.resolved_by_id) == ("pushed", owner.id)
    audit = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "stock.drift_pushed")).one()
    assert (audit.before["ours"], audit.before["shopify"]) == (10, 7)
    assert (audit.after["difference"], audit.after["resolution"]) == (-3, "pushed")
    with pytest.raises(DomainError, match="already been dealt with"):
        push_ours(db.session, Actor(owner), drift)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SyncOutboxEntry)) == 1


@pytest.mark.parametrize("resolve", [accept_shopify, push_ours])
def test_a_difference_gone_by_now_is_cleared_and_nothing_moves(owner, variant, branch, run, stocked, resolve):
    compare(run, stocked, 7)
    drift = the_drift(variant)
    # Ours came down to Shopify's figure meanwhile, and Shopify has that change already.
    record_movement(db.session, variant=variant, branch=branch, delta=-3, kind=MovementKind.SALE)
    db.session.scalars(sa.select(SyncOutboxEntry)).one().status = OutboxStatus.APPLIED
    db.session.flush()

    assert resolve(db.session, Actor(owner), drift) is False

    assert (drift.status, drift.resolved_by_id) == ("cleared", None)
    assert level_of(db.session, variant, branch) == 7 and shopify_movements(variant) == []
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SyncOutboxEntry)) == 1  # only the sale's


HOURLY, SHORT = timedelta(minutes=60), timedelta(minutes=10)


def _compared(merchant, *, method: AuthMethod, secret: str | None, ago: timedelta) -> None:
    branch = factories.BranchFactory(merchant=merchant)
    db.session.add_all(
        [
            ShopifyConnection(
                merchant=merchant,
                shop_domain=f"m{merchant.id}.myshopify.com",
                auth_method=method,
                access_token="shpat_x",
                client_secret=secret,
            ),
            ShopifyLocation(merchant=merchant, shopify_id=f"gid://shopify/Location/{merchant.id}", name="L",
                            branch=branch),
            Reconciliation(merchant=merchant, trigger="scheduled", started_at=utcnow() - ago,
                           status=ReconciliationStatus.SUCCEEDED),
        ]
    )  # fmt: skip
    db.session.flush()


def test_a_store_without_verifiable_webhooks_is_compared_every_few_minutes():
    unverifiable, pasted_with_key, installed = (factories.MerchantFactory() for _ in range(3))
    _compared(unverifiable, method=AuthMethod.ADMIN_TOKEN, secret=None, ago=timedelta(minutes=15))
    _compared(pasted_with_key, method=AuthMethod.ADMIN_TOKEN, secret="shpss_k", ago=timedelta(minutes=15))
    _compared(installed, method=AuthMethod.OAUTH, secret=None, ago=timedelta(minutes=15))

    assert due_reconciliations(db.session, utcnow(), HOURLY, SHORT) == [unverifiable.id]
    assert due_reconciliations(db.session, utcnow(), HOURLY) == []
    later = utcnow() + timedelta(minutes=50)
    assert sorted(due_reconciliations(db.session, later, HOURLY, SHORT)) == sorted(
        [unverifiable.id, pasted_with_key.id, installed.id]
    )
