"""Stock sync jobs: push the outbox, re-read levels a webhook announced, reconcile, and sweep up what was left.

Each commits between its steps on purpose: a batch's key and request are stored before Shopify sees them, and a read
of Shopify happens outside any transaction (nothing is locked while waiting for the network).
"""

from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import func, or_, select

from ismartsync.extensions import db
from ismartsync.models import (
    BatchStatus,
    OutboxStatus,
    Reconciliation,
    ReconciliationStatus,
    ShopifyConnection,
    ShopifyLocation,
    SyncBatch,
    SyncOutboxEntry,
)
from ismartsync.models.base import utcnow
from ismartsync.models.shopify import ConnectionStatus
from ismartsync.queue import holder_gone, note_holder
from ismartsync.services import shopify_webhooks
from ismartsync.services import stock_push as push
from ismartsync.services.reconciliation import latest_reconciliation, record_comparison, start_reconciliation
from ismartsync.services.shopify_connection import connection_of
from ismartsync.services.shopify_tokens import NotConnected, client_for
from ismartsync.services.stock_inbound import (
    Outcome,
    Pair,
    Quantities,
    apply_reading,
    is_echo,
    mapped_pairs,
    quantities_by_pair,
    read_covers,
    versions_before_read,
)
from ismartsync.services.sync_outbox import enqueue_push, versions_of
from ismartsync.shopify import importer
from ismartsync.shopify.client import ShopifyClient
from ismartsync.shopify.errors import (
    ShopifyAuthError,
    ShopifyError,
    ShopifyQueryError,
    ShopifyUnavailable,
    ShopifyUserError,
)
from jobs import job

log = logging.getLogger(__name__)

BATCHES_PER_RUN = 200  # then the job hands over to a fresh one, so one merchant cannot hold a worker forever
RESENDS = 3  # immediate re-sends after Shopify asked us to fix something (activate, skip, re-read)
BUSY_WAITS = (0.2, 0.5, 1.0, 2.0)
PENDING_GRACE = timedelta(seconds=10)  # a pending entry older than this lost its push job
WEBHOOK_GRACE = timedelta(seconds=30)
WEBHOOK_RETENTION = timedelta(days=7)


class StillBusy(Exception):
    """Our own batch kept the pair moving through every re-read; RQ retries the job later."""


def _stale_after() -> timedelta:
    return timedelta(seconds=int(current_app.config.get("SYNC_STALE_SECONDS") or 180))


def _client(merchant_id: int) -> ShopifyClient:
    connection = connection_of(db.session, merchant_id)
    if connection is None:
        raise NotConnected("Shopify is not connected.")
    client = client_for(db.session, connection)
    db.session.commit()  # a refreshed token is saved at once
    return client


# --- push -----------------------------------------------------------------------------------------------------------


@job
def push_stock(merchant_id: int) -> None:
    """Send the merchant's outbox to Shopify, batch after batch, until nothing is due."""
    client: ShopifyClient | None = None
    try:
        for _ in range(BATCHES_PER_RUN):
            batch = push.claim_batch(
                db.session, merchant_id, now=utcnow(), stale_after=_stale_after(), sender_gone=_sender_gone
            )
            if batch is None:
                db.session.commit()
                return
            batch_id, attempt = batch.id, batch.attempts
            note_holder(current_app, _holder(batch_id), int(_stale_after().total_seconds()))
            db.session.commit()  # claimed, with its key, before anything is sent
            if client is None:
                try:
                    client = _client(merchant_id)
                except NotConnected as exc:
                    _retry(batch_id, attempt, str(exc), push.AUTH_RETRY)
                    return
            _send(client, batch_id, attempt)
        enqueue_push(db.session, merchant_id)
        db.session.commit()
    finally:
        if client is not None:
            client.close()


def _holder(batch_id: int) -> str:
    return f"sync-batch:{batch_id}"


def _sender_gone(batch: SyncBatch) -> bool:
    """The job sending the batch is known dead (its worker was killed): take it over now, not after the stale time."""
    return holder_gone(current_app, _holder(batch.id))


def _retry(batch_id: int, attempt: int, error: str, delay: timedelta | None = None) -> None:
    batch = push.still_ours(db.session, batch_id, attempt)
    if batch is not None:
        push.settle_retry(batch, error, delay=delay)
    db.session.commit()


def _request(client: ShopifyClient, batch: SyncBatch) -> dict[str, Any] | None:
    """The stored request, or a new one stored now (a count first reads what Shopify has)."""
    variables = push.stored_request(batch)
    if variables is not None:
        return variables
    if batch.operation == push.ADJUST:
        variables = push.adjust_request(batch)
    else:
        targets = push.count_targets(batch)
        items = sorted({p.inventory_item_id for p in targets})
        db.session.commit()
        levels = importer.on_hand_levels(client, items)
        current = {pair: on_hand for pair, on_hand in _on_hand(levels, targets)}
        variables = push.set_request(batch, current)
    push.store_request(batch, variables)
    db.session.commit()
    return variables


