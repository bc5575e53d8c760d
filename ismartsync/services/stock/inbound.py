"""Shopify-side stock changes coming in: compare a fresh read of Shopify's `on_hand` with what it should be.

A read is only trusted if nothing of ours moved the pair while it was in flight: the caller notes the pair's sync
version before the API call (`versions_before_read`) and `apply_reading` refuses ("busy") when the version changed
or a batch of ours is on its way. Otherwise the difference from `level − unsent` is a change made in Shopify and
becomes a `shopify` movement, which is never pushed back; our own writes echo back as no difference.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import func, select, tuple_
from sqlalchemy.orm import Session

from ismartsync.models import (
    Branch,
    InventorySyncState,
    MovementKind,
    ShopifyLocation,
    StockLevel,
    SyncOutboxEntry,
    Variant,
)
from ismartsync.models.sync import UNSENT
from ismartsync.services.stock.ledger import locked_level, record_movement
from ismartsync.services.stock.sync_outbox import (
    fulfilment_in_flight,
    is_sending,
    state_versions,
    sync_state,
    unsent_sum,
)

SHOPIFY_CHANGE_REASON = "Changed in Shopify"
CLOCK_SKEW = timedelta(seconds=5)


class Outcome(StrEnum):
    IN_STEP = "in_step"  # Shopify has exactly our changes (an echo of our own write, or nothing new)
    CHANGED = "changed"  # someone changed the quantity in Shopify: recorded as a "shopify" movement
    BUSY = "busy"  # ours moved while the read was in flight: read again later
    # A fulfilment of ours Shopify may or may not have taken off on_hand yet: not compared (never decremented
    # twice); read again once it settles (`pipelines/fulfilment_push.py`).
    IN_FLIGHT = "in_flight"


@dataclass(frozen=True)
class Pair:
    """A variant at a branch mapped to a Shopify location, with the Shopify ids that name it there."""

    merchant_id: int
    variant_id: int
    branch_id: int
    inventory_item_id: str
    location_id: str

    @property
    def key(self) -> tuple[int, int]:
        return self.variant_id, self.branch_id


def mapped_pairs(
    session: Session,
    merchant_id: int,
    *,
    item_ids: Collection[str] | None = None,
    branch_id: int | None = None,
) -> list[Pair]:
    """Every tracked variant × mapped branch (optionally only these items, or one branch)."""
    query = (
        select(Variant.id, ShopifyLocation.branch_id, Variant.inventory_item_id, ShopifyLocation.shopify_id)
        .join(ShopifyLocation, ShopifyLocation.merchant_id == Variant.merchant_id)
        .where(
            Variant.merchant_id == merchant_id,
            Variant.tracked.is_(True),
            Variant.inventory_item_id.is_not(None),
            Variant.sync_skip_reason == "",
            Variant.deleted_at.is_(None),
            ShopifyLocation.branch_id.is_not(None),
            ShopifyLocation.active.is_(True),
        )
    )
    if item_ids is not None:
        query = query.where(Variant.inventory_item_id.in_(list(item_ids)))
    if branch_id is not None:
        query = query.where(ShopifyLocation.branch_id == branch_id)
    return [Pair(merchant_id, v, b, item, location) for v, b, item, location in session.execute(query)]


def versions_before_read(
    session: Session, merchant_id: int, branch_id: int | None = None
) -> dict[tuple[int, int], int]:
    """Note every pair's version before reading Shopify; a pair with no state yet is at version 0."""
    return state_versions(session, merchant_id, branch_id)


@dataclass(frozen=True)
class Quantities:
    """Shopify's figures for one pair at one moment."""

    on_hand: int
    available: int | None = None


def quantities_by_pair(levels: Iterable[dict[str, Any]], pairs: Iterable[Pair]) -> Iterator[tuple[Pair, Quantities]]:
    """Match Shopify inventory levels (`item`, `location`, `quantities`) to our pairs; unstocked pairs are left out."""
    wanted = {(p.inventory_item_id, p.location_id): p for p in pairs}
    for level in levels:
        pair = wanted.get(((level.get("item") or {}).get("id"), (level.get("location") or {}).get("id")))
        if pair is None:
            continue
        named = {q["name"]: q["quantity"] for q in level.get("quantities") or ()}
        if "on_hand" in named:
            available = named.get("available")
            yield pair, Quantities(int(named["on_hand"]), int(available) if available is not None else None)


@dataclass(frozen=True)
class Comparison:
    local: int
    unsent: int
    shopify: int

    @property
    def drift(self) -> int:
        """How far Shopify is from our level less what it has not been told yet."""
        return self.shopify - (self.local - self.unsent)


