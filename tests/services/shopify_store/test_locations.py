"""Linking branches to Shopify locations (one location per branch, audited) and starting catalog imports: full the
first time, incremental since the last success, never two at once, a dead worker's run failed so a new one starts."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from ismartsync.errors import DomainError
from ismartsync.extensions import db
from ismartsync.models import AuditEntry, ImportRun, ImportStatus, ShopifyLocation
from ismartsync.models.base import utcnow
from ismartsync.models.shopify import ConnectionStatus
from ismartsync.queue import get_queue
from ismartsync.services.audit import Actor
from ismartsync.services.shopify_store.locations import (
    INCREMENTAL_OVERLAP,
    STALE_AFTER,
    map_branch,
    merchants_with_full_import,
    start_import,
)
from tests import factories
from tests.conftest import REDIS_URL
from tests.shopify.fixtures import store_of


def location_of(merchant, n: int, *, branch=None, active: bool = True) -> ShopifyLocation:
    location = ShopifyLocation(
        merchant=merchant, shopify_id=f"gid://shopify/Location/{n}", name=f"Store {n}", branch=branch, active=active
    )
    db.session.add(location)
    db.session.flush()
    return location


def finished_run(merchant, kind: str = "full", status: str = ImportStatus.SUCCEEDED) -> ImportRun:
    run = ImportRun(
        merchant=merchant,
        kind=kind,
        status=status,
        finished_at=utcnow() - timedelta(hours=1),
        high_water_mark=utcnow() - timedelta(hours=1) if status == ImportStatus.SUCCEEDED else None,
    )
    db.session.add(run)
    db.session.flush()
    return run


@pytest.fixture
def connected(merchant):
    return store_of(merchant)


@pytest.fixture
def empty_shopify_queue(app):
    yield
    if REDIS_URL:
        get_queue("shopify").empty()  # the import a committing test queued belongs to a rolled-back test


def test_linking_a_branch_moves_it_off_its_old_location_and_is_audited(owner, merchant, branch):
    old, new = location_of(merchant, 1, branch=branch), location_of(merchant, 2)

    map_branch(db.session, Actor(owner), branch, new)

    assert (old.branch_id, new.branch_id) == (None, branch.id)
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "shopify.map_location"))
    assert entry.summary == "Gulberg → Store 2" and entry.target_id == branch.id
    assert (entry.before, entry.after) == ({"location": "Store 1"}, {"location": "Store 2"})


def test_linking_a_branch_to_no_location_frees_its_location(owner, merchant, branch):
    linked = location_of(merchant, 1, branch=branch)
    map_branch(db.session, Actor(owner), branch, None)
    assert linked.branch_id is None
    assert db.session.scalar(sa.select(AuditEntry.summary).where(AuditEntry.action == "shopify.map_location")) == (
        "Gulberg → no Shopify location"
    )


def test_a_location_of_another_branch_or_closed_in_shopify_is_refused_beside_the_field(owner, merchant, branch):
    other = factories.BranchFactory(merchant=merchant, name="DHA", code="DHA")
    taken, closed = location_of(merchant, 1, branch=other), location_of(merchant, 2, active=False)

    with pytest.raises(DomainError, match="Store 1 is already linked to another branch") as linked:
        map_branch(db.session, Actor(owner), branch, taken)
    with pytest.raises(DomainError, match="Store 2 is not active in Shopify") as inactive:
        map_branch(db.session, Actor(owner), branch, closed)

    assert linked.value.field == inactive.value.field == "location_id"
    assert (taken.branch_id, closed.branch_id) == (other.id, None)


def test_the_first_import_is_full_and_the_next_is_incremental_from_the_last_success(owner, merchant, connected):
    first = start_import(db.session, Actor(owner))
    assert (first.kind, first.since, first.status, first.started_by_id) == ("full", None, "queued", owner.id)
    first.status, first.high_water_mark = ImportStatus.SUCCEEDED, utcnow() - timedelta(hours=2)

    second = start_import(db.session, Actor(owner))

    assert (second.kind, second.since) == ("incremental", first.high_water_mark - INCREMENTAL_OVERLAP)
    entries = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "shopify.import"))
    summaries = {e.target_id: e.summary for e in entries}
    assert "full" in summaries[first.id] and "incremental" in summaries[second.id]


def test_no_import_without_a_connection_nor_incremental_before_a_full_one(owner, merchant):
    with pytest.raises(DomainError, match="Connect your Shopify store first"):
        start_import(db.session, Actor(owner))
    store = store_of(merchant, status=ConnectionStatus.DISCONNECTED)
    with pytest.raises(DomainError, match="Connect your Shopify store first"):
        start_import(db.session, Actor(owner))
    store.status = ConnectionStatus.CONNECTED
    with pytest.raises(DomainError, match="Run a full import first"):
        start_import(db.session, Actor(owner), "incremental")


def test_a_run_left_behind_by_a_dead_worker_does_not_block_the_next_import(
    connected, merchant, owner, empty_shopify_queue
):
    left = ImportRun(
        merchant_id=merchant.id,
        kind="full",
        status=ImportStatus.RUNNING,
        created_at=utcnow() - STALE_AFTER - timedelta(minutes=1),
    )
    fresh = ImportRun(merchant_id=merchant.id, kind="full", status=ImportStatus.QUEUED)
    db.session.add(left)
    db.session.commit()
    run = start_import(db.session, Actor(owner), "full")
    assert run.id != left.id
    assert left.status == ImportStatus.FAILED and "start it again" in left.error.lower()
    db.session.rollback()
    db.session.add(fresh)
    db.session.commit()
    with pytest.raises(DomainError, match="already running"):
        start_import(db.session, Actor(owner), "full")


def test_the_schedule_keeps_up_only_connected_stores_with_a_successful_full_import(merchant):
    imported, partial, failed, gone = (factories.MerchantFactory() for _ in range(4))
    for n, m in enumerate((imported, partial, failed)):
        store_of(m, f"shop-{n}.myshopify.com")
    store_of(gone, "gone.myshopify.com", status=ConnectionStatus.REVOKED)
    finished_run(imported)
    finished_run(partial, kind="incremental")
    finished_run(failed, status=ImportStatus.FAILED)
    finished_run(gone)

    ids = {imported.id, partial.id, failed.id, gone.id}
    assert set(merchants_with_full_import(db.session)) & ids == {imported.id}
