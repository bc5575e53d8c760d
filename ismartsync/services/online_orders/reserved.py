"""Reserved stock: the units of a branch's stock promised to online orders that have not left yet.

What Shopify counts as *committed* at a location is, for us, *reserved* at the branch linked to it: the remaining
quantity of every open, in-progress or held fulfilment order assigned to the branch, of orders not cancelled, less
the units of it already dispatched that Shopify does not show fulfilled yet (a dispatch took those off on hand at once,
so counting them reserved too would take them twice).
Nothing here moves stock (placing an order moves neither our level nor Shopify's on hand); it is derived from the
fulfilment orders each time, so a move, a fulfilment or a cancellation read from Shopify changes it at once.

*Available* is on hand less reserved. Selling into it follows the merchant's negative-stock policy: under "warn"
the sale goes through with a message naming the orders, under "block" it is refused with that message
(`check_available`, called by the cart and by checkout).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from sqlalchemy import ColumnElement, ScalarSelect, Select, func, literal_column, select
from sqlalchemy.orm import Session

from ismartsync.errors import DomainError
from ismartsync.models import Merchant, Variant
from ismartsync.models.fulfilment import OPEN_DISPATCH, Dispatch, DispatchLine
from ismartsync.models.online_order import FulfilmentOrder, FulfilmentOrderLine, OnlineOrder, OnlineOrderLine

# Fulfilment orders still to ship at their branch, whose units Shopify keeps committed there.
RESERVING_STATUSES = ("OPEN", "IN_PROGRESS", "ON_HOLD")
# How many order names a message lists before "and N more".
NAMED_ORDERS = 3


class ReservedStock(DomainError):
    """The merchant blocks selling below zero, and this sale would take units promised to online orders."""


def _dispatched_open() -> ScalarSelect[int]:
    """Units of the fulfilment order line in open dispatches that Shopify does not show yet (as `dispatched_open`),
    correlated to the outer query's line."""
    return (
        select(func.coalesce(func.sum(DispatchLine.quantity - DispatchLine.shopify_quantity), 0))
        .join(Dispatch, Dispatch.id == DispatchLine.dispatch_id)
        .where(
            DispatchLine.fulfilment_order_line_id == FulfilmentOrderLine.id,
            Dispatch.status.in_(OPEN_DISPATCH),
        )
        .correlate(FulfilmentOrderLine)
        .scalar_subquery()
    )


def _reserved() -> ColumnElement[int]:
    """A line's reserved units: its remaining quantity less what has left in open dispatches (kept above 0 by the
    `where` of `_reserving`)."""
    return FulfilmentOrderLine.remaining_quantity - _dispatched_open()


def _reserving(*where: object) -> Select:
    """Fulfilment order lines still to ship, joined to their variant and branch (filtered by `where`)."""
    return (
        select(FulfilmentOrderLine.remaining_quantity)
        .join(FulfilmentOrder, FulfilmentOrder.id == FulfilmentOrderLine.fulfilment_order_id)
        .join(OnlineOrderLine, OnlineOrderLine.id == FulfilmentOrderLine.order_line_id)
        .join(OnlineOrder, OnlineOrder.id == FulfilmentOrder.order_id)
        .where(
            # Implied by the rest (a line's unfulfilled units are its fulfilment orders' remaining ones), and written
            # with a literal 0 so the planner takes the partial index of lines still to ship.
            OnlineOrderLine.unfulfilled_quantity > literal_column("0"),
            FulfilmentOrder.status.in_(RESERVING_STATUSES),
            FulfilmentOrderLine.remaining_quantity > 0,
            FulfilmentOrderLine.remaining_quantity > _dispatched_open(),  # not all of it dispatched already
            OnlineOrder.cancelled_at.is_(None),
            *where,
        )
    )


