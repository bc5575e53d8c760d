"""Assignment: where a fulfilment order could go, and a manager's move of it to another branch.

A fulfilment order belongs to the branch linked to its assigned Shopify location, so a move is Shopify's to make
(`fulfillmentOrderMove`): here the request is checked (the fulfilment order can move, the branch is linked to an
active location and holds the stock of what is left to ship), recorded with the form's key and audited before
Shopify hears of it; `pipelines/order_moves.py` sends it, and the order read again afterwards moves the fulfilment
order to the new branch as Shopify answered.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ismartsync.errors import DomainError
from ismartsync.models import Branch, ShopifyLocation, StockLevel
from ismartsync.models.base import utcnow
from ismartsync.models.online_order import FulfilmentOrder, OnlineOrder
from ismartsync.models.order_work import FulfilmentOrderMove, MoveStatus
from ismartsync.queue import enqueue_after_commit
from ismartsync.services.audit import Actor, record_audit
from ismartsync.services.online_orders.dispatches import has_open_dispatch

MOVE_JOB = "jobs.order_moves.move_fulfilment_order"


@dataclass(frozen=True)
class MoveOption:
    """A branch of the merchant seen from one fulfilment order: its stock of each line, and why it cannot take it."""

    branch: Branch
    location: ShopifyLocation | None
    stock: dict[int, int]  # fulfilment order line id → on hand at the branch
    reason: str  # "" when the fulfilment order may move there

    @property
    def offered(self) -> bool:
        return not self.reason


def stock_at_branches(
    session: Session, merchant_id: int, variant_ids: Iterable[int | None]
) -> dict[tuple[int, int], int]:
    """On hand of these variants at every branch: (variant id, branch id) → quantity (absent means none)."""
    ids = sorted({v for v in variant_ids if v is not None})
    if not ids:
        return {}
    rows = session.execute(
        select(StockLevel.variant_id, StockLevel.branch_id, StockLevel.quantity).where(
            StockLevel.merchant_id == merchant_id, StockLevel.variant_id.in_(ids)
        )
    )
    return {(variant_id, branch_id): quantity for variant_id, branch_id, quantity in rows}


def merchant_branches(session: Session, merchant_id: int) -> list[tuple[Branch, ShopifyLocation | None]]:
    """The merchant's active branches, each with the Shopify location linked to it (if any)."""
    rows = session.execute(
        select(Branch, ShopifyLocation)
        .outerjoin(ShopifyLocation, ShopifyLocation.branch_id == Branch.id)
        .where(Branch.merchant_id == merchant_id, Branch.active.is_(True))
        .order_by(Branch.name, Branch.id)
    )
    return [(branch, location) for branch, location in rows]


def why_it_cannot_move(fulfilment_order: FulfilmentOrder) -> str:
    """Why Shopify would not move this fulfilment order now ("" when it would): its supported actions lack MOVE."""
    if "MOVE" in (fulfilment_order.supported_actions or []):
        return ""
    if fulfilment_order.order.is_cancelled:
        return "The order was cancelled, so there is nothing left to move."
    status = fulfilment_order.status
    if status == "ON_HOLD":
        return "It is on hold in Shopify. Release the hold there before moving it."
    if status in {"CLOSED", "CANCELLED", "INCOMPLETE"}:
        return "It is closed: everything on it was shipped or cancelled."
    return "Shopify does not allow moving it now (fulfilment service requests and reported progress cannot move)."


def move_options(session: Session, fulfilment_order: FulfilmentOrder) -> list[MoveOption]:
    """Every active branch but the fulfilment order's own, with its stock of each line left to ship and the reason
    a move there is not offered (no linked location, an inactive one, not enough stock)."""
    lines = [line for line in fulfilment_order.lines if line.remaining_quantity > 0]
    variants = {line.id: line.order_line.variant_id if line.order_line else None for line in lines}
    stock = stock_at_branches(session, fulfilment_order.merchant_id, variants.values())
    options = []
    for branch, location in merchant_branches(session, fulfilment_order.merchant_id):
        if branch.id == fulfilment_order.branch_id:
            continue
        at_branch = {
            line.id: stock.get((variants[line.id], branch.id), 0) if variants[line.id] else 0 for line in lines
        }
        options.append(MoveOption(branch, location, at_branch, _reason(location, lines, variants, at_branch)))
    return options


def _reason(location: ShopifyLocation | None, lines: list, variants: dict[int, int | None], stock: dict) -> str:
    if location is None:
        return "Not linked to a Shopify location"
    if not location.active:
        return f"Its Shopify location {location.name} is inactive"
    if any(variants[line.id] is None for line in lines):
        return "An item is not in our catalog, so its stock is unknown"
    if any(stock[line.id] < line.remaining_quantity for line in lines):
        return "Not enough stock"
    return ""


def pending_move(session: Session, fulfilment_order: FulfilmentOrder) -> FulfilmentOrderMove | None:
    """The move of this fulfilment order still waiting for Shopify, if any."""
    return session.scalar(
        select(FulfilmentOrderMove)
        .where(
            FulfilmentOrderMove.fulfilment_order_id == fulfilment_order.id,
            FulfilmentOrderMove.status == MoveStatus.PENDING,
        )
        .order_by(FulfilmentOrderMove.id.desc())
        .limit(1)
    )


