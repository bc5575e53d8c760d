"""Online orders in from Shopify: the incremental sync, and one order read again after a webhook said it changed.

The sync claims the merchant's record (one run at a time) and commits; it pages through the ids and `updatedAt` of
the orders changed since its cursor (less an overlap; the first time, those created in the last 60 days), reads each
one we do not already hold at that `updatedAt` whole with the `Order` operation, applies it
(`services/online_orders/intake.py`) and commits it with the cursor moved on, so a failure keeps what was taken in
and the next run starts near where this one stopped. Webhooks (`pipelines/webhooks.py`) read the one order again
with `refresh_order`: the same read and the same rule, so a duplicate delivery or a webhook and the sync reading the
same change are one effect.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from ismartsync.models.base import utcnow
from ismartsync.pipelines.fulfilment_push import StillBusy, take_fulfilments
from ismartsync.pipelines.shopify_client import open_client
from ismartsync.services.online_orders import intake
from ismartsync.services.online_orders import sync as order_sync
from ismartsync.services.shopify_store.tokens import NotConnected
from ismartsync.shopify import orders as wire
from ismartsync.shopify.client import ShopifyClient
from ismartsync.shopify.errors import ShopifyError, ShopifyUnavailable
from ismartsync.shopify.times import parse_shopify_time

log = logging.getLogger(__name__)


@dataclass
class SyncResult:
    listed: int = 0  # orders Shopify listed as changed
    read: int = 0  # of them read whole (the others we held at that updatedAt already)
    created: int = 0


def sync_orders(session: Session, merchant_id: int) -> SyncResult | None:
    """One incremental run for the merchant; None when another run is in progress or the store is not connected.

    Shopify unreachable or slow: recorded on the merchant's record and raised again, so the job is retried; a refusal
    is recorded and the next scheduled run tries again.
    """
    row = order_sync.claim_run(session, merchant_id)
    if row is None:
        session.rollback()
        return None
    started_at = row.started_at or utcnow()
    query = order_sync.search_query(row, started_at)
    session.commit()
    result = SyncResult()
    try:
        with open_client(session, merchant_id) as client:
            for page in _pages(client, query):
                _take_page(session, client, merchant_id, page, result)
        row = order_sync.sync_of(session, merchant_id, lock=True)
        order_sync.finish_run(row, started_at)
        intake.link_catalog(session, merchant_id)
        session.commit()
    except NotConnected as exc:
        session.rollback()
        order_sync.fail_run(session, merchant_id, exc.message)
        session.commit()
        return None
    except ShopifyError as exc:
        session.rollback()
        order_sync.fail_run(session, merchant_id, f"Shopify did not answer as expected: {exc.message}")
        session.commit()
        if isinstance(exc, ShopifyUnavailable):
            raise
        return result
    except Exception as exc:
        session.rollback()
        log.exception("order sync of merchant %s failed", merchant_id)
        order_sync.fail_run(session, merchant_id, f"The order sync stopped on an unexpected error: {exc}")
        session.commit()
        raise
    if result.read:
        log.info(
            "shopify orders synced",
            extra={"fields": {"merchant": merchant_id, "listed": result.listed, "read": result.read}},
        )
    return result


def refresh_order(session: Session, client: ShopifyClient, merchant_id: int, order_id: str) -> intake.Applied | None:
    """Read one order again and apply it, then take in the fulfilments it shows (`pipelines/fulfilment_push.py`:
    dispatches settle, units fulfilled in Shopify alone come off the branch); None when Shopify does not show it."""
    session.commit()  # the read happens outside any transaction
    node = wire.order(client, order_id)
    if node is None:
        return None
    applied = intake.apply_order(session, merchant_id, node)
    session.commit()
    take_fulfilments(session, client, merchant_id, node)
    return applied


def order_of_fulfilment_order(
    session: Session, client: ShopifyClient, merchant_id: int, fulfilment_order_id: str
) -> str | None:
    """The order a fulfilment order belongs to: ours if we hold it, else asked of Shopify (a new one, after a
    split or a move)."""
    return intake.find_order_of_fulfilment_order(
        session, merchant_id, fulfilment_order_id
    ) or wire.order_of_fulfilment_order(client, fulfilment_order_id)


def _pages(client: ShopifyClient, query: str) -> list[list[dict]]:
    """The changed orders in pages of at most 50, each page applied and committed before the next is read."""
    nodes = list(wire.changed_orders(client, query))
    return [nodes[i : i + 50] for i in range(0, len(nodes), 50)]


def _take_page(session: Session, client: ShopifyClient, merchant_id: int, page: list[dict], result: SyncResult) -> None:
    result.listed += len(page)
    listed = {str(n["id"]): parse_shopify_time(n.get("updatedAt")) for n in page}
    held = intake.already_held(session, merchant_id, listed)
    session.commit()
    newest = max((t for t in listed.values() if t is not None), default=None)
    read = 0
    stalled: datetime | None = None  # the oldest updatedAt of an order to read again: the cursor stays at it
    for order_id in listed:
        if order_id in held:
            continue  # a webhook (or the overlap of the last run) brought this change in already
        try:
            applied = refresh_order(session, client, merchant_id, order_id)
        except StillBusy as exc:
            # Applied, but its fulfilments' stock could not be compared: read it again next run, and go on.
            session.rollback()
            log.warning("order %s of merchant %s is read again: %s", order_id, merchant_id, exc)
            intake.read_again(session, merchant_id, order_id)
            session.commit()
            if listed[order_id] is not None:
                stalled = min(stalled or listed[order_id], listed[order_id])  # type: ignore[type-var]
            continue
        if applied is not None:
            read += 1
            result.created += int(applied.created)
        session.commit()
    row = order_sync.sync_of(session, merchant_id, lock=True)
    order_sync.advance(row, min(newest, stalled) if newest and stalled else newest, read)
    result.read += read
    session.commit()
