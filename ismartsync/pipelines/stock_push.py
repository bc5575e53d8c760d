"""Pushing a merchant's stock changes to Shopify: claim a batch, commit, send it under its key, record the answer.

The steps in the database are services (`services/stock/push.py` claims and builds, `push_answers.py` records);
this module runs them in order and commits between them. A batch is claimed with its idempotency key, and its exact
request is stored, before Shopify sees it, so a retry by the client, by RQ or after a dead worker re-sends the same
bytes under the same key. A refusal Shopify lets us fix (stock the item at the location, skip what it never takes,
count again) is fixed and the batch sent again at once under a new key; anything else waits for a retry or a person.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from flask import current_app
from sqlalchemy.orm import Session

from ismartsync.models import SyncBatch
from ismartsync.models.base import utcnow
from ismartsync.pipelines.shopify_client import open_client
from ismartsync.queue import holder_gone, note_holder
from ismartsync.services.shopify_store.tokens import NotConnected
from ismartsync.services.stock import push
from ismartsync.services.stock import push_answers as answers
from ismartsync.services.stock.inbound import Quantities, apply_reading
from ismartsync.services.stock.sync_outbox import enqueue_push
from ismartsync.shopify import importer
from ismartsync.shopify.client import ShopifyClient
from ismartsync.shopify.errors import (
    ShopifyAuthError,
    ShopifyError,
    ShopifyQueryError,
    ShopifyUnavailable,
    ShopifyUserError,
)

log = logging.getLogger(__name__)

BATCHES_PER_RUN = 200  # then the job hands over to a fresh one, so one merchant cannot hold a worker forever
RESENDS = 3  # immediate re-sends after Shopify asked us to fix something (activate, skip, re-read)


def push_stock(session: Session, merchant_id: int) -> None:
    """Send the merchant's outbox to Shopify, batch after batch, until nothing is due."""
    client: ShopifyClient | None = None
    try:
        for _ in range(BATCHES_PER_RUN):
            batch = push.claim_batch(
                session, merchant_id, now=utcnow(), stale_after=stale_after(), sender_gone=sender_gone
            )
            if batch is None:
                session.commit()
                return
            batch_id, attempt = batch.id, batch.attempts
            note_holder(current_app, _holder(batch_id), int(stale_after().total_seconds()))
            session.commit()  # claimed, with its key, before anything is sent
            if client is None:
                try:
                    client = open_client(session, merchant_id)
                except NotConnected as exc:
                    _retry(session, batch_id, attempt, str(exc), answers.AUTH_RETRY)
                    return
            _send(session, client, batch_id, attempt)
        enqueue_push(session, merchant_id)
        session.commit()
    finally:
        if client is not None:
            client.close()


def _send(session: Session, client: ShopifyClient, batch_id: int, attempt: int) -> None:
    """Send one claimed batch and record Shopify's answer; passing failures leave it to retry later."""
    for _ in range(RESENDS + 1):
        batch = session.get(SyncBatch, batch_id)
        try:
            variables = _request(session, client, batch)
            if variables is None:  # its changes cancel out: nothing for Shopify
                _settle(session, batch_id, attempt, {})
                return
            payload = "inventoryAdjustQuantities" if batch.operation == push.ADJUST else "inventorySetQuantities"
            result = client.mutate(batch.operation, variables, idempotency_key=batch.idempotency_key, payload=payload)
        except ShopifyUserError as exc:
            if not _fix_refusal(session, client, batch_id, attempt, exc, variables):
                return
            continue  # fixed what Shopify asked for: send again under a new key
        except ShopifyAuthError as exc:
            _retry(session, batch_id, attempt, f"Shopify refused our access: {exc.message}", answers.AUTH_RETRY)
            return
        except ShopifyQueryError as exc:
            log.error("Shopify rejected stock batch %s: %s", batch_id, exc.message)
            if attempt >= 3:
                _fail(session, batch_id, attempt, f"Shopify rejected the request: {exc.message}")
            else:
                _retry(session, batch_id, attempt, f"Shopify rejected the request: {exc.message}")
            return
        except ShopifyUnavailable as exc:
            _retry(session, batch_id, attempt, f"Shopify did not answer: {exc.message}")
            return
        _settle(session, batch_id, attempt, answers.figures_after(result.get("inventoryAdjustmentGroup") or {}))
        return
    _retry(session, batch_id, attempt, "Shopify kept refusing after fixes; trying again later.")


