"""What Shopify answered a push batch, recorded: applied (with its figures after), retry later, refused for good,
or refused for something we can fix (stock the item at the location, skip what Shopify never takes, count again).

Flush only; `ismartsync/pipelines/stock_push.py` calls these with the batch locked by `still_ours` and commits.
Entries are marked applied in the transaction that records Shopify's answer and are never sent again.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ismartsync.models import BatchStatus, OutboxStatus, SyncBatch, SyncOutboxEntry, Variant
from ismartsync.models.base import utcnow
from ismartsync.services.stock.inbound import Pair, Quantities, out_of_step
from ismartsync.services.stock.push import SET, PairKey, pair_of, renew_key
from ismartsync.services.stock.sync_outbox import lock_states

# Waits before sending a batch again after Shopify was unreachable: quick at first, then every minute for as long
# as it takes (an hour of downtime only delays).
RETRY_DELAYS = (2, 5, 15, 30, 60)
AUTH_RETRY = timedelta(minutes=5)
# userErrors that say Shopify will never take changes for an item: skipped, with the reason shown.
SKIP_CODES = {
    "INVALID_INVENTORY_ITEM": "Shopify does not track stock for this item",
    "NON_MUTABLE_INVENTORY_ITEM": "Shopify keeps this item's stock itself (a bundle)",
}
# userErrors after which the same request goes again at once under a new key, nothing having been applied: a stale
# count is read again and rebuilt; a key whose earlier attempt failed inside Shopify must be replaced (Shopify:
# "Retry with a new idempotency key"). IDEMPOTENCY_CONCURRENT_REQUEST never gets here: the client waits and sends
# the same key again, then the batch retries later under it.
RESEND_CODES = {"CHANGE_FROM_QUANTITY_STALE", "IDEMPOTENCY_PREVIOUS_ATTEMPT_FAILED"}
KEY_MISMATCH = "IDEMPOTENCY_KEY_PARAMETER_MISMATCH"
MISMATCHED_ADJUSTMENT = (
    "Shopify holds a different request under this batch's idempotency key, so whether this change was applied "
    "cannot be told. Compare with Shopify (run a reconciliation) before sending it again."
)


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

    Returns each pair's new version, for `out_of_step_after_push` (one pair at a time, after the commit).
    """
    now = utcnow()
    entries = list(batch.entries)
    for entry in entries:
        entry.status, entry.applied_at, entry.error = OutboxStatus.APPLIED, now, ""
    batch.status, batch.finished_at, batch.error, batch.next_attempt_at = BatchStatus.APPLIED, now, "", None
    versions = {}
    keys = {pair_of(e) for e in entries}
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


def figures_after(group: dict[str, Any]) -> dict[tuple[str, str], Quantities]:
    """Shopify's on_hand and available after an adjustment group (its answer), by (item, location)."""
    named: dict[tuple[str, str], dict[str, int]] = {}
    for change in group.get("changes") or ():
        if change.get("quantityAfterChange") is not None:
            key = (change["item"]["id"], change["location"]["id"])
            named.setdefault(key, {})[change["name"]] = int(change["quantityAfterChange"])
    return {key: Quantities(q["on_hand"], q.get("available")) for key, q in named.items() if "on_hand" in q}


def out_of_step_after_push(
    session: Session, merchant_id: int, after: dict[tuple[str, str], Quantities], versions: dict[PairKey, int]
) -> list[tuple[Pair, Quantities, int]]:
    """The pairs whose figures right after our batch (`after`, by item and location) disagree with ours, with the
    version each was settled at (`versions`, from `settle_applied`): each needs `apply_reading` in a transaction of
    its own. Usually none, which one statement shows."""
    pairs = {
        Pair(merchant_id, k.variant_id, k.branch_id, k.inventory_item_id, k.location_id): (figures, version)
        for k, version in versions.items()
        if (figures := after.get((k.inventory_item_id, k.location_id))) is not None
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
        if pair_of(entry) in keys:
            entry.status, entry.error, entry.batch_id = OutboxStatus.SKIPPED, reason, None
    for key in keys:
        variant = session.get(Variant, key.variant_id)
        if variant is not None:
            variant.sync_skip_reason = reason[:200]
    session.flush()
    session.refresh(batch, ["entries"])
    batch.changes = len({pair_of(e) for e in batch.entries})


@dataclass
class Refusal:
    """Shopify's user errors for a batch, sorted by what can be done about them."""

    not_stocked: set[PairKey]  # stock the item at its location, then send again
    skipped: dict[PairKey, str]  # Shopify will never take changes for these: the reason shown
    other: list[dict[str, Any]]  # nothing we can fix


def _sort_refusal(batch: SyncBatch, errors: list[dict[str, Any]], request: dict[str, Any] | None) -> Refusal:
    refusal = Refusal(set(), {}, [])
    for error in errors:
        code, key = error["code"], pair_at(batch, error["field"], request)
        if code == "ITEM_NOT_STOCKED_AT_LOCATION" and key is not None:
            refusal.not_stocked.add(key)
        elif code in SKIP_CODES and key is not None:
            refusal.skipped[key] = f"{SKIP_CODES[code]}: {error['message']}"
        elif code == KEY_MISMATCH and batch.operation == SET:
            continue  # a count is compare-and-set: read again and sent under a new key, it cannot apply twice
        elif code == KEY_MISMATCH:
            refusal.other.append({**error, "message": MISMATCHED_ADJUSTMENT})
        elif code not in RESEND_CODES:
            refusal.other.append(error)
    return refusal


def settle_refusal(
    session: Session, batch: SyncBatch, errors: list[dict[str, Any]], message: str, request: dict[str, Any] | None
) -> list[PairKey] | None:
    """Act on Shopify's user errors in the database. Returns the pairs to stock at their location before the batch
    goes again under a new key (often none), or None when it failed for good: an error we cannot fix, or nothing left
    to send once what Shopify will never take is skipped."""
    refusal = _sort_refusal(batch, errors, request)
    if refusal.other:
        mismatch = any(e["message"] == MISMATCHED_ADJUSTMENT for e in refusal.other)
        settle_failed(session, batch, MISMATCHED_ADJUSTMENT if mismatch else message, batch.entries)
        return None
    for key, reason in refusal.skipped.items():
        skip_entries(session, batch, {key}, reason)
    renew_key(batch)
    if not batch.entries:
        settle_failed(session, batch, "; ".join(refusal.skipped.values()) or message, [])
        return None
    return sorted(refusal.not_stocked, key=lambda k: (k.inventory_item_id, k.location_id))


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
        (pair_of(e) for e in batch.entries if (e.inventory_item_id, e.location_id) == (item, location)),
        None,
    )
