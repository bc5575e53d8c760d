"""Telling Shopify of a dispatch, and taking in the fulfilments an order re-read shows.

`push_dispatch` (Smart Fulfilment): claim the dispatch → commit (its key and exact request were stored when it was
recorded) → `fulfillmentCreate` under that key → record the answer → commit. A lost answer is sent again under the
same key, so Shopify makes one fulfilment; a refusal marks the dispatch failed for a person.

`take_fulfilments` (every workflow, after `order_sync.refresh_order`): the fulfilments the order shows settle our
dispatches, and units fulfilled in Shopify alone (Branch Sync) come off the branch by comparison with a fresh read of
Shopify's on_hand. Either way, the pairs whose in-flight units settled are read again, so a Shopify-side change the
stock refresh set aside while they were in flight is taken in now. The rule: docs/online-orders-and-stock.md.
"""

from __future__ import annotations

import json
import logging
import time
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ismartsync.models import Dispatch, DispatchStatus, FulfilmentArrival, Variant
from ismartsync.models.base import utcnow
from ismartsync.pipelines.shopify_client import open_client
from ismartsync.pipelines.stock_refresh import refresh_stock
from ismartsync.services.online_orders import fulfilment_arrivals as arrivals
from ismartsync.services.online_orders.fulfilment_arrivals import Taken
from ismartsync.services.shopify_store.tokens import NotConnected
from ismartsync.services.stock.inbound import Outcome, Pair, quantities_by_pair
from ismartsync.services.stock.sync_outbox import mapped_location_id, versions_of
from ismartsync.shopify import importer
from ismartsync.shopify.client import ShopifyClient
from ismartsync.shopify.errors import ShopifyError, ShopifyUserError

log = logging.getLogger(__name__)

BUSY_WAITS = (0.2, 0.5, 1.0, 2.0)


class StillBusy(Exception):
    """A branch's stock kept moving while Shopify's on_hand was read; the job is retried later (the order sync
    leaves that order to be read again and goes on with the others)."""


class SendLater(Exception):
    """Shopify did not answer; the dispatch is sent again under the same key."""


def push_dispatch(session: Session, dispatch_id: int) -> None:
    """Send a Smart dispatch's `fulfillmentCreate` and record the answer (nothing if it is not due)."""
    dispatch = arrivals.claim_dispatch(session, dispatch_id, utcnow())
    if dispatch is None:
        session.commit()
        return
    merchant_id, key, request = dispatch.merchant_id, dispatch.idempotency_key, json.loads(dispatch.request)
    session.commit()  # claimed, with its key and request on record, before Shopify sees it
    try:
        with open_client(session, merchant_id) as client:
            answer = client.mutate("FulfillmentCreate", request, idempotency_key=key, payload="fulfillmentCreate")
            dispatch = session.get(Dispatch, dispatch_id)
            taken = arrivals.record_fulfilment(session, dispatch, answer["fulfillment"] or {})  # type: ignore[arg-type]
            session.commit()
            _read_settled(session, merchant_id, taken)
    except ShopifyUserError as exc:
        session.rollback()
        arrivals.record_refusal(session, session.get(Dispatch, dispatch_id), _refusal(exc))  # type: ignore[arg-type]
        session.commit()
    except (ShopifyError, NotConnected) as exc:
        session.rollback()
        when = arrivals.record_retry(session, session.get(Dispatch, dispatch_id), exc.message, utcnow())  # type: ignore[arg-type]
        session.commit()
        raise SendLater(f"Shopify did not answer; dispatch {dispatch_id} is sent again after {when:%H:%M:%S}") from exc


def take_fulfilments(session: Session, client: ShopifyClient, merchant_id: int, node: dict[str, Any]) -> Taken:
    """Take in an order read's fulfilments (see the module docstring); commits."""
    taken = arrivals.take_order_fulfilments(session, merchant_id, node)
    session.commit()
    if taken.to_compare:
        _compare(session, client, merchant_id, taken.to_compare)
    _read_settled(session, merchant_id, taken, client)
    return taken


def _compare(session: Session, client: ShopifyClient, merchant_id: int, arrival_ids: list[int]) -> None:
    """Read Shopify's on_hand for the arrivals' pairs and take what it shows gone; again while our side moves."""
    for wait in (*BUSY_WAITS, None):
        pairs: dict[int, Pair] = {}
        for arrival_id in arrival_ids:
            arrival = session.get(FulfilmentArrival, arrival_id)
            pair = arrivals.arrival_pair(session, arrival) if arrival else None
            if pair is None:
                if arrival is not None and arrival.taken_at is None:
                    arrival.taken_at = utcnow()  # an item or branch we do not sync: nothing to compare
                continue
            pairs[arrival_id] = pair
        versions = versions_of(session, {p.key for p in pairs.values()})
        session.commit()  # the read happens outside any transaction
        started = utcnow()
        levels = list(importer.on_hand_levels(client, sorted({p.inventory_item_id for p in pairs.values()})))
        figures = dict(quantities_by_pair(levels, set(pairs.values())))
        busy = []
        for arrival_id, pair in pairs.items():
            arrival = session.get(FulfilmentArrival, arrival_id)
            if pair not in figures or arrival is None:
                continue
            outcome = arrivals.take_by_comparison(
                session, arrival, pair, figures[pair], seen_version=versions[pair.key], read_at=started
            )
            # In flight: a dispatch of ours for the pair is not settled yet. The arrival stays pending (not taken)
            # and the next read of its order compares it; waiting here would not settle it.
            if outcome == Outcome.BUSY:
                busy.append(arrival_id)
            session.commit()
        if not busy:
            return
        if wait is None:
            raise StillBusy(f"{len(busy)} fulfilled lines could not be compared yet; retrying later")
        arrival_ids = busy
        time.sleep(wait)


def _read_settled(session: Session, merchant_id: int, taken: Taken, client: ShopifyClient | None = None) -> None:
    """Read again the pairs whose in-flight units just settled (a refresh set them aside meanwhile)."""
    by_location: dict[str, list[str]] = {}
    for variant_id, branch_id in taken.settled:
        variant = session.get(Variant, variant_id)
        location_id = mapped_location_id(session, branch_id)
        if variant is not None and variant.inventory_item_id and location_id:
            by_location.setdefault(location_id, []).append(variant.inventory_item_id)
    for location_id, item_ids in by_location.items():
        refresh_stock(session, merchant_id, item_ids, reference="gid://ismartsync/Dispatch", location_id=location_id)


def _refusal(exc: ShopifyUserError) -> str:
    messages = [str(e.get("message") or "") for e in getattr(exc, "errors", []) or []]
    return "Shopify refused the fulfilment: " + ("; ".join(m for m in messages if m) or exc.message)


def dispatches_due(session: Session, now: datetime) -> list[int]:
    """Smart dispatches left behind (a lost job, a retry due): for the sweeper."""
    return list(
        session.scalars(
            select(Dispatch.id).where(
                Dispatch.status.in_((DispatchStatus.QUEUED, DispatchStatus.SENDING)),
                # a queued one without a date has its job waiting; a sending one is due when its lease ran out
                (Dispatch.next_attempt_at.is_(None) & (Dispatch.status == DispatchStatus.QUEUED))
                | (Dispatch.next_attempt_at <= now),
            )
        )
    )