def _request(session: Session, client: ShopifyClient, batch: SyncBatch) -> dict[str, Any] | None:
    """The stored request, or a new one stored now (a count first reads what Shopify has, outside any transaction)."""
    variables = push.stored_request(batch)
    if variables is not None:
        return variables
    if batch.operation == push.ADJUST:
        variables = push.adjust_request(batch)
    else:
        targets = push.count_targets(batch)
        session.commit()
        levels = importer.on_hand_levels(client, sorted({p.inventory_item_id for p in targets}))
        variables = push.set_request(batch, push.on_hand_of(levels, targets))
    push.store_request(batch, variables)
    session.commit()
    return variables


def _fix_refusal(
    session: Session,
    client: ShopifyClient,
    batch_id: int,
    attempt: int,
    exc: ShopifyUserError,
    variables: dict[str, Any] | None,
) -> bool:
    """Act on Shopify's user errors; True when the batch can be sent again at once."""
    batch = answers.still_ours(session, batch_id, attempt)
    if batch is None:
        session.commit()
        return False
    not_stocked = answers.settle_refusal(session, batch, exc.errors, exc.message, variables)
    session.commit()
    if not_stocked is None:
        return False
    for key in not_stocked:
        # Only ever at a location the merchant mapped: outbox entries exist for mapped locations only.
        try:
            client.mutate(
                "InventoryActivate",
                {"inventoryItemId": key.inventory_item_id, "locationId": key.location_id},
                payload="inventoryActivate",
            )
        except ShopifyError as error:
            _retry(session, batch_id, attempt, f"Could not stock the item at its Shopify location: {error.message}")
            return False
    return True


def _settle(session: Session, batch_id: int, attempt: int, after: dict[tuple[str, str], Quantities]) -> None:
    """Shopify applied the batch: record it, then take in any difference its answer shows."""
    batch = answers.still_ours(session, batch_id, attempt)
    if batch is None:  # another worker took it over (we were presumed dead); it settles it
        session.commit()
        return
    merchant_id, sent_at = batch.merchant_id, batch.sent_at or utcnow()
    versions = answers.settle_applied(session, batch, after)
    session.commit()
    # The answer is ordered with our writes: a difference is a Shopify-side change made before it. If anything moved
    # a pair since the batch settled, a newer read has covered it and this older answer is dropped ("busy").
    for pair, quantities, version in answers.out_of_step_after_push(session, merchant_id, after, versions):
        apply_reading(
            session,
            pair,
            quantities,
            seen_version=version,
            read_started_at=sent_at,
            reference=f"gid://ismartsync/SyncBatch/{batch_id}",
        )
        session.commit()
    session.commit()


def _retry(session: Session, batch_id: int, attempt: int, error: str, delay: timedelta | None = None) -> None:
    """Send the same request again later, same key (unless another worker has taken the batch over)."""
    batch = answers.still_ours(session, batch_id, attempt)
    if batch is not None:
        answers.settle_retry(batch, error, delay=delay)
    session.commit()


def _fail(session: Session, batch_id: int, attempt: int, error: str) -> None:
    """Refused for good: the batch and its entries wait for a person (the sync health screen)."""
    batch = answers.still_ours(session, batch_id, attempt)
    if batch is not None:
        answers.settle_failed(session, batch, error, batch.entries)
    session.commit()


def stale_after() -> timedelta:
    """How long a batch being sent may go without news before another worker takes it over."""
    return timedelta(seconds=int(current_app.config.get("SYNC_STALE_SECONDS") or 180))


def sender_gone(batch: SyncBatch) -> bool:
    """The job sending the batch is known dead (its worker was killed): take it over now, not after the stale time."""
    return holder_gone(current_app, _holder(batch.id))


def _holder(batch_id: int) -> str:
    return f"sync-batch:{batch_id}"
