"""The sync outbox: what Shopify must still be told of our stock movements, and what we know of its side.

The ledger (`services.stock.ledger.record_movement`) calls `queue_movement` in the movement's own transaction, so no
caller can forget Shopify. The invariant the sync keeps, per variant at a mapped branch, is

    Shopify on_hand = our level − the sum of our changes not yet in Shopify (`unsent_sum`)

so any other difference is a change made in Shopify, and our own writes echo back as no difference at all.

A `fulfilment` movement is never pushed: Shopify takes a fulfilment's units off on_hand itself when the fulfilment
is made there. Until it has, the units are "in flight": an entry AWAITING (`hold_in_flight`) counted in
`unsent_sum` like any change Shopify lacks, and a pair with one is left alone by the stock refresh and the
reconciliation (`fulfilment_in_flight`) until `settle_in_flight` marks it applied. The whole rule is in
docs/online-orders-and-stock.md.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import event, func, select, tuple_
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from ismartsync.models import (
    InventorySyncState,
    MovementKind,
    OutboxStatus,
    ShopifyLocation,
    StockMovement,
    SyncOutboxEntry,
    Variant,
)
from ismartsync.models.base import utcnow
from ismartsync.models.sync import UNSENT
from ismartsync.queue import enqueue_after_commit

PUSH_JOB = "jobs.sync.push_stock"
# Movements that came from Shopify (or mirror what it already has) are never sent back.
# A fulfilment's units come off Shopify's on_hand with the fulfilment itself, so they are never pushed either.
NOT_PUSHED = frozenset({MovementKind.SHOPIFY, MovementKind.OPENING, MovementKind.FULFILMENT})
# Shopify has no "sale" reason; these are its names for what each movement is (reference/shopify.md §2.5).
REASONS: dict[str, str] = {
    MovementKind.SALE: "correction",
    MovementKind.RETURN: "restock",
    MovementKind.TRANSFER_OUT: "movement_created",
    MovementKind.TRANSFER_IN: "movement_received",
    MovementKind.ADJUSTMENT: "correction",
    MovementKind.COUNT: "cycle_count_available",
}


def mapped_location_id(session: Session, branch_id: int) -> str | None:
    """The Shopify location GID linked to this branch, if any (asked once per transaction: a sale has many lines)."""
    cache = session.info.setdefault(_LOCATIONS, {})
    if branch_id not in cache:
        cache[branch_id] = session.scalar(
            select(ShopifyLocation.shopify_id).where(ShopifyLocation.branch_id == branch_id, ShopifyLocation.active)
        )
    return cache[branch_id]


_LOCATIONS = "sync_outbox.mapped_locations"


def forget_mapped_locations(session: Session, *_: object) -> None:
    """Drop the remembered links: a branch was linked or unlinked, or the transaction ended."""
    session.info.pop(_LOCATIONS, None)


event.listen(Session, "after_transaction_end", forget_mapped_locations)


def syncs_stock(variant: Variant) -> bool:
    """Whether Shopify keeps a quantity for this variant that we may change."""
    return bool(variant.tracked and variant.inventory_item_id and not variant.sync_skip_reason)


def queue_movement(session: Session, movement: StockMovement, variant: Variant) -> SyncOutboxEntry | None:
    """Add the movement to the outbox if Shopify must hear of it, and have it pushed after the commit."""
    if movement.kind in NOT_PUSHED or not syncs_stock(variant):
        return None
    location_id = mapped_location_id(session, movement.branch_id)
    if location_id is None:
        return None
    entry = SyncOutboxEntry(
        merchant_id=movement.merchant_id,
        movement_id=movement.id,
        variant_id=movement.variant_id,
        branch_id=movement.branch_id,
        inventory_item_id=variant.inventory_item_id,
        location_id=location_id,
        kind=movement.kind,
        delta=movement.delta,
        quantity_after=movement.quantity_after,
        reference=movement.reference or f"gid://ismartsync/StockMovement/{movement.id}",
    )
    session.add(entry)
    enqueue_push(session, movement.merchant_id)
    return entry


def hold_in_flight(session: Session, movement: StockMovement, variant: Variant) -> SyncOutboxEntry | None:
    """Note a `fulfilment` movement's units as in flight until Shopify shows the fulfilment (never pushed)."""
    if movement.kind != MovementKind.FULFILMENT or not syncs_stock(variant):
        return None
    location_id = mapped_location_id(session, movement.branch_id)
    if location_id is None:
        return None
    entry = SyncOutboxEntry(
        merchant_id=movement.merchant_id,
        movement_id=movement.id,
        variant_id=movement.variant_id,
        branch_id=movement.branch_id,
        inventory_item_id=variant.inventory_item_id,
        location_id=location_id,
        kind=movement.kind,
        delta=movement.delta,
        quantity_after=movement.quantity_after,
        reference=movement.reference or f"gid://ismartsync/StockMovement/{movement.id}",
        status=OutboxStatus.AWAITING,
    )
    session.add(entry)
    return entry


def fulfilment_in_flight(session: Session, variant_id: int, branch_id: int) -> bool:
    """A fulfilment of ours at this pair that Shopify may or may not have taken off on_hand yet."""
    found = session.scalar(
        select(SyncOutboxEntry.id)
        .where(
            SyncOutboxEntry.variant_id == variant_id,
            SyncOutboxEntry.branch_id == branch_id,
            SyncOutboxEntry.status == OutboxStatus.AWAITING,
        )
        .limit(1)
    )
    return found is not None


