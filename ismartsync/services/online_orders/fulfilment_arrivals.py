"""Shopify's side of a dispatch: the answer to our `fulfillmentCreate`, and the fulfilments an order re-read shows.

Each Shopify fulfilment line is taken in once (`FulfilmentArrival`, unique by its id). Its units first account for
our open dispatches of that order line at that branch (oldest first): a dispatch Shopify shows in full is done, and
its in-flight units settle (`sync_outbox.settle_in_flight`). Units no dispatch of ours accounts for were fulfilled
in Shopify alone (Branch Sync, or someone bypassing iSmartSync): they come off the branch by comparison with a fresh
read of Shopify's on_hand (`take_by_comparison`), so a stock refresh that already took Shopify's lower figure in
leaves nothing to take. Never twice.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ismartsync.models import (
    Branch,
    Dispatch,
    DispatchLine,
    DispatchStatus,
    FulfilmentArrival,
    MovementKind,
    OnlineOrder,
    OnlineOrderLine,
    ShopifyLocation,
    StockMovement,
    Variant,
)
from ismartsync.models.base import utcnow
from ismartsync.models.fulfilment import OPEN_DISPATCH
from ismartsync.services.stock.inbound import CLOCK_SKEW, Outcome, Pair, Quantities, locked_reading
from ismartsync.services.stock.ledger import record_movement
from ismartsync.services.stock.sync_outbox import fulfilment_in_flight, settle_in_flight
from ismartsync.shopify.times import parse_shopify_time

LEASE = timedelta(minutes=2)  # a sending dispatch not answered by then lost its worker: the sweep sends it again
RETRY_AFTER = (timedelta(seconds=30), timedelta(minutes=2), timedelta(minutes=10), timedelta(hours=1))


@dataclass
class Taken:
    """What taking in an order's fulfilments left to do: pairs to read again, arrivals to compare."""

    settled: list[tuple[int, int]] = field(default_factory=list)  # (variant id, branch id) pairs now in step
    to_compare: list[int] = field(default_factory=list)  # arrival ids with units no dispatch accounts for


# The dispatch's answer (Smart Fulfilment)


def claim_dispatch(session: Session, dispatch_id: int, now: datetime) -> Dispatch | None:
    """Lock a Smart dispatch that is due to be sent, mark it sending and count the attempt; None if not due."""
    dispatch = session.scalar(select(Dispatch).where(Dispatch.id == dispatch_id).with_for_update())
    if dispatch is None or dispatch.status not in (DispatchStatus.QUEUED, DispatchStatus.SENDING):
        return None
    if dispatch.next_attempt_at is not None and dispatch.next_attempt_at > now:
        return None
    dispatch.status, dispatch.attempts = DispatchStatus.SENDING, dispatch.attempts + 1
    dispatch.next_attempt_at = now + LEASE
    session.flush()
    return dispatch


def record_fulfilment(session: Session, dispatch: Dispatch, fulfillment: dict[str, Any]) -> Taken:
    """Shopify made the fulfilment: its lines are taken in as this dispatch's, and the dispatch is done."""
    dispatch.shopify_fulfillment_id = str(fulfillment.get("id") or "")
    dispatch.error = ""
    order = session.get(OnlineOrder, dispatch.order_id)
    taken = Taken()
    _take_fulfilment(session, order, fulfillment, taken, only=dispatch)  # type: ignore[arg-type]
    if dispatch.status != DispatchStatus.DONE:  # an order re-read may have got there first
        _finish(session, dispatch, taken)
    return taken


def record_refusal(session: Session, dispatch: Dispatch, message: str) -> None:
    """Shopify refused the fulfilment: the dispatch is failed, for a person; its units stay in flight."""
    dispatch.status, dispatch.error = DispatchStatus.FAILED, message[:2000]
    session.flush()


def record_retry(session: Session, dispatch: Dispatch, message: str, now: datetime) -> datetime:
    """Shopify did not answer: sent again later under the same key. Returns when."""
    wait = RETRY_AFTER[min(dispatch.attempts, len(RETRY_AFTER)) - 1]
    dispatch.error, dispatch.next_attempt_at = message[:2000], now + wait
    session.flush()
    return dispatch.next_attempt_at


