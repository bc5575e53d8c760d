"""Reconciliation: every mapped level against Shopify's `on_hand`, allowing for our changes still on their way.

Webhooks can be lost or late, so a scheduled (and on-demand) comparison finds what they missed. A difference is
shown as drift; a manager either accepts Shopify's quantity (a "shopify" movement) or pushes ours (a correction
through the outbox). Both check that nothing moved since the comparison, and both are audited.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from ismartsync.errors import DomainError
from ismartsync.models import (
    Branch,
    DriftStatus,
    MovementKind,
    OutboxStatus,
    Reconciliation,
    ReconciliationStatus,
    ShopifyConnection,
    ShopifyLocation,
    StockDrift,
    SyncOutboxEntry,
    Variant,
)
from ismartsync.models.base import utcnow
from ismartsync.models.shopify import ConnectionStatus
from ismartsync.queue import enqueue_after_commit
from ismartsync.services.audit import Actor, record_audit
from ismartsync.services.stock.inbound import Outcome, Pair, Quantities, compare_locked, locked_reading
from ismartsync.services.stock.ledger import record_movement
from ismartsync.services.stock.sync_outbox import (
    enqueue_push,
    fulfilment_in_flight,
    is_sending,
    mapped_location_id,
    sync_state,
)

RUN_JOB = "jobs.sync.run_reconciliation"
# A run that has not finished in this long died with its worker.
STALE_AFTER = timedelta(hours=2)
STALE_MESSAGE = "Stock moved since this was compared. Compare with Shopify again."


def start_reconciliation(
    session: Session, merchant_id: int, *, trigger: str, actor: Actor | None = None
) -> Reconciliation:
    """Queue a comparison of every mapped level with Shopify; one at a time per merchant."""
    now = utcnow()
    running = session.scalars(
        select(Reconciliation).where(
            Reconciliation.merchant_id == merchant_id, Reconciliation.status == ReconciliationStatus.RUNNING
        )
    ).all()
    for run in running:
        if run.started_at > now - STALE_AFTER:
            raise DomainError("A comparison with Shopify is already running.")
        run.status, run.error, run.finished_at = ReconciliationStatus.FAILED, "Stopped (its worker died).", now
    run = Reconciliation(
        merchant_id=merchant_id, trigger=trigger, started_by_id=actor.user.id if actor else None, started_at=now
    )
    session.add(run)
    session.flush()
    if actor is not None:
        record_audit(session, actor, "shopify.reconcile", "Asked for a stock comparison with Shopify", target=run)
    enqueue_after_commit(session, RUN_JOB, run.id, queue="shopify", timeout=3600, retries=0)
    return run


def mapped_locations(session: Session, merchant_id: int) -> list[ShopifyLocation]:
    """The merchant's active Shopify locations linked to a branch: what a comparison reads."""
    return list(
        session.scalars(
            select(ShopifyLocation).where(
                ShopifyLocation.merchant_id == merchant_id,
                ShopifyLocation.branch_id.is_not(None),
                ShopifyLocation.active.is_(True),
            )
        )
    )


def due_reconciliations(
    session: Session, now: datetime, interval: timedelta, unverified_interval: timedelta | None = None
) -> list[int]:
    """Connected merchants with linked locations whose last comparison is older than `interval` (and not running).

    A store whose webhooks cannot be verified gets none, so only comparisons find its changes: `unverified_interval`
    (shorter) applies to it instead.
    """
    connections = session.scalars(
        select(ShopifyConnection).where(ShopifyConnection.status == ConnectionStatus.CONNECTED)
    ).all()
    due = []
    for connection in connections:
        merchant_id = connection.merchant_id
        if not mapped_locations(session, merchant_id):
            continue
        every = interval if connection.can_verify_webhooks or unverified_interval is None else unverified_interval
        last = latest_reconciliation(session, merchant_id)
        if last is not None and (last.status == ReconciliationStatus.RUNNING or last.started_at > now - every):
            continue
        due.append(merchant_id)
    return due


def latest_reconciliation(session: Session, merchant_id: int) -> Reconciliation | None:
    return session.scalar(
        select(Reconciliation)
        .where(Reconciliation.merchant_id == merchant_id)
        .order_by(Reconciliation.id.desc())
        .limit(1)
    )


def _open_drift(session: Session, pair: Pair) -> StockDrift | None:
    return session.scalar(
        select(StockDrift).where(
            StockDrift.variant_id == pair.variant_id,
            StockDrift.branch_id == pair.branch_id,
            StockDrift.status == DriftStatus.OPEN,
        )
    )