def settle_in_flight(session: Session, movement_ids: Iterable[int]) -> list[tuple[int, int]]:
    """Shopify shows these movements' fulfilments: their entries are applied and each pair's version moves on (so a
    read that started before this is not trusted). Returns the (variant id, branch id) pairs settled."""
    ids = [i for i in movement_ids if i is not None]
    if not ids:
        return []
    entries = session.scalars(
        select(SyncOutboxEntry).where(
            SyncOutboxEntry.movement_id.in_(ids), SyncOutboxEntry.status == OutboxStatus.AWAITING
        )
    ).all()
    if not entries:
        return []
    states = lock_states(session, entries[0].merchant_id, [(e.variant_id, e.branch_id) for e in entries])
    now = utcnow()
    for entry in entries:
        entry.status, entry.applied_at = OutboxStatus.APPLIED, now
    for state in states.values():
        state.version += 1
    session.flush()
    return sorted(states)


def enqueue_push(session: Session, merchant_id: int) -> None:
    """Push the merchant's outbox once this transaction commits (the sweeper covers a lost job)."""
    enqueue_after_commit(
        session, PUSH_JOB, merchant_id, queue="shopify", timeout=300, retries=0, unique=True, urgent=True
    )


def unsent_sum(session: Session, variant_id: int, branch_id: int) -> int:
    """Our changes to this variant at this branch that Shopify does not have yet."""
    total = session.scalar(
        select(func.coalesce(func.sum(SyncOutboxEntry.delta), 0)).where(
            SyncOutboxEntry.variant_id == variant_id,
            SyncOutboxEntry.branch_id == branch_id,
            SyncOutboxEntry.status.in_(UNSENT),
        )
    )
    return int(total or 0)


def is_sending(session: Session, variant_id: int, branch_id: int) -> bool:
    """A batch with this pair is on its way: Shopify may or may not have it yet."""
    return (
        session.scalar(
            select(SyncOutboxEntry.id)
            .where(
                SyncOutboxEntry.variant_id == variant_id,
                SyncOutboxEntry.branch_id == branch_id,
                SyncOutboxEntry.status == OutboxStatus.SENDING,
            )
            .limit(1)
        )
        is not None
    )


def sync_state(
    session: Session, merchant_id: int, variant_id: int, branch_id: int, *, lock: bool = False
) -> InventorySyncState:
    """The pair's sync state, created if missing; `lock` holds it (FOR UPDATE) until the transaction ends."""
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    session.execute(
        insert(InventorySyncState)
        .values(merchant_id=merchant_id, variant_id=variant_id, branch_id=branch_id, version=0)
        .on_conflict_do_nothing(index_elements=["variant_id", "branch_id"])
    )
    query = select(InventorySyncState).where(
        InventorySyncState.variant_id == variant_id, InventorySyncState.branch_id == branch_id
    )
    if lock:
        query = query.with_for_update()
    return session.scalars(query.execution_options(populate_existing=True)).one()


def state_versions(session: Session, merchant_id: int, branch_id: int | None = None) -> dict[tuple[int, int], int]:
    """Every known pair's version (for a reader to compare before and after an API read)."""
    query = select(InventorySyncState.variant_id, InventorySyncState.branch_id, InventorySyncState.version).where(
        InventorySyncState.merchant_id == merchant_id
    )
    if branch_id is not None:
        query = query.where(InventorySyncState.branch_id == branch_id)
    return {(v, b): version for v, b, version in session.execute(query)}


def versions_of(session: Session, keys: Iterable[tuple[int, int]]) -> dict[tuple[int, int], int]:
    """The versions of some (variant id, branch id) pairs; a pair with no state yet is at version 0."""
    keys = list(keys)
    found: dict[tuple[int, int], int] = {}
    for start in range(0, len(keys), 500):
        chunk = keys[start : start + 500]
        query = select(InventorySyncState.variant_id, InventorySyncState.branch_id, InventorySyncState.version).where(
            tuple_(InventorySyncState.variant_id, InventorySyncState.branch_id).in_(chunk)
        )
        found.update({(v, b): version for v, b, version in session.execute(query)})
    return {key: found.get(key, 0) for key in keys}


def lock_states(
    session: Session, merchant_id: int, keys: Iterable[tuple[int, int]]
) -> dict[tuple[int, int], InventorySyncState]:
    """The states of these (variant id, branch id) pairs, created if missing and locked in a fixed order (so two
    lockers never wait on each other in a circle), in two statements whatever their number."""
    keys = sorted(set(keys))
    if not keys:
        return {}
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    rows = [{"merchant_id": merchant_id, "variant_id": v, "branch_id": b, "version": 0} for v, b in keys]
    session.execute(insert(InventorySyncState).on_conflict_do_nothing(index_elements=["variant_id", "branch_id"]), rows)
    states = session.scalars(
        select(InventorySyncState)
        .where(tuple_(InventorySyncState.variant_id, InventorySyncState.branch_id).in_(keys))
        .order_by(InventorySyncState.variant_id, InventorySyncState.branch_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).all()
    return {(state.variant_id, state.branch_id): state for state in states}