def retry_failed(session: Session, dispatch: Dispatch) -> None:
    """A person sends a failed dispatch again (after releasing a hold in Shopify, say), under a new key."""
    if dispatch.status != DispatchStatus.FAILED:
        return

    dispatch.status, dispatch.idempotency_key, dispatch.next_attempt_at = DispatchStatus.QUEUED, uuid.uuid4().hex, None
    session.flush()


# An order re-read (every workflow)


def take_order_fulfilments(session: Session, merchant_id: int, node: dict[str, Any]) -> Taken:
    """Take in the fulfilments an order read shows that we have not yet: settle the dispatches they account for,
    and note the units fulfilled in Shopify alone for a comparison."""
    taken = Taken()
    order = session.scalar(
        select(OnlineOrder)
        .where(OnlineOrder.merchant_id == merchant_id, OnlineOrder.shopify_id == str(node.get("id")))
        .with_for_update()
    )
    if order is None:
        return taken
    for fulfillment in node.get("fulfillments") or []:
        if (fulfillment.get("status") or "SUCCESS") == "SUCCESS":
            _take_fulfilment(session, order, fulfillment, taken)
    pending = session.scalars(
        select(FulfilmentArrival.id).where(
            FulfilmentArrival.order_id == order.id,
            FulfilmentArrival.taken_at.is_(None),
            FulfilmentArrival.branch_id.is_not(None),
        )
    ).all()
    taken.to_compare = sorted(set(taken.to_compare) | set(pending))
    session.flush()
    return taken


def arrival_pair(session: Session, arrival: FulfilmentArrival) -> Pair | None:
    """The stock pair an arrival's remaining units come off (None: an item or branch we do not sync)."""
    line = session.get(OnlineOrderLine, arrival.order_line_id) if arrival.order_line_id else None
    variant = session.get(Variant, line.variant_id) if line and line.variant_id else None
    location = session.scalar(
        select(ShopifyLocation.shopify_id).where(
            ShopifyLocation.branch_id == arrival.branch_id, ShopifyLocation.active.is_(True)
        )
    )
    if variant is None or not variant.tracked or not variant.inventory_item_id or location is None:
        return None
    return Pair(arrival.merchant_id, variant.id, arrival.branch_id, variant.inventory_item_id, location)  # type: ignore[arg-type]


def take_by_comparison(
    session: Session,
    arrival: FulfilmentArrival,
    pair: Pair,
    shopify: Quantities,
    *,
    seen_version: int,
    read_at: datetime,
) -> Outcome:
    """Take an arrival's remaining units off the branch as far as Shopify's on_hand (read after `seen_version` was
    noted) shows them gone and ours does not: at most its units, never below what a refresh already took."""
    if arrival.taken_at is not None:
        return Outcome.IN_STEP
    if _before_our_stock(session, arrival, pair):
        arrival.taken_at = utcnow()  # already inside the opening stock we took from Shopify
        session.flush()
        return Outcome.IN_STEP
    reading = locked_reading(session, pair, shopify, seen_version=seen_version, read_at=read_at)
    if reading is None:
        return Outcome.BUSY
    state, comparison = reading
    if fulfilment_in_flight(session, pair.variant_id, pair.branch_id):
        return Outcome.IN_FLIGHT
    units = min(arrival.to_take, max(0, -comparison.drift))
    arrival.taken, arrival.taken_at = units, utcnow()
    if units == 0:
        session.flush()
        return Outcome.IN_STEP
    result = record_movement(
        session,
        variant=session.get(Variant, pair.variant_id),  # type: ignore[arg-type]
        branch=session.get(Branch, pair.branch_id),  # type: ignore[arg-type]
        delta=-units,
        kind=MovementKind.FULFILMENT,
        reason="Fulfilled in Shopify",
        reference=f"gid://ismartsync/FulfilmentArrival/{arrival.id}",
    )
    arrival.movement_id = result.movement.id
    state.version += 1
    session.flush()
    return Outcome.CHANGED