def _on_hand(levels: Any, targets: dict[push.PairKey, int]) -> Any:
    by_ids = {(p.inventory_item_id, p.location_id): p for p in targets}
    for level in levels:
        key = ((level.get("item") or {}).get("id"), (level.get("location") or {}).get("id"))
        quantities = {q["name"]: q["quantity"] for q in level.get("quantities") or ()}
        if key in by_ids and "on_hand" in quantities:
            yield by_ids[key], int(quantities["on_hand"])


def _send(client: ShopifyClient, batch_id: int, attempt: int) -> None:
    """Send one claimed batch and settle Shopify's answer; passing failures leave it to retry later."""
    for _ in range(RESENDS + 1):
        batch = db.session.get(SyncBatch, batch_id)
        try:
            variables = _request(client, batch)
            if variables is None:  # its changes cancel out: nothing for Shopify
                _settle(batch_id, attempt, {})
                return
            payload = "inventoryAdjustQuantities" if batch.operation == push.ADJUST else "inventorySetQuantities"
            result = client.mutate(batch.operation, variables, idempotency_key=batch.idempotency_key, payload=payload)
        except ShopifyUserError as exc:
            if not _fix_refusal(client, batch_id, attempt, exc, variables):
                return
            continue  # fixed what Shopify asked for: send again under a new key
        except ShopifyAuthError as exc:
            _retry(batch_id, attempt, f"Shopify refused our access: {exc.message}", push.AUTH_RETRY)
            return
        except ShopifyQueryError as exc:
            log.error("Shopify rejected stock batch %s: %s", batch_id, exc.message)
            if attempt >= 3:
                _fail(batch_id, attempt, f"Shopify rejected the request: {exc.message}")
            else:
                _retry(batch_id, attempt, f"Shopify rejected the request: {exc.message}")
            return
        except ShopifyUnavailable as exc:
            _retry(batch_id, attempt, f"Shopify did not answer: {exc.message}")
            return
        _settle(batch_id, attempt, _figures_after(result.get("inventoryAdjustmentGroup") or {}))
        return
    _retry(batch_id, attempt, "Shopify kept refusing after fixes; trying again later.")


def _figures_after(group: dict[str, Any]) -> dict[tuple[str, str], Quantities]:
    """Shopify's on_hand and available after an adjustment group, by (item, location)."""
    named: dict[tuple[str, str], dict[str, int]] = {}
    for change in group.get("changes") or ():
        if change.get("quantityAfterChange") is not None:
            key = (change["item"]["id"], change["location"]["id"])
            named.setdefault(key, {})[change["name"]] = int(change["quantityAfterChange"])
    return {key: Quantities(q["on_hand"], q.get("available")) for key, q in named.items() if "on_hand" in q}


def _settle(batch_id: int, attempt: int, after: dict[tuple[str, str], Quantities]) -> None:
    batch = push.still_ours(db.session, batch_id, attempt)
    if batch is None:  # another worker took it over (we were presumed dead); it settles it
        db.session.commit()
        return
    merchant_id, sent_at = batch.merchant_id, batch.sent_at or utcnow()
    versions = push.settle_applied(db.session, batch, after)
    db.session.commit()
    figures = {
        key: (after[(key.inventory_item_id, key.location_id)], version)
        for key, version in versions.items()
        if (key.inventory_item_id, key.location_id) in after
    }
    # The answer is ordered with our writes: a difference is a Shopify-side change made before it. If anything moved
    # a pair since the batch settled, a newer read has covered it and this older answer is dropped ("busy").
    for pair, quantities, version in push.out_of_step_after_push(db.session, merchant_id, figures):
        apply_reading(
            db.session,
            pair,
            quantities,
            seen_version=version,
            read_started_at=sent_at,
            reference=f"gid://ismartsync/SyncBatch/{batch_id}",
        )
        db.session.commit()
    db.session.commit()


def _fail(batch_id: int, attempt: int, error: str) -> None:
    batch = push.still_ours(db.session, batch_id, attempt)
    if batch is not None:
        push.settle_failed(db.session, batch, error, batch.entries)
    db.session.commit()


