"""Linking branches to Shopify locations, and starting catalog imports."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from ismartsync.errors import DomainError
from ismartsync.models import Branch, ImportRun, ImportStatus, ShopifyConnection, ShopifyLocation
from ismartsync.models.base import utcnow
from ismartsync.models.shopify import ConnectionStatus
from ismartsync.queue import enqueue_after_commit
from ismartsync.services.audit import Actor, record_audit
from ismartsync.services.online_orders.intake import assign_branches
from ismartsync.services.stock.sync_outbox import forget_mapped_locations

# Incremental runs start this long before the last high-water mark: Shopify's `updated_at` filter has gaps.
INCREMENTAL_OVERLAP = timedelta(minutes=5)
# A run that has not finished in this long is dead (a 100k-variant import takes about a minute).
STALE_AFTER = timedelta(hours=2)


class ImportKind:
    FULL = "full"
    INCREMENTAL = "incremental"


def map_branch(session: Session, actor: Actor, branch: Branch, location: ShopifyLocation | None) -> None:
    """Link `branch` to exactly one Shopify location (or none); a location serves one branch at most."""
    current = session.scalar(select(ShopifyLocation).where(ShopifyLocation.branch_id == branch.id))
    if current is not None and location is not None and current.id == location.id:
        return
    if location is not None and location.branch_id not in (None, branch.id):
        raise DomainError(f"{location.name} is already linked to another branch.", field="location_id")
    if location is not None and not location.active:
        raise DomainError(f"{location.name} is not active in Shopify.", field="location_id")
    if current is not None:
        current.branch_id = None
        session.flush()
    if location is not None:
        location.branch_id = branch.id
    session.flush()
    forget_mapped_locations(session)
    assign_branches(session, branch.merchant_id)  # the online orders already at that location come to the branch
    record_audit(
        session,
        actor,
        "shopify.map_location",
        f"{branch.name} → {location.name if location else 'no Shopify location'}",
        target=branch,
        branch_id=branch.id,
        before={"location": current.name if current else None},
        after={"location": location.name if location else None},
    )


def latest_run(session: Session, merchant_id: int) -> ImportRun | None:
    return session.scalar(
        select(ImportRun).where(ImportRun.merchant_id == merchant_id).order_by(ImportRun.id.desc()).limit(1)
    )


def start_import(session: Session, actor: Actor, kind: str | None = None) -> ImportRun:
    """Queue an import: full the first time (or when asked), else incremental since the last success."""
    run = _queue_import(session, actor.merchant_id, kind, started_by_id=actor.user.id)
    article = "an" if run.kind[:1] in ("a", "e", "i", "o", "u") else "a"  # "an incremental", "a full"
    record_audit(session, actor, "shopify.import", f"Started {article} {run.kind} catalog import", target=run)
    return run


def merchants_with_full_import(session: Session) -> list[int]:
    """Connected merchants whose full import has succeeded: the ones the schedule keeps up to date."""
    return list(
        session.scalars(
            select(ShopifyConnection.merchant_id).where(
                ShopifyConnection.status == ConnectionStatus.CONNECTED,
                select(ImportRun.id)
                .where(
                    ImportRun.merchant_id == ShopifyConnection.merchant_id,
                    ImportRun.kind == ImportKind.FULL,
                    ImportRun.status == ImportStatus.SUCCEEDED,
                )
                .exists(),
            )
        )
    )


def start_scheduled_import(session: Session, merchant_id: int, every: timedelta) -> ImportRun | None:
    """The periodic incremental import, started by no one: only when the last run finished more than `every` ago,
    none is running and a full import has succeeded; else nothing (None)."""
    fail_stale_runs(session, merchant_id)
    last = latest_run(session, merchant_id)
    if last is None or last.finished_at is None or last.finished_at > utcnow() - every:
        return None  # never imported, still running, or recent enough
    try:
        return _queue_import(session, merchant_id, ImportKind.INCREMENTAL, started_by_id=None)
    except DomainError:
        return None  # disconnected, or no full import has succeeded yet: that is for a person to start


def _queue_import(session: Session, merchant_id: int, kind: str | None, started_by_id: int | None) -> ImportRun:
    connection = session.scalar(select(ShopifyConnection).where(ShopifyConnection.merchant_id == merchant_id))
    if connection is None or not connection.is_connected:
        raise DomainError("Connect your Shopify store first.")
    fail_stale_runs(session, merchant_id)
    running = session.scalar(
        select(ImportRun).where(
            ImportRun.merchant_id == merchant_id,
            ImportRun.status.in_([ImportStatus.QUEUED, ImportStatus.RUNNING]),
        )
    )
    if running is not None:
        raise DomainError("An import is already running. It shows its progress below.")
    last_success = session.scalar(
        select(ImportRun)
        .where(ImportRun.merchant_id == merchant_id, ImportRun.status == ImportStatus.SUCCEEDED)
        .order_by(ImportRun.id.desc())
        .limit(1)
    )
    if kind is None:
        kind = ImportKind.INCREMENTAL if last_success and last_success.high_water_mark else ImportKind.FULL
    since = None
    if kind == ImportKind.INCREMENTAL:
        if last_success is None or last_success.high_water_mark is None:
            raise DomainError("Run a full import first.")
        since = last_success.high_water_mark - INCREMENTAL_OVERLAP
    run = ImportRun(merchant_id=merchant_id, kind=kind, since=since, started_by_id=started_by_id)
    session.add(run)
    session.flush()
    enqueue_after_commit(session, "jobs.shopify.run_catalog_import", run.id, queue="shopify", timeout=3600, retries=0)
    return run


def fail_stale_runs(session: Session, merchant_id: int, older_than: timedelta = STALE_AFTER) -> int:
    """Runs left queued or running by a dead worker or a Redis outage are marked failed, so a new one can start."""
    stale = session.scalars(
        select(ImportRun).where(
            ImportRun.merchant_id == merchant_id,
            ImportRun.status.in_([ImportStatus.QUEUED, ImportStatus.RUNNING]),
            ImportRun.created_at < utcnow() - older_than,
        )
    ).all()
    for run in stale:
        run.status = ImportStatus.FAILED
        run.error = "The import stopped without finishing (the worker was restarted). Start it again."
        run.finished_at = utcnow()
    session.flush()
    return len(stale)
