"""What happens to an order after it is placed, as Shopify moves things: a fulfillment order moved to another location
(committed stock moves with it), held and released, the order cancelled (committed stock released), refunds with
restock (units back on hand where they are restocked).

Each function validates first and raises `Refused(message, field, code)` without changing anything, so the caller
answers Shopify's userErrors; on success it returns what changed and the (variant, location) levels whose quantities
moved. Callers hold the sandbox lock and send the webhooks (events.py)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sandbox.shopify.models import (
    FulfillmentHold,
    FulfillmentOrder,
    FulfillmentOrderLineItem,
    LineItem,
    Location,
    Order,
    Refund,
    RefundLineItem,
    Variant,
)
from sandbox.shopify.store import ShopState

HOLD_LIMIT = 10  # active holds one app may place on one fulfillment order
Pairs = list[tuple[Variant, Location]]


class Refused(Exception):
    def __init__(self, message: str, field: list[str] | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.message, self.field, self.code = message, field, code


@dataclass
class Moved:
    original: FulfillmentOrder
    moved: FulfillmentOrder
    source: Location
    requested: list[tuple[FulfillmentOrderLineItem, int]]
    pairs: Pairs = field(default_factory=list)


def _commit(shop: ShopState, li: LineItem, location: Location, delta: int, now: float, pairs: Pairs) -> None:
    if li.variant is not None and li.variant.tracked and delta:
        shop.stock.change(li.variant.idx, location.idx, "committed", delta, now)
        pairs.append((li.variant, location))


def _new_fo(shop: ShopState, order: Order, location: Location, status: str, now: float) -> FulfillmentOrder:
    fo = FulfillmentOrder(
        id=shop.next_id("FulfillmentOrder"),
        order=order,
        location=location,
        status=status,
        created_at=now,
        updated_at=now,
    )
    order.fulfillment_orders.append(fo)
    shop.remember(fo)
    return fo


def _add_item(shop: ShopState, fo: FulfillmentOrder, li: LineItem, quantity: int) -> None:
    for item in fo.line_items:
        if item.line_item is li:
            item.total_quantity += quantity
            item.remaining_quantity += quantity
            return
    item = FulfillmentOrderLineItem(shop.next_id("FulfillmentOrderLineItem"), fo, li, quantity, quantity)
    fo.line_items.append(shop.remember(item))


def _take(fo: FulfillmentOrder, foli: FulfillmentOrderLineItem, quantity: int) -> None:
    foli.total_quantity -= quantity
    foli.remaining_quantity -= quantity
    if foli.total_quantity == 0:
        fo.line_items.remove(foli)


def requested_items(
    fo: FulfillmentOrder, wanted: list[dict[str, Any]] | None, path: list[str]
) -> list[tuple[FulfillmentOrderLineItem, int]]:
    """The (line item, quantity) pairs a mutation names, or all that remain when it names none."""
    if not wanted:
        return [(i, i.remaining_quantity) for i in fo.line_items if i.remaining_quantity > 0]
    by_gid = {i.gid: i for i in fo.line_items}
    seen: set[str] = set()
    items = []
    for n, item in enumerate(wanted):
        foli = by_gid.get(item["id"])
        if foli is None:
            raise Refused("Fulfillment order line item does not exist.", [*path, str(n), "id"])
        if item["id"] in seen:
            raise Refused(
                "Fulfillment order line items must be unique.",
                [*path, str(n), "id"],
                "DUPLICATED_FULFILLMENT_ORDER_LINE_ITEMS",
            )
        seen.add(item["id"])
        if item["quantity"] <= 0:
            raise Refused("Quantity must be greater than 0.", [*path, str(n), "quantity"], "GREATER_THAN_ZERO")
        if item["quantity"] > foli.remaining_quantity:
            raise Refused(
                "Invalid fulfillment order line item quantity requested.",
                [*path, str(n), "quantity"],
                "INVALID_LINE_ITEM_QUANTITY",
            )
        items.append((foli, item["quantity"]))
    return items


def move(
    shop: ShopState,
    fo: FulfillmentOrder,
    destination: Location | None,
    wanted: list[dict[str, Any]] | None,
    now: float,
) -> Moved:
    """fulfillmentOrderMove. All of an untouched fulfillment order: it is reassigned in place. Part of it, or one that
    already shipped some: the rest stays (closed when nothing remains) and a new one at the destination takes the
    moved items. An open fulfillment order of the same order already at the destination is closed and its items go
    into the new one with the moved ones, as Shopify documents."""
    if destination is None or not destination.is_active:
        raise Refused("Location could not be found.", ["newLocationId"])
    if fo.order.cancelled_at is not None or fo.status in ("CLOSED", "CANCELLED", "INCOMPLETE"):
        raise Refused(f"Cannot move a fulfillment order with status {fo.status.lower()}.", ["id"])
    if fo.status == "ON_HOLD":
        # Strict: Shopify lists only RELEASE_HOLD (and HOLD) among a held fulfillment order's supported actions.
        raise Refused("Cannot move a fulfillment order that is on hold. Release its holds first.", ["id"])
    if destination is fo.location:
        raise Refused("Cannot move a fulfillment order to the location it is already assigned to.", ["newLocationId"])
    items = requested_items(fo, wanted, ["fulfillmentOrderLineItems"])
    if not items:
        raise Refused("No fulfillment order line items left to move.", ["id"])
    for foli, _ in items:
        variant = foli.line_item.variant
        if variant is not None and not shop.stock.is_active(variant.idx, destination.idx):
            raise Refused(
                f"Cannot move the fulfillment order: {variant.sku or variant.title} is not stocked at "
                f"{destination.name}.",
                ["newLocationId"],
            )
    source = fo.location
    pairs: Pairs = []
    for foli, quantity in items:
        _commit(shop, foli.line_item, source, -quantity, now, pairs)
        _commit(shop, foli.line_item, destination, quantity, now, pairs)
    whole = all(foli.total_quantity == foli.remaining_quantity for foli in fo.line_items) and sum(
        q for _, q in items
    ) == sum(foli.remaining_quantity for foli in fo.line_items)
    existing = next(
        (
            other
            for other in fo.order.fulfillment_orders
            if other is not fo and other.location is destination and other.status == "OPEN"
        ),
        None,
    )
    if whole and existing is None:
        fo.location = destination
        fo.updated_at = now
        moved = fo
    else:
        moved = _new_fo(shop, fo.order, destination, "OPEN", now)
        if existing is not None:  # merged: the open one there closes, its items are recreated in the new one
            for item in list(existing.line_items):
                if item.remaining_quantity:
                    _add_item(shop, moved, item.line_item, item.remaining_quantity)
                    _take(existing, item, item.remaining_quantity)
            existing.status, existing.updated_at = "CLOSED", now
        for foli, quantity in items:
            _add_item(shop, moved, foli.line_item, quantity)
            _take(fo, foli, quantity)
        fo.status = fo.settled_status() if fo.line_items else "CLOSED"
        fo.updated_at = now
    fo.order.updated_at = now
    shop.touch()
    return Moved(fo, moved, source, items, pairs)


def hold(
    shop: ShopState,
    fo: FulfillmentOrder,
    spec: dict[str, Any],
    client_id: str | None,
    now: float,
) -> tuple[FulfillmentOrder, FulfillmentHold, FulfillmentOrder | None]:
    """fulfillmentOrderHold: the held fulfillment order, its new hold, and the rest split off when only some line
    items were held."""
    if fo.status not in ("OPEN", "IN_PROGRESS", "ON_HOLD") or fo.order.cancelled_at is not None:
        raise Refused(f"Cannot hold a fulfillment order with status {fo.status.lower()}.", ["id"])
    handle = spec.get("handle") or ""
    if len(handle) > 64:
        raise Refused("Handle is too long (maximum is 64 characters).", ["fulfillmentHold", "handle"], "INVALID")
    mine = [h for h in fo.holds if h.client_id == client_id]
    if any(h.handle == handle for h in mine):
        raise Refused(
            "The handle provided for the fulfillment hold is already in use by this app for another hold on this "
            "fulfillment order.",
            ["fulfillmentHold", "handle"],
            "DUPLICATE_FULFILLMENT_HOLD_HANDLE",
        )
    if len(mine) >= HOLD_LIMIT:
        raise Refused(
            "The maximum number of fulfillment holds for this fulfillment order has been reached for this app.",
            ["id"],
            "FULFILLMENT_ORDER_HOLD_LIMIT_REACHED",
        )
    wanted = spec.get("fulfillmentOrderLineItems") or []
    if wanted and fo.status == "ON_HOLD":
        raise Refused(
            "The fulfillment order is not in a splittable state.",
            ["fulfillmentHold", "fulfillmentOrderLineItems"],
            "FULFILLMENT_ORDER_NOT_SPLITTABLE",
        )
    items = requested_items(fo, wanted, ["fulfillmentHold", "fulfillmentOrderLineItems"])
    if not items:
        raise Refused("No fulfillment order line items left to hold.", ["id"], "INVALID_LINE_ITEM_QUANTITY")
    held, remaining = fo, None
    if wanted and sum(q for _, q in items) < sum(i.remaining_quantity for i in fo.line_items):
        held = _new_fo(shop, fo.order, fo.location, "ON_HOLD", now)
        for foli, quantity in items:
            _add_item(shop, held, foli.line_item, quantity)
            _take(fo, foli, quantity)
        fo.status, fo.updated_at = fo.settled_status(), now
        remaining = fo
    new = FulfillmentHold(
        id=shop.next_id("FulfillmentHold"),
        reason=spec["reason"],
        reason_notes=spec.get("reasonNotes"),
        handle=handle,
        client_id=client_id,
        external_id=spec.get("externalId"),
    )
    held.holds.append(shop.remember(new))
    held.status, held.updated_at = "ON_HOLD", now
    fo.order.updated_at = now
    shop.touch()
    return held, new, remaining


def release_hold(
    shop: ShopState, fo: FulfillmentOrder, hold_ids: list[str] | None, client_id: str | None, now: float
) -> list[FulfillmentHold]:
    """fulfillmentOrderReleaseHold: the named holds (or all), only an app's own; status back when none is left."""
    if fo.status != "ON_HOLD":
        raise Refused("The fulfillment order is not on hold.", ["id"], "INVALID")
    if hold_ids:
        by_gid = {h.gid: h for h in fo.holds}
        chosen = []
        for n, hold_id in enumerate(hold_ids):
            found = by_gid.get(hold_id)
            if found is None:
                raise Refused("Fulfillment hold could not be found.", ["holdIds", str(n)], "INVALID")
            chosen.append(found)
    else:
        chosen = list(fo.holds)
    if any(h.client_id not in (None, client_id) for h in chosen):
        # Strict: a hold another app placed is that app's to release.
        raise Refused("The app doesn't have access to release the fulfillment hold.", ["id"], "INVALID_ACCESS")
    for h in chosen:
        fo.holds.remove(h)
    if not fo.holds:
        fo.status = fo.settled_status()
    fo.updated_at = fo.order.updated_at = now
    shop.touch()
    return chosen


