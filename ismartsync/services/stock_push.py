"""Pushing the sync outbox to Shopify in batches: claim, send under a stored key, settle the answer.

One sender per merchant at a time (claiming locks the merchant's Shopify connection row and refuses while a fresh
batch is on its way), so batches reach Shopify in order and a read of Shopify's answer is ordered with our writes.
A batch keeps its idempotency key and exact request from before the first send until it is settled: a retry by
the client, by RQ or after a dead worker re-sends the same bytes with the same key. Entries are marked applied in
the transaction that records Shopify's answer and are never sent again.
"""

from __future__ import annotations

import json
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ismartsync.models import (
    BatchStatus,
    OutboxStatus,
    ShopifyConnection,
    SyncBatch,
    SyncOutboxEntry,
    Variant,
)
from ismartsync.models.base import utcnow
from ismartsync.services.audit import Actor, record_audit
from ismartsync.services.stock_inbound import Pair, Quantities, out_of_step
from ismartsync.services.sync_outbox import REASONS, enqueue_push, lock_states

MAX_CHANGES = 250  # Shopify's limit on one mutation's input array
CLAIM_WINDOW = 5000  # pending entries looked at per claim
# Waits before sending a batch again after Shopify was unreachable: quick at first, then every minute for as long
# as it takes (an hour of downtime only delays).
RETRY_DELAYS = (2, 5, 15, 30, 60)
AUTH_RETRY = timedelta(minutes=5)
ADJUST, SET = "InventoryAdjust", "InventorySet"
# userErrors that say Shopify will never take changes for an item: skipped, with the reason shown.
SKIP_CODES = {
    "INVALID_INVENTORY_ITEM": "Shopify does not track stock for this item",
    "NON_MUTABLE_INVENTORY_ITEM": "Shopify keeps this item's stock itself (a bundle)",
}


def reason_for(kind: str) -> str:
    return REASONS.get(kind, "correction")


@dataclass(frozen=True)
class PairKey:
    variant_id: int
    branch_id: int
    inventory_item_id: str
    location_id: str


def _pair_of(entry: SyncOutboxEntry) -> PairKey:
    return PairKey(entry.variant_id, entry.branch_id, entry.inventory_item_id, entry.location_id)


# --- claiming -------------------------------------------------------------------------------------------------------


def claim_batch(
    session: Session,
    merchant_id: int,
    *,
    now: datetime,
    stale_after: timedelta,
    sender_gone: Callable[[SyncBatch], bool] = lambda batch: False,
) -> SyncBatch | None:
    """The next batch to send for the merchant, marked sending (commit before sending); None if nothing is due.

    A batch left sending by a dead worker is taken over with its key: as soon as `sender_gone` says its sender is
    known dead, else once it had no news for `stale_after`. A batch waiting to retry goes first when due, and newer
    entries wait behind it.
    """
    connection = session.scalar(
        select(ShopifyConnection).where(ShopifyConnection.merchant_id == merchant_id).with_for_update()
    )
    if connection is None or not connection.is_connected:
        return None
    open_batches = session.scalars(
        select(SyncBatch)
        .where(SyncBatch.merchant_id == merchant_id, SyncBatch.status.in_([BatchStatus.SENDING, BatchStatus.RETRY]))
        .order_by(SyncBatch.id)
    ).all()
    if any(
        b.status == BatchStatus.SENDING and b.sent_at and b.sent_at > now - stale_after and not sender_gone(b)
        for b in open_batches
    ):
        return None  # another worker is sending; it claims the rest when done
    if open_batches:
        batch = open_batches[0]
        if batch.status == BatchStatus.RETRY and batch.next_attempt_at and batch.next_attempt_at > now:
            return None
        batch.status, batch.sent_at, batch.attempts = BatchStatus.SENDING, now, batch.attempts + 1
        session.flush()
        return batch
    return _new_batch(session, merchant_id, now)


def _new_batch(session: Session, merchant_id: int, now: datetime) -> SyncBatch | None:
    pending = session.scalars(
        select(SyncOutboxEntry)
        .where(SyncOutboxEntry.merchant_id == merchant_id, SyncOutboxEntry.status == OutboxStatus.PENDING)
        .order_by(SyncOutboxEntry.id)
        .limit(CLAIM_WINDOW)
    ).all()
    if not pending:
        return None
    operation, reason, entries = _choose(pending)
    batch = SyncBatch(
        merchant_id=merchant_id,
        operation=operation,
        reason=reason,
        reference="",
        idempotency_key=uuid.uuid4().hex,
        status=BatchStatus.SENDING,
        changes=len({_pair_of(e) for e in entries}),
        attempts=1,
        sent_at=now,
        created_at=now,
    )
    session.add(batch)
    session.flush()
    references = {e.reference for e in entries}
    batch.reference = references.pop() if len(references) == 1 else f"gid://ismartsync/SyncBatch/{batch.id}"
    for entry in entries:
        entry.status, entry.batch_id = OutboxStatus.SENDING, batch.id
    session.flush()
    return batch