def _fix_refusal(
    client: ShopifyClient, batch_id: int, attempt: int, exc: ShopifyUserError, variables: dict[str, Any] | None
) -> bool:
    """Act on Shopify's user errors; True when the batch can be sent again at once."""
    batch = push.still_ours(db.session, batch_id, attempt)
    if batch is None:
        db.session.commit()
        return False
    not_stocked: set[push.PairKey] = set()
    skipped: dict[push.PairKey, str] = {}
    other = []
    for error in exc.errors:
        code, key = error["code"], push.pair_at(batch, error["field"], variables)
        if code == "ITEM_NOT_STOCKED_AT_LOCATION" and key is not None:
            not_stocked.add(key)
        elif code in push.SKIP_CODES and key is not None:
            skipped[key] = f"{push.SKIP_CODES[code]}: {error['message']}"
        elif code != "CHANGE_FROM_QUANTITY_STALE":  # a stale count is simply read again and rebuilt
            other.append(error)
    if other:
        push.settle_failed(db.session, batch, exc.message, batch.entries)
        db.session.commit()
        return False
    for key, reason in skipped.items():
        push.skip_entries(db.session, batch, {key}, reason)
    push.renew_key(batch)
    if not batch.entries:
        push.settle_failed(db.session, batch, "; ".join(skipped.values()) or exc.message, [])
        db.session.commit()
        return False
    db.session.commit()
    for key in sorted(not_stocked, key=lambda k: (k.inventory_item_id, k.location_id)):
        # Only ever at a location the merchant mapped: outbox entries exist for mapped locations only.
        try:
            client.mutate(
                "InventoryActivate",
                {"inventoryItemId": key.inventory_item_id, "locationId": key.location_id},
                payload="inventoryActivate",
            )
        except ShopifyError as error:
            _retry(batch_id, attempt, f"Could not stock the item at its Shopify location: {error.message}")
            return False
    return True


# --- webhooks: re-read what changed ---------------------------------------------------------------------------------


def refresh_stock(
    merchant_id: int,
    item_ids: list[str],
    triggered_at: str | None = None,
    reference: str = "",
    *,
    location_id: str | None = None,
    announced_available: int | None = None,
) -> dict[str, int]:
    """Re-read Shopify's on_hand for these items at every mapped location (or `location_id`) and record
    Shopify-side changes.

    Called by the webhook job. No read is made for a delivery announcing the `available` we already know (the echo
    of our own batch) or older than our last read (duplicates, reordered deliveries); a pair our own batch moved
    during the read is read again. Returns outcome counts.
    """
    when = _parse_time(triggered_at)
    candidates = [
        p
        for p in mapped_pairs(db.session, merchant_id, item_ids=item_ids)
        if location_id is None or p.location_id == location_id
    ]
    pairs = [
        p
        for p in candidates
        if not is_echo(db.session, p, announced_available) and not read_covers(db.session, p, when)
    ]
    counts = {outcome.value: 0 for outcome in Outcome} | {"covered": len(candidates) - len(pairs)}
    if not pairs:
        db.session.commit()
        return counts
    client = _client(merchant_id)
    try:
        for wait in (*BUSY_WAITS, None):
            pairs = _read_and_apply(client, pairs, reference or "gid://shopify/InventoryLevel", counts)
            if not pairs:
                return counts
            if wait is None:
                raise StillBusy(f"{len(pairs)} levels kept moving while read; retrying later")
            time.sleep(wait)
    finally:
        client.close()
    return counts


def _read_and_apply(client: ShopifyClient, pairs: list[Pair], reference: str, counts: dict[str, int]) -> list[Pair]:
    versions = versions_of(db.session, [p.key for p in pairs])
    db.session.commit()  # the read happens outside any transaction
    started = utcnow()
    levels = list(importer.on_hand_levels(client, sorted({p.inventory_item_id for p in pairs})))
    busy = []
    for pair, figures in quantities_by_pair(levels, pairs):
        outcome = apply_reading(
            db.session, pair, figures, seen_version=versions[pair.key], read_started_at=started, reference=reference
        )
        counts[outcome.value] += 1
        if outcome == Outcome.BUSY:
            busy.append(pair)
        db.session.commit()
    return busy


