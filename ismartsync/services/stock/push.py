"""Push batches of the sync outbox in the database: claim the next one, build its request, find what was left behind.

Flush only; `ismartsync/pipelines/stock_push.py` runs the steps in order, commits between them and calls Shopify;
`push_answers` records what Shopify answered.

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

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from ismartsync.models import BatchStatus, OutboxStatus, ShopifyConnection, SyncBatch, SyncOutboxEntry
from ismartsync.models.base import utcnow
from ismartsync.services.audit import Actor, record_audit
from ismartsync.services.stock.sync_outbox import REASONS, enqueue_push

MAX_CHANGES = 250  # Shopify's limit on one mutation's input array
CLAIM_WINDOW = 5000  # pending entries looked at per claim
PENDING_GRACE = timedelta(seconds=10)  # a pending entry older than this lost its push job
ADJUST, SET = "InventoryAdjust", "InventorySet"


def reason_for(kind: str) -> str:
    return REASONS.get(kind, "correction")


@dataclass(frozen=True)
class PairKey:
    variant_id: int
    branch_id: int
    inventory_item_id: str
    location_id: str


def pair_of(entry: SyncOutboxEntry) -> PairKey:
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
        changes=len({pair_of(e) for e in entries}),
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
            first_count.setdefault(pair_of(entry), entry.id)
    if first_count:
        pairs = sorted(first_count, key=first_count.__getitem__)[:MAX_CHANGES]
        chosen = set(pairs)
        entries = [e for e in pending if pair_of(e) in chosen and e.id <= first_count[pair_of(e)]]
        return SET, reason_for("count"), entries
    reason = reason_for(pending[0].kind)
    entries, pairs = [], set()
    for entry in pending:
        if reason_for(entry.kind) != reason:
            continue
        pair = pair_of(entry)
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
        deltas[pair_of(entry)] += entry.delta
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
            targets[pair_of(entry)] = entry.quantity_after
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


def on_hand_of(levels: Iterable[dict[str, Any]], targets: dict[PairKey, int]) -> dict[PairKey, int]:
    """Shopify's on_hand for the counted pairs, from its inventory levels (`item`, `location`, `quantities`)."""
    by_ids = {(p.inventory_item_id, p.location_id): p for p in targets}
    found = {}
    for level in levels:
        key = ((level.get("item") or {}).get("id"), (level.get("location") or {}).get("id"))
        quantities = {q["name"]: q["quantity"] for q in level.get("quantities") or ()}
        if key in by_ids and "on_hand" in quantities:
            found[by_ids[key]] = int(quantities["on_hand"])
    return found


def store_request(batch: SyncBatch, variables: dict[str, Any] | None) -> None:
    batch.request = json.dumps(variables, sort_keys=True) if variables is not None else ""


def stored_request(batch: SyncBatch) -> dict[str, Any] | None:
    return json.loads(batch.request) if batch.request else None


def renew_key(batch: SyncBatch) -> None:
    """A new key for a request that changed (Shopify refused the last one, so nothing was applied under it)."""
    batch.idempotency_key = uuid.uuid4().hex
    batch.request = ""


def merchants_left_behind(
    session: Session, now: datetime, *, stale_after: timedelta, sender_gone: Callable[[SyncBatch], bool]
) -> list[int]:
    """Merchants whose changes nobody is pushing: pending entries whose push job was lost (a Redis outage), batches
    due a retry, batches whose sender is known dead (`sender_gone`) or silent for `stale_after`."""
    stale = now - stale_after
    waiting = select(SyncOutboxEntry.merchant_id).where(
        SyncOutboxEntry.status == OutboxStatus.PENDING, SyncOutboxEntry.created_at < now - PENDING_GRACE
    )
    due = select(SyncBatch.merchant_id).where(
        or_(
            (SyncBatch.status == BatchStatus.RETRY) & (SyncBatch.next_attempt_at <= now),
            (SyncBatch.status == BatchStatus.SENDING) & (SyncBatch.sent_at < stale),
        )
    )
    merchants = set(session.scalars(waiting.distinct())) | set(session.scalars(due.distinct()))
    sending = session.scalars(
        select(SyncBatch).where(SyncBatch.status == BatchStatus.SENDING, SyncBatch.sent_at >= stale)
    )
    merchants |= {batch.merchant_id for batch in sending if sender_gone(batch)}  # their worker died just now
    return sorted(merchants)


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