def reserved_query(branch_id: int, variant_ids: Iterable[int]) -> Select:
    """`(variant_id, reserved)` at the branch for these variants, one grouped query (a subquery for the counter)."""
    return (
        _reserving(FulfilmentOrder.branch_id == branch_id, OnlineOrderLine.variant_id.in_(list(variant_ids)))
        .with_only_columns(OnlineOrderLine.variant_id, func.sum(_reserved()).label("reserved"))
        .group_by(OnlineOrderLine.variant_id)
    )


def reserved_at(session: Session, branch_id: int, variant_ids: Iterable[int]) -> dict[int, int]:
    """Units reserved at the branch per variant (variants with none are left out)."""
    ids = list(variant_ids)
    if not ids:
        return {}
    return {v: int(q) for v, q in session.execute(reserved_query(branch_id, ids)).all()}


def reserved_by_branch(session: Session, variant_ids: Iterable[int]) -> dict[tuple[int, int], int]:
    """Units reserved per `(variant_id, branch_id)` for these variants at every branch (the products page)."""
    ids = list(variant_ids)
    if not ids:
        return {}
    rows = session.execute(
        _reserving(OnlineOrderLine.variant_id.in_(ids), FulfilmentOrder.branch_id.is_not(None))
        .with_only_columns(OnlineOrderLine.variant_id, FulfilmentOrder.branch_id, func.sum(_reserved()))
        .group_by(OnlineOrderLine.variant_id, FulfilmentOrder.branch_id)
    ).all()
    return {(v, b): int(q) for v, b, q in rows}


def reserving_orders(session: Session, branch_id: int, variant_id: int) -> list[str]:
    """The names of the orders holding the variant at the branch, oldest first ("#1001")."""
    rows = session.execute(
        _reserving(FulfilmentOrder.branch_id == branch_id, OnlineOrderLine.variant_id == variant_id)
        .with_only_columns(OnlineOrder.name, func.min(OnlineOrder.shopify_created_at).label("placed"))
        .group_by(OnlineOrder.name)
        .order_by("placed", OnlineOrder.name)
    ).all()
    return [name for name, _ in rows]


def reserved_message(session: Session, branch_id: int, variant: Variant, taken: int) -> str:
    """ "2 of Lawn suit (M) are reserved for online orders #1001, #1003." — `taken` is how many this sale takes."""
    names = reserving_orders(session, branch_id, variant.id)
    shown = ", ".join(names[:NAMED_ORDERS])
    if len(names) > NAMED_ORDERS:
        shown += f" and {len(names) - NAMED_ORDERS} more"
    word = "order" if len(names) == 1 else "orders"
    verb = "is" if taken == 1 else "are"
    return f"{taken} of {variant.display_name} {verb} reserved for online {word} {shown}."


def check_available(
    session: Session, merchant: Merchant, branch_id: int, variant: Variant, wanted: int, on_hand: int, reserved: int
) -> str | None:
    """Selling `wanted` of a tracked variant with `on_hand` and `reserved` at the branch: None when it fits in what
    is available, else the message naming the orders; under the "block" policy that message is raised.

    Only the reserved units this sale takes are counted: going below zero on hand is the ledger's own warning.
    """
    if not variant.tracked or reserved <= 0:
        return None
    available = on_hand - reserved
    taken = min(wanted, max(on_hand, 0)) - max(available, 0)
    if taken <= 0:
        return None
    message = reserved_message(session, branch_id, variant, taken)
    if merchant.negative_stock_policy == "block":
        raise ReservedStock(message)
    return message


def check_sold(
    session: Session, merchant: Merchant, branch_id: int, sold: Mapping[Variant, tuple[int, int]]
) -> list[str]:
    """After a sale's movements (levels locked): `sold` maps each variant to (quantity sold, on hand before).
    Warnings for the units taken from reserved stock; raises ReservedStock under "block"."""
    reserved = reserved_at(session, branch_id, [v.id for v in sold])
    warnings = []
    for variant, (quantity, before) in sold.items():
        warning = check_available(session, merchant, branch_id, variant, quantity, before, reserved.get(variant.id, 0))
        if warning:
            warnings.append(warning)
    return warnings