def _parse_time(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else None


# --- reconciliation -------------------------------------------------------------------------------------------------


@job
def run_reconciliation(reconciliation_id: int) -> None:
    """Compare every mapped level of the merchant with Shopify's on_hand, branch by branch."""
    run = db.session.get(Reconciliation, reconciliation_id)
    if run is None or run.status != ReconciliationStatus.RUNNING:
        return
    try:
        client = _client(run.merchant_id)
        with client:
            for location in _mapped_locations(run.merchant_id):
                _reconcile_location(client, run, location.shopify_id, location.branch_id)
    except ShopifyError as exc:
        db.session.rollback()
        run = db.session.get(Reconciliation, reconciliation_id)
        run.status, run.error, run.finished_at = ReconciliationStatus.FAILED, exc.message[:2000], utcnow()
        db.session.commit()
        return
    run.status, run.finished_at = ReconciliationStatus.SUCCEEDED, utcnow()
    db.session.commit()


def _mapped_locations(merchant_id: int) -> list[ShopifyLocation]:
    return list(
        db.session.scalars(
            select(ShopifyLocation).where(
                ShopifyLocation.merchant_id == merchant_id,
                ShopifyLocation.branch_id.is_not(None),
                ShopifyLocation.active.is_(True),
            )
        )
    )


def _reconcile_location(client: ShopifyClient, run: Reconciliation, location_id: str, branch_id: int) -> None:
    pairs = {
        (p.inventory_item_id, p.location_id): p for p in mapped_pairs(db.session, run.merchant_id, branch_id=branch_id)
    }
    versions = versions_before_read(db.session, run.merchant_id, branch_id)
    db.session.commit()
    started = utcnow()
    levels = list(importer.location_levels(client, location_id))
    for n, (pair, figures) in enumerate(quantities_by_pair(levels, pairs.values()), start=1):
        outcome = record_comparison(
            db.session, run, pair, figures, seen_version=versions.get(pair.key, 0), read_at=started
        )
        run.checked += 1
        run.drifted += outcome == Outcome.CHANGED
        run.busy += outcome == Outcome.BUSY
        if n % 500 == 0:
            db.session.commit()
    db.session.commit()


@job
def schedule_reconciliations() -> None:
    """Start a scheduled reconciliation for each connected merchant whose last one is older than the interval."""
    interval = timedelta(minutes=int(current_app.config.get("RECONCILE_INTERVAL_MINUTES") or 60))
    now = utcnow()
    merchants = db.session.scalars(
        select(ShopifyConnection.merchant_id).where(ShopifyConnection.status == ConnectionStatus.CONNECTED)
    ).all()
    for merchant_id in merchants:
        if not _mapped_locations(merchant_id):
            continue
        last = latest_reconciliation(db.session, merchant_id)
        if last is not None and (last.status == ReconciliationStatus.RUNNING or last.started_at > now - interval):
            continue
        try:
            start_reconciliation(db.session, merchant_id, trigger="scheduled")
            db.session.commit()
        except Exception:  # one merchant's trouble must not stop the others' comparisons
            db.session.rollback()
            log.exception("could not start the scheduled reconciliation of merchant %s", merchant_id)


# --- sweeper --------------------------------------------------------------------------------------------------------


@job
def sweep() -> None:
    """Re-enqueue what a dead worker or a Redis outage left behind: outbox pushes, due retries, batches whose worker
    was killed (known from RQ's heartbeat) or that went stale, webhooks."""
    now = utcnow()
    stale = now - _stale_after()
    waiting = select(SyncOutboxEntry.merchant_id).where(
        SyncOutboxEntry.status == OutboxStatus.PENDING, SyncOutboxEntry.created_at < now - PENDING_GRACE
    )
    due = select(SyncBatch.merchant_id).where(
        or_(
            (SyncBatch.status == BatchStatus.RETRY) & (SyncBatch.next_attempt_at <= now),
            (SyncBatch.status == BatchStatus.SENDING) & (SyncBatch.sent_at < stale),
        )
    )
    merchants = set(db.session.scalars(waiting.distinct())) | set(db.session.scalars(due.distinct()))
    sending = db.session.scalars(
        select(SyncBatch).where(SyncBatch.status == BatchStatus.SENDING, SyncBatch.sent_at >= stale)
    )
    merchants |= {batch.merchant_id for batch in sending if _sender_gone(batch)}  # their worker died just now
    for merchant_id in sorted(merchants):
        enqueue_push(db.session, merchant_id)
    _sweep_webhooks(now)
    db.session.commit()
    if merchants:
        log.info("sweeper re-enqueued stock pushes", extra={"fields": {"merchants": len(merchants)}})


def _sweep_webhooks(now: datetime) -> None:
    for event_id in shopify_webhooks.stale_event_ids(db.session, older_than=now - WEBHOOK_GRACE):
        shopify_webhooks.enqueue_webhook(db.session, event_id)
    shopify_webhooks.prune_events(db.session, before=now - WEBHOOK_RETENTION)


def pending_count(merchant_id: int) -> int:
    """Entries not yet applied (for tests and benchmarks waiting for the queue to drain)."""
    return int(
        db.session.scalar(
            select(func.count()).where(
                SyncOutboxEntry.merchant_id == merchant_id,
                SyncOutboxEntry.status.in_([OutboxStatus.PENDING, OutboxStatus.SENDING]),
            )
        )
        or 0
    )