def record_comparison(
    session: Session, run: Reconciliation, pair: Pair, shopify: Quantities, *, seen_version: int, read_at: datetime
) -> Outcome:
    """Compare one pair read during `run`: open (or refresh) its drift, or clear an old one."""
    reading = locked_reading(session, pair, shopify, seen_version=seen_version, read_at=read_at)
    if reading is None:
        return Outcome.BUSY
    state, comparison = reading
    if fulfilment_in_flight(session, pair.variant_id, pair.branch_id):
        session.flush()
        return Outcome.IN_FLIGHT  # compared again once Shopify shows the fulfilment
    drift = _open_drift(session, pair)
    if comparison.drift == 0:
        if drift is not None:
            drift.status, drift.resolved_at = DriftStatus.CLEARED, utcnow()
        session.flush()
        return Outcome.IN_STEP
    if drift is None:
        drift = StockDrift(merchant_id=pair.merchant_id, variant_id=pair.variant_id, branch_id=pair.branch_id)
    drift.reconciliation_id = run.id  # may load the run (autoflush): the new drift joins the session only when whole
    drift.local_quantity, drift.unsent, drift.shopify_on_hand = comparison.local, comparison.unsent, shopify.on_hand
    drift.state_version, drift.detected_at = state.version, utcnow()
    session.add(drift)
    session.flush()
    return Outcome.CHANGED


def _pair_of(session: Session, drift: StockDrift) -> Pair:
    variant = session.get(Variant, drift.variant_id)
    location_id = mapped_location_id(session, drift.branch_id)
    if variant is None or not variant.inventory_item_id or location_id is None:
        raise DomainError("This branch or item no longer syncs with Shopify.")
    return Pair(drift.merchant_id, drift.variant_id, drift.branch_id, variant.inventory_item_id, location_id)


def _checked(session: Session, drift: StockDrift) -> tuple[Pair, int]:
    """The drift's pair and its current difference (0: in step again, and the drift is cleared), under locks;
    refuses when the figures are stale."""
    if drift.status != DriftStatus.OPEN:
        raise DomainError("This difference has already been dealt with.")
    pair = _pair_of(session, drift)
    state = sync_state(session, pair.merchant_id, pair.variant_id, pair.branch_id, lock=True)
    if state.version != drift.state_version or is_sending(session, pair.variant_id, pair.branch_id):
        raise DomainError(STALE_MESSAGE)
    if fulfilment_in_flight(session, pair.variant_id, pair.branch_id):
        raise DomainError("An online order's dispatch of this item is on its way to Shopify. Try again shortly.")
    difference = compare_locked(session, pair, drift.shopify_on_hand).drift
    if difference == 0:
        drift.status, drift.resolved_at = DriftStatus.CLEARED, utcnow()
        session.flush()
    return pair, difference


def _resolve(session: Session, actor: Actor, drift: StockDrift, status: DriftStatus, difference: int) -> None:
    drift.status, drift.resolved_at, drift.resolved_by_id = status, utcnow(), actor.user.id
    verb = "Accepted Shopify's quantity" if status == DriftStatus.ACCEPTED else "Pushed our quantity to Shopify"
    branch = session.get(Branch, drift.branch_id)
    variant = session.get(Variant, drift.variant_id)
    record_audit(
        session,
        actor,
        f"stock.drift_{status.value}",
        f"{verb} for {variant.display_name if variant else 'a variant'} at {branch.name if branch else 'a branch'}",
        target=drift,
        branch_id=drift.branch_id,
        before={"ours": drift.local_quantity, "shopify": drift.shopify_on_hand},
        after={"difference": difference, "resolution": status.value},
    )
    session.flush()


def accept_shopify(session: Session, actor: Actor, drift: StockDrift) -> bool:
    """Take Shopify's quantity as ours: a "shopify" movement of the difference (never pushed back).

    False when the two agree again by now: the drift is cleared and nothing moves.
    """
    pair, difference = _checked(session, drift)
    if difference == 0:
        return False
    record_movement(
        session,
        variant=session.get(Variant, pair.variant_id),
        branch=session.get(Branch, pair.branch_id),
        delta=difference,
        kind=MovementKind.SHOPIFY,
        reason="Accepted Shopify's quantity",
        reference=f"gid://ismartsync/StockDrift/{drift.id}",
        actor=actor.user,
    )
    sync_state(session, pair.merchant_id, pair.variant_id, pair.branch_id, lock=True).version += 1
    _resolve(session, actor, drift, DriftStatus.ACCEPTED, difference)
    return True


def push_ours(session: Session, actor: Actor, drift: StockDrift) -> bool:
    """Make Shopify's quantity ours: the opposite of the difference goes to Shopify through the outbox.

    False when the two agree again by now: the drift is cleared and nothing is sent.
    """
    pair, difference = _checked(session, drift)
    if difference == 0:
        return False
    level = compare_locked(session, pair, drift.shopify_on_hand).local
    session.add(
        SyncOutboxEntry(
            merchant_id=pair.merchant_id,
            movement_id=None,
            variant_id=pair.variant_id,
            branch_id=pair.branch_id,
            inventory_item_id=pair.inventory_item_id,
            location_id=pair.location_id,
            kind="drift",
            delta=-difference,
            quantity_after=level,
            reference=f"gid://ismartsync/StockDrift/{drift.id}",
            status=OutboxStatus.PENDING,
        )
    )
    enqueue_push(session, pair.merchant_id)
    _resolve(session, actor, drift, DriftStatus.PUSHED, difference)
    return True


def open_drifts(session: Session, merchant_id: int, limit: int = 500) -> list[StockDrift]:
    return list(
        session.scalars(
            select(StockDrift)
            .where(StockDrift.merchant_id == merchant_id, StockDrift.status == DriftStatus.OPEN)
            .order_by(StockDrift.detected_at.desc())
            .limit(limit)
        )
    )
