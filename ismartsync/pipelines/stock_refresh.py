"""Re-reading Shopify's stock after a webhook said it changed, and taking in what was changed there.

The webhook pipeline calls this for inventory levels and items. The read happens outside any transaction and is
trusted only for pairs nothing of ours moved while it was in flight (`services/stock/inbound.py`); a pair our own
batch moved is read again a few times, then the webhook's job is retried.
"""

from __future__ import annotations

import time
from datetime import datetime

from sqlalchemy.orm import Session

from ismartsync.models.base import utcnow
from ismartsync.pipelines.shopify_client import open_client
from ismartsync.services.stock.inbound import (
    Outcome,
    Pair,
    apply_reading,
    is_echo,
    mapped_pairs,
    quantities_by_pair,
    read_covers,
)
from ismartsync.services.stock.sync_outbox import versions_of
from ismartsync.shopify import importer
from ismartsync.shopify.client import ShopifyClient

BUSY_WAITS = (0.2, 0.5, 1.0, 2.0)


class StillBusy(Exception):
    """Our own batch kept the pair moving through every re-read; RQ retries the job later."""


def refresh_stock(
    session: Session,
    merchant_id: int,
    item_ids: list[str],
    triggered_at: datetime | None = None,
    reference: str = "",
    *,
    location_id: str | None = None,
    announced_available: int | None = None,
) -> dict[str, int]:
    """Re-read Shopify's on_hand for these items at every mapped location (or `location_id`) and record
    Shopify-side changes.

    No read is made for a delivery announcing the `available` we already know (the echo of our own batch) or
    triggered before our last read (duplicates, reordered deliveries); a pair our own batch moved during the read is
    read again. Returns outcome counts.
    """
    candidates = [
        p
        for p in mapped_pairs(session, merchant_id, item_ids=item_ids)
        if location_id is None or p.location_id == location_id
    ]
    pairs = [
        p
        for p in candidates
        if not is_echo(session, p, announced_available) and not read_covers(session, p, triggered_at)
    ]
    counts = {outcome.value: 0 for outcome in Outcome} | {"covered": len(candidates) - len(pairs)}
    if not pairs:
        session.commit()
        return counts
    client = open_client(session, merchant_id)
    try:
        for wait in (*BUSY_WAITS, None):
            pairs = _read_and_apply(session, client, pairs, reference or "gid://shopify/InventoryLevel", counts)
            if not pairs:
                return counts
            if wait is None:
                raise StillBusy(f"{len(pairs)} levels kept moving while read; retrying later")
            time.sleep(wait)
    finally:
        client.close()
    return counts


def _read_and_apply(
    session: Session, client: ShopifyClient, pairs: list[Pair], reference: str, counts: dict[str, int]
) -> list[Pair]:
    """One read of the pairs and what it shows applied, a pair at a time; the pairs that were busy."""
    versions = versions_of(session, [p.key for p in pairs])
    session.commit()  # the read happens outside any transaction
    started = utcnow()
    levels = list(importer.on_hand_levels(client, sorted({p.inventory_item_id for p in pairs})))
    busy = []
    for pair, figures in quantities_by_pair(levels, pairs):
        outcome = apply_reading(
            session, pair, figures, seen_version=versions[pair.key], read_started_at=started, reference=reference
        )
        counts[outcome.value] += 1
        if outcome == Outcome.BUSY:
            busy.append(pair)
        session.commit()
    return busy