def _choose(pending: list[SyncOutboxEntry]) -> tuple[str, str, list[SyncOutboxEntry]]:
    """Which entries go together: a pair's count (with what came before it), else one reason's deltas.

    A count sets an absolute quantity, so the changes before it are folded into it and those after it wait.
    """
    first_count: dict[PairKey, int] = {}
    for entry in pending:
        if entry.is_count:
            first_count.setdefault(_pair_of(entry), entry.id)
    if first_count:
        pairs = sorted(first_count, key=first_count.__getitem__)[:MAX_CHANGES]
        chosen = set(pairs)
        entries = [e for e in pending if _pair_of(e) in chosen and e.id <= first_count[_pair_of(e)]]
        return SET, reason_for("count"), entries
    reason = reason_for(pending[0].kind)
    entries, pairs = [], set()
    for entry in pending:
        if reason_for(entry.kind) != reason:
            continue
        pair = _pair_of(entry)
        if pair not in pairs and len(pairs) == MAX_CHANGES:
            continue
        pairs.add(pair)
        entries.append(entry)
    return ADJUST, reason, entries


# --- building the request -------------------------------------------------------------------------------------------


def coalesced(entries: Iterable[SyncOutboxEntry]) -> dict[PairKey, int]:
    """Net change per (item, location), in a stable order (the same entries always make the same request)."""
    deltas: dict[PairKey, int] = defaultdict(int)
    for entry in entries:
        deltas[_pair_of(entry)] += entry.delta
    return dict(sorted(deltas.items(), key=lambda kv: (kv[0].inventory_item_id, kv[0].location_id)))


def adjust_request(batch: SyncBatch) -> dict[str, Any] | None:
    """`inventoryAdjustQuantities` input for the batch, or None when its changes cancel out."""
    changes = [
        {"inventoryItemId": p.inventory_item_id, "locationId": p.location_id, "delta": d, "changeFromQuantity": None}
        for p, d in coalesced(batch.entries).items()
        if d
    ]
    if not changes:
        return None
    return {
        "input": {
            "name": "available",
            "reason": batch.reason,
            "referenceDocumentUri": batch.reference,
            "changes": changes,
        }
    }


def count_targets(batch: SyncBatch) -> dict[PairKey, int]:
    """The counted on_hand per pair: the quantity right after the pair's count."""
    targets: dict[PairKey, int] = {}
    for entry in batch.entries:
        if entry.is_count:
            targets[_pair_of(entry)] = entry.quantity_after
    return targets


def set_request(batch: SyncBatch, current_on_hand: dict[PairKey, int]) -> dict[str, Any]:
    """`inventorySetQuantities` input: each counted quantity, compare-and-set against what Shopify has now."""
    quantities = [
        {
            "inventoryItemId": p.inventory_item_id,
            "locationId": p.location_id,
            "quantity": max(quantity, 0),
            "changeFromQuantity": current_on_hand.get(p, 0),
        }
        for p, quantity in sorted(count_targets(batch).items(), key=lambda kv: kv[0].inventory_item_id)
    ]
    return {
        "input": {
            "name": "on_hand",
            "reason": batch.reason,
            "referenceDocumentUri": batch.reference,
            "quantities": quantities,
        }
    }


def store_request(batch: SyncBatch, variables: dict[str, Any] | None) -> None:
    batch.request = json.dumps(variables, sort_keys=True) if variables is not None else ""


def stored_request(batch: SyncBatch) -> dict[str, Any] | None:
    return json.loads(batch.request) if batch.request else None


def renew_key(batch: SyncBatch) -> None:
    """A new key for a request that changed (Shopify refused the last one, so nothing was applied under it)."""
    batch.idempotency_key = uuid.uuid4().hex
    batch.request = ""


# --- settling -------------------------------------------------------------------------------------------------------


def still_ours(session: Session, batch_id: int, attempt: int) -> SyncBatch | None:
    """The batch, locked, if no other worker took it over since this attempt was claimed."""
    batch = session.scalar(
        select(SyncBatch).where(SyncBatch.id == batch_id).with_for_update().execution_options(populate_existing=True)
    )
    if batch is None or batch.status != BatchStatus.SENDING or batch.attempts != attempt:
        return None
    return batch