@dataclass
class Cancelled:
    closed: list[FulfillmentOrder]
    refund: Refund | None
    pairs: Pairs


def cancel(shop: ShopState, order: Order, *, restock: bool, refund: bool, reason: str, now: float) -> Cancelled:
    """orderCancel: open fulfillment orders close, committed stock is released (restock) or written off (no restock:
    the units leave on_hand too). Refused for a cancelled order or one with shipped units."""
    if order.cancelled_at is not None:
        raise Refused("Order has already been cancelled.", ["orderId"], "INVALID")
    if any(li.fulfilled for li in order.line_items):
        # Strict: Shopify refuses "outstanding fulfillments that can't be cancelled"; the sandbox has no
        # fulfillmentCancel, so any shipped unit refuses the cancellation (refund and restock it instead).
        raise Refused("Cannot cancel an order that has fulfillments.", ["orderId"], "INVALID")
    pairs: Pairs = []
    closed = []
    for fo in order.fulfillment_orders:
        if fo.status in ("CLOSED", "CANCELLED"):
            continue
        closed.append(fo)
        for foli in fo.line_items:
            quantity = foli.remaining_quantity
            if not quantity:
                continue
            li = foli.line_item
            _commit(shop, li, fo.location, -quantity, now, pairs)
            if not restock and li.variant is not None and li.variant.tracked:
                shop.stock.change(li.variant.idx, fo.location.idx, "on_hand", -quantity, now)
            foli.remaining_quantity = 0
        fo.holds.clear()
        fo.status, fo.updated_at = "CLOSED", now
    order.cancelled_at = order.closed_at = order.updated_at = now
    order.cancel_reason = reason
    refund_record = None
    if order.paid and refund:
        refund_record = Refund(
            id=shop.next_id("Refund"),
            order=order,
            created_at=now,
            note=None,
            line_items=[],
            transactions=[_transaction(shop, order, order.paid - order.refunded_amount())],
        )
        order.refunds.append(shop.remember(refund_record))
    order.financial_status = _financial_after_refund(order)
    shop.touch()
    return Cancelled(closed, refund_record, pairs)