def moves_of(session: Session, order: OnlineOrder) -> list[FulfilmentOrderMove]:
    """Every move asked for on the order's fulfilment orders, newest first."""
    return list(
        session.scalars(
            select(FulfilmentOrderMove)
            .where(FulfilmentOrderMove.order_id == order.id, FulfilmentOrderMove.merchant_id == order.merchant_id)
            .order_by(FulfilmentOrderMove.id.desc())
        )
    )


def request_move(
    session: Session, actor: Actor, fulfilment_order: FulfilmentOrder, branch: Branch, request_key: str
) -> FulfilmentOrderMove:
    """Record (and audit) a move of the fulfilment order to `branch` and have it sent to Shopify after the commit.
    The same request key again, or a move of it already waiting, is that move: one effect."""
    key = (request_key or "").strip()
    if not key or len(key) > 64:
        raise DomainError("This form has expired. Reload the order and choose the branch again.", "branch_id")
    if existing := _by_key(session, actor.merchant_id, key):
        return existing
    if waiting := pending_move(session, fulfilment_order):
        enqueue_move(session, waiting.id)  # asked again while Shopify was down: send it now (once, if it waits)
        return waiting
    if reason := why_it_cannot_move(fulfilment_order):
        raise DomainError(reason, "branch_id")
    if has_open_dispatch(session, order_id=fulfilment_order.order_id, fulfilment_order_id=fulfilment_order.id):
        # Its units already left this branch: moved, another branch would send them again.
        raise DomainError("Part of it was already dispatched from this branch: it cannot move now.", "branch_id")
    option = next((o for o in move_options(session, fulfilment_order) if o.branch.id == branch.id), None)
    if option is None:
        raise DomainError(f"It is already at {branch.name}.", "branch_id")
    if option.reason:
        raise DomainError(f"{branch.name} cannot take it: {option.reason[:1].lower()}{option.reason[1:]}.", "branch_id")
    assert option.location is not None
    move = FulfilmentOrderMove(
        merchant_id=actor.merchant_id,
        fulfilment_order_id=fulfilment_order.id,
        order_id=fulfilment_order.order_id,
        fulfilment_order_shopify_id=fulfilment_order.shopify_id,
        from_branch_id=fulfilment_order.branch_id,
        to_branch_id=branch.id,
        to_shopify_location_id=option.location.shopify_id,
        request_key=key,
        requested_by_id=actor.user.id,
    )
    try:
        with session.begin_nested():
            session.add(move)
            session.flush()
    except IntegrityError:
        if found := _by_key(session, actor.merchant_id, key):
            return found
        raise
    source = fulfilment_order.branch.name if fulfilment_order.branch else fulfilment_order.location_name
    record_audit(
        session,
        actor,
        "online_order.move_requested",
        f"Order {fulfilment_order.order.name}: moving its fulfilment from {source or 'no branch'} to {branch.name}",
        target=fulfilment_order.order,
        before={"branch_id": fulfilment_order.branch_id},
        after={"branch_id": branch.id},
    )
    enqueue_move(session, move.id)
    return move


def enqueue_move(session: Session, move_id: int) -> None:
    """Send the move to Shopify after the commit (retried while Shopify cannot be reached)."""
    enqueue_after_commit(session, MOVE_JOB, move_id, queue="shopify", timeout=120, retries=3, unique=True)


def claim_move(session: Session, move_id: int) -> FulfilmentOrderMove | None:
    """Lock a waiting move for one attempt (counted); None when it is settled or gone."""
    move = session.scalar(select(FulfilmentOrderMove).where(FulfilmentOrderMove.id == move_id).with_for_update())
    if move is None or move.status != MoveStatus.PENDING:
        return None
    move.attempts += 1
    session.flush()
    return move


def settle_move(session: Session, move: FulfilmentOrderMove, status: MoveStatus, message: str = "") -> None:
    """Record Shopify's answer to a move (DONE or REFUSED), audited in the name of who asked for it."""
    move.status = status
    move.message = message[:500]
    move.finished_at = utcnow()
    session.flush()
    if move.requested_by is not None:
        to = move.to_branch.name if move.to_branch else move.to_shopify_location_id
        order = session.get(OnlineOrder, move.order_id)
        what = "moved to" if status == MoveStatus.DONE else "not moved to"
        record_audit(
            session,
            Actor(move.requested_by),
            f"online_order.move_{status.value}",
            f"Order {order.name if order else move.order_id}: {what} {to}" + (f" ({message})" if message else ""),
            target=order,
            branch_id=move.to_branch_id,
        )


def note_move_waiting(session: Session, move: FulfilmentOrderMove, message: str) -> None:
    """Shopify could not be reached: the move stays waiting (the job tries again) with the reason shown."""
    move.message = message[:500]
    session.flush()


def _by_key(session: Session, merchant_id: int, key: str) -> FulfilmentOrderMove | None:
    return session.scalar(
        select(FulfilmentOrderMove).where(
            FulfilmentOrderMove.merchant_id == merchant_id, FulfilmentOrderMove.request_key == key
        )
    )
