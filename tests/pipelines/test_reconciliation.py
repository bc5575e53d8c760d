"""Reconciliation against the Shopify sandbox: changes on their way allowed for, drift found, accepted or pushed."""

from __future__ import annotations

import sqlalchemy as sa

from ismartsync.extensions import db
from ismartsync.models import (
    DriftStatus,
    Reconciliation,
    ReconciliationStatus,
    StockDrift,
)
from ismartsync.services.audit import Actor
from ismartsync.services.stock.ledger import level_of
from ismartsync.services.stock.reconciliation import accept_shopify, push_ours, start_reconciliation
from tests.pipelines.stock import sell


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
    sell(synced, variant, 2)
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


def test_reconciliation_at_the_30th_location_compares_its_levels_there(chain, run_jobs, owner):
    variant = chain.variants(1)[0]
    level = level_of(db.session, variant, chain.branch)
    chain.set_in_shopify(variant, level + 2)  # its webhook never came

    run = _reconcile(chain, run_jobs, owner)

    assert run.drifted == 1 and run.checked > 10
    drift = db.session.scalars(sa.select(StockDrift).where(StockDrift.variant_id == variant.id)).one()
    assert (drift.local_quantity, drift.shopify_on_hand) == (level, level + 2)