def settle_applied(session: Session, batch: SyncBatch, after: dict[tuple[str, str], Quantities]) -> dict[PairKey, int]:
    """Shopify applied the batch: its entries are applied and each pair's version moves on, in one transaction;
    Shopify's figures after it (`after`, by item and location) become what we know of its side.

    Returns each pair's new version, for `compare_after_push` (one pair at a time, after the commit).
    """
    now = utcnow()
    entries = list(batch.entries)
    for entry in entries:
        entry.status, entry.applied_at, entry.error = OutboxStatus.APPLIED, now, ""
    batch.status, batch.finished_at, batch.error, batch.next_attempt_at = BatchStatus.APPLIED, now, "", None
    versions = {}
    keys = {_pair_of(e) for e in entries}
    states = lock_states(session, batch.merchant_id, [(k.variant_id, k.branch_id) for k in keys])
    for key in keys:
        state = states[(key.variant_id, key.branch_id)]
        state.version += 1
        state.pushed_at = now
        if (figures := after.get((key.inventory_item_id, key.location_id))) is not None:
            state.shopify_on_hand, state.shopify_available = figures.on_hand, figures.available
        versions[key] = state.version
    session.flush()
    return versions


def out_of_step_after_push(
    session: Session, merchant_id: int, after: dict[PairKey, tuple[Quantities, int]]
) -> list[tuple[Pair, Quantities, int]]:
    """The pairs whose figures right after our batch (`after`: figures and the pair's settled version) disagree
    with ours: each needs `apply_reading` in a transaction of its own. Usually none, which one statement shows."""
    pairs = {
        Pair(merchant_id, k.variant_id, k.branch_id, k.inventory_item_id, k.location_id): value
        for k, value in after.items()
    }
    return [
        (pair, *pairs[pair]) for pair in out_of_step(session, {p: figures.on_hand for p, (figures, _) in pairs.items()})
    ]


def settle_retry(batch: SyncBatch, error: str, *, delay: timedelta | None = None) -> None:
    """Shopify could not be reached (or refused access): send the same request again later, same key."""
    wait = delay or timedelta(seconds=RETRY_DELAYS[min(batch.attempts, len(RETRY_DELAYS)) - 1])
    batch.status, batch.error, batch.next_attempt_at = BatchStatus.RETRY, error[:2000], utcnow() + wait


def settle_failed(session: Session, batch: SyncBatch, error: str, entries: Iterable[SyncOutboxEntry]) -> None:
    """Refused for good: the batch and these entries wait for a person (sync health screen)."""
    batch.status, batch.error, batch.finished_at = BatchStatus.FAILED, error[:2000], utcnow()
    for entry in entries:
        entry.status, entry.error = OutboxStatus.FAILED, error[:2000]
    session.flush()


def skip_entries(session: Session, batch: SyncBatch, keys: set[PairKey], reason: str) -> None:
    """Shopify will never take changes for these items: skip them (reason shown) and stop queueing them."""
    for entry in batch.entries:
        if _pair_of(entry) in keys:
            entry.status, entry.error, entry.batch_id = OutboxStatus.SKIPPED, reason, None
    for key in keys:
        variant = session.get(Variant, key.variant_id)
        if variant is not None:
            variant.sync_skip_reason = reason[:200]
    session.flush()
    session.refresh(batch, ["entries"])
    batch.changes = len({_pair_of(e) for e in batch.entries})


def pair_at(batch: SyncBatch, field: list[str] | None, request: dict[str, Any] | None) -> PairKey | None:
    """The pair a user error's field path (`["input", "changes", "3", ...]`) points at."""
    if not field or request is None or len(field) < 3 or not str(field[2]).isdigit():
        return None
    rows = request["input"].get("changes") or request["input"].get("quantities") or []
    index = int(field[2])
    if index >= len(rows):
        return None
    item, location = rows[index]["inventoryItemId"], rows[index]["locationId"]
    return next(
        (_pair_of(e) for e in batch.entries if (e.inventory_item_id, e.location_id) == (item, location)),
        None,
    )


# --- people ---------------------------------------------------------------------------------------------------------


def retry_failed(session: Session, actor: Actor, merchant_id: int) -> int:
    """Send failed entries again and bring waiting batches forward; returns how many entries go again."""
    now = utcnow()
    failed = session.scalars(
        select(SyncOutboxEntry).where(
            SyncOutboxEntry.merchant_id == merchant_id, SyncOutboxEntry.status == OutboxStatus.FAILED
        )
    ).all()
    for entry in failed:
        entry.status, entry.batch_id, entry.error = OutboxStatus.PENDING, None, ""
    waiting = session.execute(
        update(SyncBatch)
        .where(SyncBatch.merchant_id == merchant_id, SyncBatch.status == BatchStatus.RETRY)
        .values(next_attempt_at=now)
    ).rowcount
    session.flush()
    record_audit(
        session,
        actor,
        "shopify.sync_retry",
        f"Sent {len(failed)} stock changes to Shopify again",
        after={"entries": len(failed), "batches_brought_forward": waiting},
    )
    enqueue_push(session, merchant_id)
    return len(failed)
