"""Cancelling an online order from iSmartSync, before anything of it is dispatched: what it would do (the wording the
manager confirms), the request (one per order, audited), and the database steps of `pipelines/order_cancel.py`
(claim before Shopify is asked, then record its answer).

The cancellation moves no stock: the order's reserved units are released when the order read back from Shopify says
it is cancelled (its fulfilment orders closed), as for an order cancelled in Shopify itself. Shopify restocks what
it committed; the customer's money is not touched by iSmartSync (a paid order's refund is done in Shopify).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from ismartsync.errors import DomainError
from ismartsync.models import CancellationStatus, CancelReason, OnlineOrder, OrderCancellation
from ismartsync.models.base import utcnow
from ismartsync.queue import enqueue_after_commit
from ismartsync.services.audit import Actor, record_audit
from ismartsync.services.online_orders.dispatches import has_open_dispatch
from ismartsync.services.online_orders.reserved import RESERVING_STATUSES

CANCEL_JOB = "jobs.online_orders.cancel_order"
# Shopify's statuses of an order some of which has left (its lines say so too: `dispatched_units`).
_DISPATCHED_STATUSES = {"FULFILLED", "PARTIALLY_FULFILLED"}


@dataclass(frozen=True)
class CancelPlan:
    """What cancelling the order would do, or why it cannot be cancelled (`refusal`)."""

    order: OnlineOrder
    reserved_units: int
    refusal: str | None

    @property
    def wording(self) -> str:
        units = f"{self.reserved_units} reserved unit{'' if self.reserved_units == 1 else 's'}"
        return (
            f"Cancel order {self.order.name} in Shopify, release {units}, restock; "
            "the customer is not refunded by iSmartSync."
        )


def dispatched_units(order: OnlineOrder) -> int:
    """Units of the order that have left a branch, as Shopify last told us."""
    return sum(max(line.current_quantity - line.unfulfilled_quantity, 0) for line in order.lines)


def reserved_units(order: OnlineOrder) -> int:
    """Units the order's open fulfilment orders still hold (at any branch)."""
    return sum(
        line.remaining_quantity
        for fo in order.fulfilment_orders
        if fo.status in RESERVING_STATUSES
        for line in fo.lines
    )


def plan_cancel(order: OnlineOrder) -> CancelPlan:
    refusal = None
    if order.is_cancelled:
        refusal = f"Order {order.name} is already cancelled."
    elif dispatched_units(order) or order.fulfilment_status in _DISPATCHED_STATUSES:
        refusal = (
            f"Something of order {order.name} was already dispatched, so it cannot be cancelled. "
            "When the parcel comes back, receive it as a return."
        )
    return CancelPlan(order, reserved_units(order), refusal)


def cancellation_of(session: Session, order: OnlineOrder) -> OrderCancellation | None:
    return session.scalar(select(OrderCancellation).where(OrderCancellation.order_id == order.id))


def request_cancel(
    session: Session, actor: Actor, order: OnlineOrder, reason: CancelReason, staff_note: str = ""
) -> tuple[OrderCancellation, bool]:
    """Ask for the order's cancellation in Shopify (sent by a job after the commit); `(cancellation, asked)`, where
    `asked` is False when it was already asked (a double submit, or two managers at once: one cancellation).

    :raise DomainError: the order is cancelled already, or something of it was dispatched.
    """
    # The order's row lock makes two requests for it one after the other: the second finds the first's cancellation.
    session.scalar(select(OnlineOrder.id).where(OnlineOrder.id == order.id).with_for_update())
    existing = cancellation_of(session, order)
    if existing is not None and existing.status != CancellationStatus.REFUSED:
        if existing.status == CancellationStatus.PENDING:  # not sent yet (Shopify was down): ask the job again
            enqueue_after_commit(session, CANCEL_JOB, existing.id, queue="shopify", unique=True)
        return existing, False
    plan = plan_cancel(order)
    if plan.refusal:
        raise DomainError(plan.refusal)
    if has_open_dispatch(session, order_id=order.id):  # left the branch, Shopify not told yet: a return, not a cancel
        raise DomainError(
            f"Something of order {order.name} was already dispatched, so it cannot be cancelled. "
            "When the parcel comes back, receive it as a return."
        )
    note = staff_note.strip()[:255]
    if existing is None:
        existing = OrderCancellation(merchant_id=order.merchant_id, order_id=order.id, reason=reason)
        session.add(existing)
    existing.reason, existing.staff_note, existing.status = reason, note, CancellationStatus.PENDING
    existing.requested_by_id, existing.requested_at, existing.last_error = actor.user.id, utcnow(), ""
    session.flush()
    branch_ids = {fo.branch_id for fo in order.fulfilment_orders if fo.branch_id}
    record_audit(
        session,
        actor,
        "online_order.cancel",
        plan.wording,
        target=order,
        after={"reason": reason.value, "note": note, "reserved_units": plan.reserved_units},
        branch_id=next(iter(branch_ids)) if len(branch_ids) == 1 else None,
    )
    enqueue_after_commit(session, CANCEL_JOB, existing.id, queue="shopify", unique=True)
    return existing, True


# The pipeline's database steps


def claim_send(session: Session, cancellation_id: int) -> OrderCancellation | None:
    """The cancellation to send now, locked and marked as being sent (its attempt counted); None when there is
    nothing to send (sent, refused, or the order was cancelled meanwhile). A claim left `sending` by a dead worker is
    taken again: the pipeline reads the order first to learn whether that attempt went through."""
    row = session.scalar(
        select(OrderCancellation)
        .where(OrderCancellation.id == cancellation_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if row is None or row.status in (CancellationStatus.SENT, CancellationStatus.REFUSED):
        return None
    if row.order.is_cancelled:
        row.status = CancellationStatus.SENT
        return None
    row.status = CancellationStatus.SENDING
    row.attempts += 1
    session.flush()
    return row


def locked(session: Session, cancellation_id: int) -> OrderCancellation:
    row = session.scalar(
        select(OrderCancellation)
        .where(OrderCancellation.id == cancellation_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    assert row is not None
    return row


def record_sent(row: OrderCancellation, job_id: str) -> None:
    row.status, row.sent_at, row.shopify_job_id, row.last_error = CancellationStatus.SENT, utcnow(), job_id, ""


def record_refused(row: OrderCancellation, message: str) -> None:
    row.status, row.last_error = CancellationStatus.REFUSED, f"Shopify did not cancel the order: {message}"


def record_retry(row: OrderCancellation, message: str) -> None:
    """Not sent this time (Shopify unreachable, the store disconnected): the job tries again, or the manager does."""
    row.status, row.last_error = CancellationStatus.PENDING, message