def _before_our_stock(session: Session, arrival: FulfilmentArrival, pair: Pair) -> bool:
    """A fulfilment made before the branch's stock of the item began (its first movement, the opening stock read
    from Shopify) is already in it: an order synced with its old fulfilments takes nothing."""
    began = session.scalar(
        select(func.min(StockMovement.created_at)).where(
            StockMovement.variant_id == pair.variant_id, StockMovement.branch_id == pair.branch_id
        )
    )
    # Shopify's times are whole seconds from its own clock: only a fulfilment clearly older counts as inside.
    return began is None or (arrival.fulfilled_at is not None and arrival.fulfilled_at + CLOCK_SKEW < began)


def _take_fulfilment(
    session: Session, order: OnlineOrder, fulfillment: dict[str, Any], taken: Taken, only: Dispatch | None = None
) -> None:
    branch_id = _branch_of_location(session, order.merchant_id, (fulfillment.get("location") or {}).get("id"))
    lines_by_gid = {line.shopify_id: line for line in order.lines}
    for node in (fulfillment.get("fulfillmentLineItems") or {}).get("nodes") or []:
        line_item_id = (node.get("lineItem") or {}).get("id")
        exists = session.scalar(
            select(FulfilmentArrival.id).where(
                FulfilmentArrival.merchant_id == order.merchant_id, FulfilmentArrival.shopify_id == str(node["id"])
            )
        )
        if exists is not None:
            continue
        order_line = lines_by_gid.get(str(line_item_id))
        arrival = FulfilmentArrival(
            merchant_id=order.merchant_id,
            shopify_id=str(node["id"]),
            shopify_fulfillment_id=str(fulfillment.get("id") or ""),
            order_id=order.id,
            order_line_id=order_line.id if order_line else None,
            branch_id=branch_id,
            quantity=int(node.get("quantity") or 0),
            fulfilled_at=parse_shopify_time(fulfillment.get("createdAt")),
        )
        session.add(arrival)
        session.flush()
        if branch_id is None or order_line is None:
            arrival.taken_at = utcnow()  # not a branch of ours, or a line we do not hold: nothing to move
            continue
        _account(session, arrival, taken, only)
        if arrival.to_take > 0:
            taken.to_compare.append(arrival.id)
        else:
            arrival.taken_at = utcnow()


def _account(session: Session, arrival: FulfilmentArrival, taken: Taken, only: Dispatch | None) -> None:
    """Let the arrival's units account for open dispatch lines of its order line at its branch, oldest first."""
    query = (
        select(DispatchLine)
        .join(Dispatch, Dispatch.id == DispatchLine.dispatch_id)
        .where(
            Dispatch.order_id == arrival.order_id,
            Dispatch.branch_id == arrival.branch_id,
            Dispatch.status.in_(OPEN_DISPATCH),
            DispatchLine.order_line_id == arrival.order_line_id,
            DispatchLine.shopify_quantity < DispatchLine.quantity,
        )
        .order_by(Dispatch.id, DispatchLine.id)
        .with_for_update()
    )
    if only is not None:
        query = query.where(Dispatch.id == only.id)
    for line in session.scalars(query):
        units = min(arrival.quantity - arrival.accounted, line.quantity - line.shopify_quantity)
        if units <= 0:
            break
        line.shopify_quantity += units
        arrival.accounted += units
        dispatch = line.dispatch
        if all(dl.shopify_quantity >= dl.quantity for dl in dispatch.lines):
            _finish(session, dispatch, taken)


def _finish(session: Session, dispatch: Dispatch, taken: Taken) -> None:
    dispatch.status, dispatch.settled_at, dispatch.next_attempt_at = DispatchStatus.DONE, utcnow(), None
    taken.settled.extend(settle_in_flight(session, [line.movement_id for line in dispatch.lines]))


def _branch_of_location(session: Session, merchant_id: int, location_id: str | None) -> int | None:
    if not location_id:
        return None
    return session.scalar(
        select(ShopifyLocation.branch_id).where(
            ShopifyLocation.merchant_id == merchant_id, ShopifyLocation.shopify_id == str(location_id)
        )
    )