def _transaction(shop: ShopState, order: Order, amount: int) -> dict[str, Any]:
    return {"id": shop.next_id("OrderTransaction"), "amount": amount, "gateway": order.gateway, "kind": "REFUND"}


def _financial_after_refund(order: Order) -> str:
    refunded = order.refunded_amount()
    if order.cancelled_at is not None and not order.paid:
        return "VOIDED"
    if refunded and refunded >= order.paid:
        return "REFUNDED"
    if refunded:
        return "PARTIALLY_REFUNDED"
    return order.financial_status


def refund(
    shop: ShopState,
    order: Order,
    spec: dict[str, Any],
    lookup_location: Any,
    now: float,
) -> tuple[Refund, Pairs]:
    """refundCreate: refund line items (RETURN restocks shipped units at `locationId`: on_hand and available up
    there; CANCEL takes unshipped units off their fulfillment order and releases what they committed; NO_RESTOCK
    touches no stock) and money (transactions of kind REFUND, at most what was paid unless allowOverRefunding)."""
    if order.cancelled_at is not None and spec.get("refundLineItems"):
        raise Refused("Cannot refund line items of a cancelled order.", ["orderId"])
    lines: list[tuple[LineItem, int, str, Location | None]] = []
    by_gid = {li.gid: li for li in order.line_items}
    asked: dict[int, int] = {}
    for n, item in enumerate(spec.get("refundLineItems") or []):
        path = ["refundLineItems", str(n)]
        li = by_gid.get(item["lineItemId"])
        if li is None:
            raise Refused("Line item does not exist on this order.", [*path, "lineItemId"])
        quantity = item["quantity"]
        restock_type = item.get("restockType") or "NO_RESTOCK"
        if quantity <= 0:
            raise Refused("Quantity must be greater than 0.", [*path, "quantity"])
        if restock_type == "LEGACY_RESTOCK":
            raise Refused(
                "Restock type LEGACY_RESTOCK is not accepted when creating new refunds.", [*path, "restockType"]
            )
        asked[li.id] = asked.get(li.id, 0) + quantity
        if asked[li.id] > li.quantity - li.refunded:
            raise Refused(
                f"Quantity cannot refund more items than were purchased ({li.quantity - li.refunded} left).",
                [*path, "quantity"],
            )
        location = None
        if restock_type == "RETURN":
            if quantity > li.fulfilled - li.refunded_fulfilled:
                raise Refused("Cannot return more items than were fulfilled.", [*path, "quantity"])
            if not item.get("locationId"):
                # Strict: Shopify picks a location itself when none is given (which one is unverified).
                raise Refused("A location is required to restock returned items.", [*path, "locationId"])
        if restock_type == "CANCEL" and quantity > li.quantity - li.fulfilled - li.refunded_unfulfilled:
            raise Refused("Cannot cancel more items than are unfulfilled.", [*path, "quantity"])
        if item.get("locationId") and restock_type != "NO_RESTOCK":
            location = lookup_location(item["locationId"])
            if location is None or not location.is_active:
                raise Refused("Location could not be found.", [*path, "locationId"])
            variant = li.variant
            if variant is not None and variant.tracked and not shop.stock.is_active(variant.idx, location.idx):
                raise Refused(f"{variant.sku or li.title} is not stocked at {location.name}.", [*path, "locationId"])
        lines.append((li, quantity, restock_type, location))
    amounts = []
    for n, t in enumerate(spec.get("transactions") or []):
        if t["kind"] != "REFUND":
            raise Refused("Only transactions of kind REFUND may be part of a refund.", ["transactions", str(n), "kind"])
        amounts.append(t)
    total = sum(_minor(t["amount"]) for t in amounts)
    if total > order.paid - order.refunded_amount() and not spec.get("allowOverRefunding"):
        raise Refused(
            f"Refund amount exceeds the {_plain(order.paid - order.refunded_amount())} that can be refunded.",
            ["transactions"],
        )
    if not lines and not amounts:
        raise Refused("A refund needs line items or transactions.", ["refundLineItems"])
    pairs: Pairs = []
    record = Refund(
        id=shop.next_id("Refund"),
        order=order,
        created_at=now,
        note=spec.get("note"),
        line_items=[],
        transactions=[
            {
                "id": shop.next_id("OrderTransaction"),
                "amount": _minor(t["amount"]),
                "gateway": t["gateway"],
                "kind": "REFUND",
            }
            for t in amounts
        ],
    )
    for li, quantity, restock_type, location in lines:
        shipped_left = li.fulfilled - li.refunded_fulfilled
        if restock_type == "CANCEL" or (restock_type == "NO_RESTOCK" and quantity > shipped_left):
            unshipped = quantity if restock_type == "CANCEL" else quantity - shipped_left
            li.refunded_unfulfilled += unshipped
            li.refunded_fulfilled += quantity - unshipped
            _cancel_unshipped(shop, li, unshipped, restock=restock_type == "CANCEL", now=now, pairs=pairs)
        else:
            li.refunded_fulfilled += quantity
            if restock_type == "RETURN" and location is not None and li.variant is not None and li.variant.tracked:
                shop.stock.change(li.variant.idx, location.idx, "on_hand", quantity, now)
                pairs.append((li.variant, location))
        record.line_items.append(
            shop.remember(RefundLineItem(shop.next_id("RefundLineItem"), li, quantity, restock_type, location))
        )
    order.refunds.append(shop.remember(record))
    order.financial_status = _financial_after_refund(order)
    order.updated_at = now
    shop.touch()
    return record, pairs