def compare_locked(session: Session, pair: Pair, shopify_on_hand: int) -> Comparison:
    """Our side under the level's row lock (so a sale in flight is either wholly in or wholly out)."""
    level = locked_level(session, pair.merchant_id, pair.variant_id, pair.branch_id)
    return Comparison(level.quantity, unsent_sum(session, pair.variant_id, pair.branch_id), shopify_on_hand)


def out_of_step(session: Session, figures: dict[Pair, int]) -> list[Pair]:
    """The pairs whose Shopify on_hand (`figures`) differs from ours less what is unsent, in one lock-free statement.

    One statement sees one snapshot, so a sale (its level and its outbox entry) is wholly in or wholly out. The
    pairs it returns need the locked comparison; the others need nothing more.
    """
    if not figures:
        return []
    unsent = (
        select(func.coalesce(func.sum(SyncOutboxEntry.delta), 0))
        .where(
            SyncOutboxEntry.variant_id == StockLevel.variant_id,
            SyncOutboxEntry.branch_id == StockLevel.branch_id,
            SyncOutboxEntry.status.in_(UNSENT),
        )
        .scalar_subquery()
    )
    by_key = {pair.key: pair for pair in figures}
    rows = session.execute(
        select(StockLevel.variant_id, StockLevel.branch_id, StockLevel.quantity - unsent).where(
            tuple_(StockLevel.variant_id, StockLevel.branch_id).in_(list(by_key))
        )
    ).all()
    expected = {(v, b): quantity for v, b, quantity in rows}
    return [pair for pair, on_hand in figures.items() if expected.get(pair.key) != on_hand]


def locked_reading(
    session: Session, pair: Pair, shopify: Quantities, *, seen_version: int, read_at: datetime
) -> tuple[InventorySyncState, Comparison] | None:
    """Lock the pair, note Shopify's figures and compare them with ours; None ("busy") when ours moved since
    `seen_version` was noted before the read, or a batch of ours is on its way."""
    state = sync_state(session, pair.merchant_id, pair.variant_id, pair.branch_id, lock=True)
    if state.version != seen_version or is_sending(session, pair.variant_id, pair.branch_id):
        return None
    comparison = compare_locked(session, pair, shopify.on_hand)
    state.shopify_on_hand = shopify.on_hand
    if shopify.available is not None:
        state.shopify_available = shopify.available
    if state.read_at is None or state.read_at < read_at:
        state.read_at = read_at
    return state, comparison


def apply_reading(
    session: Session,
    pair: Pair,
    shopify: Quantities,
    *,
    seen_version: int,
    read_started_at: datetime,
    reference: str,
) -> Outcome:
    """Record what a read of Shopify shows for one pair, unless ours moved since `seen_version` was noted."""
    reading = locked_reading(session, pair, shopify, seen_version=seen_version, read_at=read_started_at)
    if reading is None:
        return Outcome.BUSY
    state, comparison = reading
    if fulfilment_in_flight(session, pair.variant_id, pair.branch_id):
        session.flush()
        return Outcome.IN_FLIGHT
    if comparison.drift == 0:
        session.flush()
        return Outcome.IN_STEP
    record_movement(
        session,
        variant=session.get(Variant, pair.variant_id),
        branch=session.get(Branch, pair.branch_id),
        delta=comparison.drift,
        kind=MovementKind.SHOPIFY,
        reason=SHOPIFY_CHANGE_REASON,
        reference=reference,
    )
    state.version += 1
    session.flush()
    return Outcome.CHANGED


def is_echo(session: Session, pair: Pair, announced_available: int | None) -> bool:
    """A webhook announcing the `available` we already know (from our own batch's answer or a read) brings nothing:
    the echo of our write, or a duplicate. Not while a batch of ours is on its way."""
    if announced_available is None:
        return False
    state = sync_state(session, pair.merchant_id, pair.variant_id, pair.branch_id)
    return state.shopify_available == announced_available and not is_sending(session, pair.variant_id, pair.branch_id)


def read_covers(session: Session, pair: Pair, triggered_at: datetime | None) -> bool:
    """Whether a read that started after `triggered_at` already saw what a webhook announces (a duplicate).

    Shopify's clock stamps `triggered_at` and ours `read_at`: the margin keeps a few seconds of skew harmless.
    """
    if triggered_at is None:
        return False
    state = sync_state(session, pair.merchant_id, pair.variant_id, pair.branch_id)
    return state.read_at is not None and state.read_at > triggered_at + CLOCK_SKEW
