"""Fulfilment at a branch: the workflow in force, the pick list of a fulfilment order, checking a scanned item
against it, and recording a dispatch (what left, the courier and tracking number) in one transaction.

A dispatch takes its units off the branch as `fulfilment` movements, which are never pushed to Shopify: Shopify
takes them off its own on_hand when the fulfilment is made there. Until Shopify shows that fulfilment, each
movement's units are in flight (`sync_outbox.hold_in_flight`), so neither the stock refresh nor the
reconciliation counts them twice. Smart Fulfilment then makes the fulfilment itself from the queue
(`pipelines/fulfilment_push.py`); Manual Fulfilment waits for a person to make it in Shopify
(`services/online_orders/fulfilment_arrivals.py` settles it). The whole rule: docs/online-orders-and-stock.md.
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ismartsync.errors import DomainError
from ismartsync.models import (
    Branch,
    CancellationStatus,
    Dispatch,
    DispatchLine,
    DispatchStatus,
    FulfilmentOrder,
    FulfilmentOrderLine,
    FulfilmentOrderMove,
    FulfilmentWorkflow,
    Merchant,
    MovementKind,
    MoveStatus,
    OrderCancellation,
    Variant,
)
from ismartsync.models.fulfilment import OPEN_DISPATCH, WORKFLOW_LABELS
from ismartsync.queue import enqueue_after_commit
from ismartsync.services.audit import Actor, record_audit
from ismartsync.services.cart import find_by_code
from ismartsync.services.fiscal.documents import enqueue_report
from ismartsync.services.online_orders.invoicing import open_online_invoice
from ismartsync.services.stock.ledger import Move, record_movements
from ismartsync.services.stock.sync_outbox import hold_in_flight

PUSH_JOB = "jobs.fulfilment.push_dispatch"


@dataclass(frozen=True)
class Courier:
    name: str  # sent as trackingInfo.company: Pakistani couriers are not Shopify's named carriers
    url: str  # the tracking page, {cn} the tracking number ("" when none is known)


# Tracking pages as seen in public code (shared/reference/pk-retail-ops.md §4.2); "Other" sends no URL.
COURIERS = (
    Courier("TCS", "https://www.tcsexpress.com/track/{cn}"),
    Courier("Leopards Courier", "https://www.leopardscourier.com/tracking?cn={cn}"),
    Courier("M&P", "https://mulphilog.com/track-and-trace?tracking={cn}"),
    Courier("Trax", "https://sonic.pk/tracking?id={cn}"),
    Courier("PostEx", "https://postex.pk/tracking?cn={cn}"),
    Courier("Other", ""),
)
COURIER_NAMES = tuple(c.name for c in COURIERS)
_TRACKING = re.compile(r"^[A-Za-z0-9-]{1,30}$")


class WrongItem(DomainError):
    """A scanned item that is not on the fulfilment order, or already picked in full."""


def workflow_of(branch: Branch) -> FulfilmentWorkflow:
    """The branch's own workflow, or else its merchant's."""
    return FulfilmentWorkflow(branch.fulfilment_workflow or branch.merchant.fulfilment_workflow)


def set_workflows(
    session: Session, actor: Actor, merchant: Merchant, workflow: str, branches: dict[Branch, str | None]
) -> None:
    """Choose the merchant's fulfilment workflow and each branch's own (None follows the merchant's); audited."""
    choices = {w.value for w in FulfilmentWorkflow}
    if workflow not in choices:
        raise DomainError("Choose how online orders are fulfilled.", field="workflow")
    before = {"merchant": merchant.fulfilment_workflow} | {b.code: b.fulfilment_workflow for b in branches}
    for branch, own in branches.items():
        if branch.merchant_id != merchant.id or (own is not None and own not in choices):
            raise DomainError("Choose a workflow for each branch.", field=f"branch-{branch.id}")
        branch.fulfilment_workflow = own
    merchant.fulfilment_workflow = workflow
    session.flush()
    after = {"merchant": workflow} | {b.code: b.fulfilment_workflow for b in branches}
    record_audit(
        session,
        actor,
        "settings.fulfilment",
        f"Online orders fulfilled by {WORKFLOW_LABELS[FulfilmentWorkflow(workflow)]}",
        before=before,
        after=after,
    )


@dataclass
class PickLine:
    """One fulfilment order line on the pick list: what is left to ship (less open dispatches) and what is picked."""

    line: FulfilmentOrderLine
    variant: Variant | None
    wanted: int
    picked: int = 0

    @property
    def complete(self) -> bool:
        return self.picked >= self.wanted

    @property
    def title(self) -> str:
        order_line = self.line.order_line
        if self.variant is not None:
            return self.variant.display_name
        return order_line.title if order_line else "Item"


def dispatched_open(session: Session, fulfilment_order: FulfilmentOrder) -> dict[int, int]:
    """Units of each fulfilment order line in dispatches Shopify does not show yet (still on its remaining)."""
    rows = session.execute(
        select(DispatchLine.fulfilment_order_line_id, func.sum(DispatchLine.quantity - DispatchLine.shopify_quantity))
        .join(Dispatch, Dispatch.id == DispatchLine.dispatch_id)
        .where(Dispatch.fulfilment_order_id == fulfilment_order.id, Dispatch.status.in_(OPEN_DISPATCH))
        .group_by(DispatchLine.fulfilment_order_line_id)
    )
    return {line_id: int(units or 0) for line_id, units in rows}


def pick_list(session: Session, fulfilment_order: FulfilmentOrder, picked: dict[int, int]) -> list[PickLine]:
    """The lines still to ship at the branch, with what the picker has scanned so far (`picked` by line id)."""
    open_units = dispatched_open(session, fulfilment_order)
    lines = []
    for line in fulfilment_order.lines:
        wanted = line.remaining_quantity - open_units.get(line.id, 0)
        if wanted <= 0:
            continue
        variant = line.order_line.variant if line.order_line else None
        lines.append(PickLine(line, variant, wanted, min(max(picked.get(line.id, 0), 0), wanted)))
    return lines


def scan_item(session: Session, merchant_id: int, lines: list[PickLine], code: str) -> PickLine:
    """Count one scanned item against the pick list; the line it completes a unit of.

    :raise WrongItem: the code names no item, an item not on this order, or one already picked in full.
    """
    if not code.strip():
        raise WrongItem("Scan or type the item's barcode.", field="code")
    variant = find_by_code(session, merchant_id, code)
    if variant is None:
        raise WrongItem(f"No item has the code {code.strip()[:40]}.", field="code")
    matching = [p for p in lines if p.variant is not None and p.variant.id == variant.id]
    if not matching:
        raise WrongItem(f"Wrong item: {variant.display_name} is not on this order.", field="code")
    for pick in matching:
        if not pick.complete:
            pick.picked += 1
            return pick
    raise WrongItem(f"All of {variant.display_name} are already picked.", field="code")


def check_dispatchable(fulfilment_order: FulfilmentOrder, branch: Branch) -> None:
    """Refuse a fulfilment order that cannot leave this branch now (another branch's, held, closed, cancelled)."""
    if fulfilment_order.branch_id != branch.id:
        raise DomainError("This order is now assigned to another branch.")
    if fulfilment_order.order.is_cancelled:
        raise DomainError("This order was cancelled.")
    if "CREATE_FULFILLMENT" not in (fulfilment_order.supported_actions or []):
        status = (fulfilment_order.status or "").replace("_", " ").lower()
        raise DomainError(f"Shopify does not allow fulfilling this order now (it is {status or 'not open'}).")


def check_nothing_pending(session: Session, fulfilment_order: FulfilmentOrder) -> None:
    """Refuse a dispatch while the order is being cancelled or the fulfilment order moved in Shopify: either would
    leave the units off this branch with no fulfilment to settle them."""
    cancelling = session.scalar(
        select(OrderCancellation.id).where(
            OrderCancellation.order_id == fulfilment_order.order_id,
            OrderCancellation.status != CancellationStatus.REFUSED,
        )
    )
    if cancelling is not None:
        raise DomainError("This order is being cancelled: it cannot be dispatched.")
    moving = session.scalar(
        select(FulfilmentOrderMove.id).where(
            FulfilmentOrderMove.fulfilment_order_id == fulfilment_order.id,
            FulfilmentOrderMove.status == MoveStatus.PENDING,
        )
    )
    if moving is not None:
        raise DomainError("This order is being moved to another branch: it cannot be dispatched here.")


def dispatch_fulfilment_order(
    session: Session,
    actor: Actor,
    fulfilment_order: FulfilmentOrder,
    *,
    key: str,
    picked: dict[int, int],
    courier: str,
    tracking_number: str,
) -> Dispatch:
    """Record what left the branch for a fulfilment order, in one transaction: the dispatch and its lines, a
    `fulfilment` movement per line (never pushed) with its units held in flight, and for Smart Fulfilment the
    `fulfillmentCreate` request with its idempotency key, queued to be sent after the commit.

    A second submit with the same `key` returns the first dispatch and changes nothing.

    :raise DomainError: the order cannot be dispatched here now, a line is not picked in full, or the courier or
        tracking number is missing.
    """
    # One dispatch at a time per fulfilment order: a second (or the same form twice) waits, then sees the first.
    session.execute(select(FulfilmentOrder.id).where(FulfilmentOrder.id == fulfilment_order.id).with_for_update())
    existing = session.scalar(select(Dispatch).where(Dispatch.merchant_id == actor.merchant_id, Dispatch.key == key))
    if existing is not None:
        return existing
    branch = fulfilment_order.branch
    if branch is None:
        raise DomainError("This order is not assigned to a branch.")
    check_dispatchable(fulfilment_order, branch)
    check_nothing_pending(session, fulfilment_order)
    workflow = workflow_of(branch)
    if workflow == FulfilmentWorkflow.BRANCH_SYNC:
        raise DomainError("This branch's orders are fulfilled in Shopify (Branch Sync).")
    lines = pick_list(session, fulfilment_order, picked)
    if not lines:
        raise DomainError("Nothing is left to dispatch on this order.")
    missing = [p for p in lines if not p.complete or p.variant is None]
    if missing:
        raise DomainError(f"Scan every item first: {missing[0].title} is not picked in full.", field="code")
    courier_url = _courier_url(courier, tracking_number)
    dispatch = Dispatch(
        merchant_id=actor.merchant_id,
        key=key,
        branch_id=branch.id,
        order_id=fulfilment_order.order_id,
        fulfilment_order_id=fulfilment_order.id,
        workflow=workflow.value,
        status=DispatchStatus.QUEUED if workflow == FulfilmentWorkflow.SMART else DispatchStatus.AWAITING,
        courier=courier,
        tracking_number=tracking_number.strip(),
        tracking_url=courier_url,
        dispatched_by_id=actor.user.id,
    )
    session.add(dispatch)
    session.flush()
    reference = f"gid://ismartsync/Dispatch/{dispatch.id}"
    # The invoice first: it locks the counter's sequence before the ledger locks the levels, the order a counter
    # sale takes them in (the other order could deadlock a sale and a dispatch of the same item).
    _invoice(session, fulfilment_order, branch, lines, reference)
    results = record_movements(
        session,
        branch=branch,
        moves=[Move(p.variant, -p.wanted) for p in lines],  # type: ignore[arg-type]  # checked above
        kind=MovementKind.FULFILMENT,
        reason=f"Online order {fulfilment_order.order.name}",
        reference=reference,
        actor=actor.user,
    )
    for pick, result in zip(lines, results, strict=True):
        hold_in_flight(session, result.movement, pick.variant)  # type: ignore[arg-type]
        session.add(
            DispatchLine(
                merchant_id=actor.merchant_id,
                dispatch=dispatch,
                fulfilment_order_line_id=pick.line.id,
                order_line_id=pick.line.order_line_id,
                variant_id=pick.variant.id,  # type: ignore[union-attr]
                quantity=pick.wanted,
                movement_id=result.movement.id,
            )
        )
    if workflow == FulfilmentWorkflow.SMART:
        dispatch.idempotency_key = uuid.uuid4().hex
        dispatch.request = json.dumps(fulfilment_request(fulfilment_order, lines, dispatch), sort_keys=True)
        enqueue_after_commit(session, PUSH_JOB, dispatch.id, queue="shopify", timeout=120, retries=0)
    session.flush()
    record_audit(
        session,
        actor,
        "online_order.dispatch",
        f"Dispatched {fulfilment_order.order.name} ({dispatch.units} items, {courier} {dispatch.tracking_number})",
        target=dispatch,
        branch_id=branch.id,
    )
    return dispatch


def fulfilment_request(fulfilment_order: FulfilmentOrder, lines: list[PickLine], dispatch: Dispatch) -> dict[str, Any]:
    """The `FulfillmentCreate` variables for a dispatch: its line items and the courier's tracking."""
    tracking: dict[str, Any] = {"company": dispatch.courier, "number": dispatch.tracking_number}
    if dispatch.tracking_url:
        tracking["url"] = dispatch.tracking_url
    return {
        "fulfillment": {
            "notifyCustomer": True,
            "trackingInfo": tracking,
            "lineItemsByFulfillmentOrder": [
                {
                    "fulfillmentOrderId": fulfilment_order.shopify_id,
                    "fulfillmentOrderLineItems": [{"id": p.line.shopify_id, "quantity": p.wanted} for p in lines],
                }
            ],
        },
        "message": f"Dispatched from {fulfilment_order.branch.name if fulfilment_order.branch else 'the branch'}",
    }


def _courier_url(courier: str, tracking_number: str) -> str:
    found = next((c for c in COURIERS if c.name == courier), None)
    if found is None:
        raise DomainError("Choose the courier.", field="courier")
    number = tracking_number.strip()
    if not _TRACKING.match(number):
        raise DomainError("Type the tracking number (1–30 letters, digits or dashes).", field="tracking_number")
    return found.url.format(cn=number) if found.url else ""


def _invoice(
    session: Session, fulfilment_order: FulfilmentOrder, branch: Branch, lines: list[PickLine], reference: str
) -> None:
    """The FBR invoice of what left (when a counter reports the branch's online orders), in the dispatch's
    transaction; the fiscal queue sends it once this commits, with the same USIN however often it is tried."""
    shipped = [(p.line.order_line, p.wanted) for p in lines if p.line.order_line is not None]
    if not shipped:
        return
    document = open_online_invoice(session, branch.merchant, fulfilment_order.order, branch, shipped, reference)
    if document is not None:
        enqueue_report(session, document.id)