def _cancel_unshipped(shop: ShopState, li: LineItem, quantity: int, *, restock: bool, now: float, pairs: Pairs) -> None:
    """Take unshipped units off the line item's open fulfillment orders; committed is released (restock) or the
    units are written off on_hand too."""
    for fo in li.order.fulfillment_orders:
        if not quantity or fo.status in ("CLOSED", "CANCELLED"):
            continue
        for foli in fo.line_items:
            if foli.line_item is not li or not foli.remaining_quantity:
                continue
            take = min(quantity, foli.remaining_quantity)
            foli.remaining_quantity -= take
            quantity -= take
            _commit(shop, li, fo.location, -take, now, pairs)
            if not restock and li.variant is not None and li.variant.tracked:
                shop.stock.change(li.variant.idx, fo.location.idx, "on_hand", -take, now)
        if all(i.remaining_quantity == 0 for i in fo.line_items):
            fo.holds.clear()
            fo.status, fo.updated_at = "CLOSED", now


def mark_paid(order: Order, now: float) -> None:
    """orderMarkAsPaid / a COD parcel's cash collected: the outstanding amount is captured."""
    if order.cancelled_at is not None or order.financial_status == "PAID" or order.paid >= order.total():
        raise Refused("Order cannot be marked as paid.", ["input", "id"])
    order.paid = order.total()
    order.financial_status = "PAID"
    order.updated_at = now
    if order.fulfillment_status() == "FULFILLED":
        order.closed_at = now


def _minor(amount: Any) -> int:
    from decimal import Decimal, InvalidOperation

    try:
        return int(Decimal(str(amount)) * 100)
    except InvalidOperation:
        raise Refused(f"Invalid amount: {amount}", ["transactions"]) from None


def _plain(minor: int) -> str:
    return f"Rs {minor // 100}.{minor % 100:02d}"
