"""Keeping what Shopify says of an order: `apply_order` takes one order as the `Order` operation reads it
(`shopify/operations/Order.graphql`) and makes our copy say the same.

Reads arrive in any order (a webhook's re-read, the sync's page, a retried job), so the rule is Shopify's own clock:
- the order's fields and lines are taken when the read's `updatedAt` is not older than ours (the same read twice
  changes nothing; an older one changes nothing at all);
- each fulfilment order is taken when its own `updatedAt` is not older than ours: a move or a hold changes the
  fulfilment order, not always the order, so the order's clock alone would miss it;
- lines and fulfilment orders are matched by their Shopify ids: updated in place, new ones added, the ones the read
  no longer has removed (only by a read not older than ours);
- a fulfilment order belongs to the branch linked to its assigned location (`ShopifyLocation.branch_id`), so a
  fulfilment order moved to another location in Shopify moves to that location's branch here.
The order's row is locked while it is changed, so two workers applying reads of one order take turns. Flushes, never
commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ismartsync.models import Customer, Variant
from ismartsync.models.base import utcnow
from ismartsync.models.online_order import FulfilmentOrder, FulfilmentOrderLine, OnlineOrder, OnlineOrderLine
from ismartsync.models.shopify import ShopifyLocation
from ismartsync.money import to_minor
from ismartsync.phones import local_form, parse_mobile
from ismartsync.services.online_orders.cod import is_cod
from ismartsync.shopify.times import parse_shopify_time

# A fulfilment order in one of these is done with: shipped, cancelled, or handed back.
SETTLED_STATUSES = ("CLOSED", "CANCELLED", "INCOMPLETE")
READ_MARGIN = timedelta(seconds=2)


@dataclass(frozen=True)
class Applied:
    """What one read did: the order, whether it was new, and whether the read was older than ours (nothing of the
    order taken; its fulfilment orders may still have been newer)."""

    order: OnlineOrder
    created: bool = False
    stale: bool = False


def apply_order(session: Session, merchant_id: int, node: dict[str, Any]) -> Applied:
    """Make our copy of the order say what `node` (an `Order` read) says, where it is not older than ours."""
    shopify_id = str(node["id"])
    updated_at = _time(node.get("updatedAt")) or utcnow()
    order, created = _locked_order(session, merchant_id, shopify_id, node, updated_at)
    stale = not created and order.shopify_updated_at > updated_at
    if not stale:
        _take_fields(session, order, node, updated_at)
        _take_lines(session, order, _nodes(node.get("lineItems")))
    session.flush()
    _take_fulfilment_orders(session, order, _nodes(node.get("fulfillmentOrders")), whole=not stale)
    order.synced_at = utcnow()
    session.flush()
    return Applied(order, created=created, stale=stale)


def find_order_of_fulfilment_order(session: Session, merchant_id: int, fulfilment_order_id: str) -> str | None:
    """The GID of the order we hold a fulfilment order under; None when we do not know the fulfilment order."""
    return session.scalar(
        select(OnlineOrder.shopify_id)
        .join(FulfilmentOrder, FulfilmentOrder.order_id == OnlineOrder.id)
        .where(FulfilmentOrder.merchant_id == merchant_id, FulfilmentOrder.shopify_id == fulfilment_order_id)
    )


def already_held(session: Session, merchant_id: int, listed: dict[str, datetime | None]) -> set[str]:
    """Of the orders listed with their `updatedAt`, those we hold at that `updatedAt` or newer, read after that
    second had passed. Shopify's `updatedAt` has whole seconds: a change later in the second we read the order in
    would carry the same `updatedAt`, so such an order is read again (READ_MARGIN, for the clocks' skew too)."""
    if not listed:
        return set()
    rows = session.execute(
        select(OnlineOrder.shopify_id, OnlineOrder.shopify_updated_at, OnlineOrder.synced_at).where(
            OnlineOrder.merchant_id == merchant_id, OnlineOrder.shopify_id.in_(sorted(listed))
        )
    )
    held = set()
    for shopify_id, updated_at, synced_at in rows:
        seen = listed.get(shopify_id)
        if seen is None:
            continue
        if updated_at > seen or (updated_at == seen and synced_at >= seen + READ_MARGIN):
            held.add(shopify_id)
    return held


def read_again(session: Session, merchant_id: int, order_id: str) -> None:
    """Have the next sync read the order again though we hold it at its `updatedAt` (`already_held` says no)."""
    order = session.scalar(
        select(OnlineOrder).where(OnlineOrder.merchant_id == merchant_id, OnlineOrder.shopify_id == order_id)
    )
    if order is not None:
        order.synced_at = order.shopify_updated_at
        session.flush()


def link_catalog(session: Session, merchant_id: int) -> int:
    """Link lines to variants and orders to customers that arrived after the order did (an order synced before the
    catalog import). Returns how many links were made."""
    linked = 0
    lines = session.scalars(
        select(OnlineOrderLine).where(
            OnlineOrderLine.merchant_id == merchant_id,
            OnlineOrderLine.variant_id.is_(None),
            OnlineOrderLine.shopify_variant_id != "",
        )
    ).all()
    variants = _variant_ids(session, merchant_id, {line.shopify_variant_id for line in lines})
    for line in lines:
        if line.shopify_variant_id in variants:
            line.variant_id = variants[line.shopify_variant_id]
            linked += 1
    orders = session.scalars(
        select(OnlineOrder).where(
            OnlineOrder.merchant_id == merchant_id,
            OnlineOrder.customer_id.is_(None),
            OnlineOrder.shopify_customer_id != "",
        )
    ).all()
    customers = _customer_ids(session, merchant_id, {order.shopify_customer_id for order in orders})
    for order in orders:
        if order.shopify_customer_id in customers:
            order.customer_id = customers[order.shopify_customer_id]
            linked += 1
    session.flush()
    assign_branches(session, merchant_id)
    return linked


def assign_branches(session: Session, merchant_id: int) -> None:
    """Put every fulfilment order still to be shipped at the branch now linked to its assigned location (none when
    the location is not linked): after a branch is linked, or linked elsewhere. Shipped and cancelled ones stay
    where they were shipped from."""
    linked = (
        select(ShopifyLocation.branch_id)
        .where(
            ShopifyLocation.merchant_id == merchant_id,
            ShopifyLocation.shopify_id == FulfilmentOrder.shopify_location_id,
        )
        .scalar_subquery()
    )
    session.execute(
        update(FulfilmentOrder)
        .where(FulfilmentOrder.merchant_id == merchant_id, FulfilmentOrder.status.not_in(SETTLED_STATUSES))
        .values(branch_id=linked)
        .execution_options(synchronize_session=False)
    )
    for held in [o for o in session.identity_map.values() if isinstance(o, FulfilmentOrder)]:
        session.expire(held, ["branch_id", "branch"])


def phone_key(phone: str | None) -> str:
    """How an order's phone is searched: 03001234567 for a Pakistani mobile however written, else its digits."""
    e164 = parse_mobile(phone)
    if e164:
        return local_form(e164)
    return "".join(c for c in (phone or "") if c.isascii() and c.isdigit())[:40]


def _locked_order(
    session: Session, merchant_id: int, shopify_id: str, node: dict[str, Any], updated_at: datetime
) -> tuple[OnlineOrder, bool]:
    query = (
        select(OnlineOrder)
        .where(OnlineOrder.merchant_id == merchant_id, OnlineOrder.shopify_id == shopify_id)
        .with_for_update()
    )
    order = session.scalar(query)
    if order is not None:
        return order, False
    created_at = _time(node.get("createdAt")) or updated_at
    order = OnlineOrder(
        merchant_id=merchant_id, shopify_id=shopify_id, shopify_created_at=created_at, shopify_updated_at=updated_at
    )
    try:
        with session.begin_nested():
            session.add(order)
    except IntegrityError:  # another worker inserted it first: take its row, under the lock
        order = session.scalar(query.execution_options(populate_existing=True))
        if order is None:
            raise
        return order, False
    return order, True


def _take_fields(session: Session, order: OnlineOrder, node: dict[str, Any], updated_at: datetime) -> None:
    customer = node.get("customer") or {}
    address = node.get("shippingAddress")
    phone = (
        node.get("phone")
        or (address or {}).get("phone")
        or ((customer.get("defaultPhoneNumber") or {}).get("phoneNumber"))
        or ""
    )
    email = node.get("email") or (customer.get("defaultEmailAddress") or {}).get("emailAddress") or ""
    name = customer.get("displayName") or ""
    if not name and address:
        name = " ".join(p for p in (address.get("firstName"), address.get("lastName")) if p)
    gateways = [str(g) for g in node.get("paymentGatewayNames") or []]
    order.legacy_id = _int(node.get("legacyResourceId"))
    order.name = str(node.get("name") or "")[:64]
    order.source_name = str(node.get("sourceName") or "")[:64]
    order.shopify_created_at = _time(node.get("createdAt")) or order.shopify_created_at
    order.shopify_updated_at = updated_at
    order.cancelled_at = _time(node.get("cancelledAt"))
    order.cancel_reason = str(node.get("cancelReason") or "")[:32]
    order.closed_at = _time(node.get("closedAt"))
    order.shopify_customer_id = str(customer.get("id") or "")
    order.customer_id = (
        _customer_ids(session, order.merchant_id, {order.shopify_customer_id}).get(order.shopify_customer_id)
        if order.shopify_customer_id
        else None
    )
    order.customer_name = name[:255]
    order.email = email[:254]
    order.phone = phone[:40]
    order.phone_key = phone_key(phone)
    order.shipping_address = dict(address) if address else None
    order.gateway_names = gateways
    order.cod = is_cod(gateways)
    order.financial_status = str(node.get("displayFinancialStatus") or "")[:32]
    order.fulfilment_status = str(node.get("displayFulfillmentStatus") or "")[:32]
    total = (node.get("currentTotalPriceSet") or {}).get("shopMoney") or {}
    order.currency = str(total.get("currencyCode") or node.get("currencyCode") or "PKR")[:3]
    order.total_minor = _money(node.get("currentTotalPriceSet"))
    order.subtotal_minor = _money(node.get("currentSubtotalPriceSet"))
    order.shipping_minor = _money(node.get("totalShippingPriceSet"))
    order.tax_minor = _money(node.get("totalTaxSet"))
    order.note = str(node.get("note") or "")
    order.tags = [str(t) for t in node.get("tags") or []]


def _take_lines(session: Session, order: OnlineOrder, nodes: list[dict[str, Any]]) -> None:
    existing = {line.shopify_id: line for line in order.lines}
    variants = _variant_ids(
        session, order.merchant_id, {str((n.get("variant") or {}).get("id") or "") for n in nodes} - {""}
    )
    seen = set()
    for node in nodes:
        shopify_id = str(node["id"])
        seen.add(shopify_id)
        line = existing.get(shopify_id)
        if line is None:
            line = OnlineOrderLine(merchant_id=order.merchant_id, shopify_id=shopify_id)
            order.lines.append(line)
        variant_id = str((node.get("variant") or {}).get("id") or "")
        line.shopify_variant_id = variant_id
        line.variant_id = variants.get(variant_id)
        line.sku = str(node.get("sku") or "")[:255]
        line.title = str(node.get("title") or "")[:255]
        line.variant_title = str(node.get("variantTitle") or "")[:255]
        line.quantity = _int(node.get("quantity")) or 0
        current = _int(node.get("currentQuantity"))
        line.current_quantity = line.quantity if current is None else current
        unfulfilled = _int(node.get("unfulfilledQuantity"))
        line.unfulfilled_quantity = line.current_quantity if unfulfilled is None else unfulfilled
        line.unit_price_minor = _money(node.get("discountedUnitPriceSet"))
    for shopify_id, line in existing.items():
        if shopify_id not in seen:
            order.lines.remove(line)


def _take_fulfilment_orders(session: Session, order: OnlineOrder, nodes: list[dict[str, Any]], *, whole: bool) -> None:
    """Each fulfilment order of the read not older than ours; with `whole` (a read not older than the order we
    hold) those the read no longer has are removed."""
    existing = {fo.shopify_id: fo for fo in order.fulfilment_orders}
    lines_by_id = {line.shopify_id: line for line in order.lines}
    branches = _branches(session, order.merchant_id)
    seen = set()
    for node in nodes:
        shopify_id = str(node["id"])
        seen.add(shopify_id)
        updated_at = _time(node.get("updatedAt"))
        fo = existing.get(shopify_id)
        if fo is None:
            fo = FulfilmentOrder(merchant_id=order.merchant_id, shopify_id=shopify_id)
            order.fulfilment_orders.append(fo)
        elif fo.shopify_updated_at and updated_at and fo.shopify_updated_at > updated_at:
            continue  # we hold a newer reading of this one
        assigned = node.get("assignedLocation") or {}
        location_id = str((assigned.get("location") or {}).get("id") or "")
        fo.shopify_location_id = location_id
        fo.location_name = str(assigned.get("name") or "")[:255]
        fo.branch_id = branches.get(location_id)
        fo.status = str(node.get("status") or "")[:32]
        fo.request_status = str(node.get("requestStatus") or "")[:32]
        fo.supported_actions = [str(a.get("action")) for a in node.get("supportedActions") or [] if a.get("action")]
        fo.hold_reasons = [str(h.get("reason")) for h in node.get("fulfillmentHolds") or [] if h.get("reason")]
        fo.order_created_at = order.shopify_created_at
        fo.shopify_updated_at = updated_at or fo.shopify_updated_at
        _take_fulfilment_lines(fo, _nodes(node.get("lineItems")), lines_by_id)
    if whole:
        for shopify_id, fo in existing.items():
            if shopify_id not in seen:
                order.fulfilment_orders.remove(fo)


def _take_fulfilment_lines(
    fo: FulfilmentOrder, nodes: list[dict[str, Any]], lines_by_id: dict[str, OnlineOrderLine]
) -> None:
    existing = {line.shopify_id: line for line in fo.lines}
    seen = set()
    for node in nodes:
        shopify_id = str(node["id"])
        seen.add(shopify_id)
        line = existing.get(shopify_id)
        if line is None:
            line = FulfilmentOrderLine(merchant_id=fo.merchant_id, shopify_id=shopify_id)
            fo.lines.append(line)
        line.order_line = lines_by_id.get(str((node.get("lineItem") or {}).get("id") or ""))
        line.total_quantity = _int(node.get("totalQuantity")) or 0
        line.remaining_quantity = _int(node.get("remainingQuantity")) or 0
    for shopify_id, line in existing.items():
        if shopify_id not in seen:
            fo.lines.remove(line)


def _variant_ids(session: Session, merchant_id: int, shopify_ids: set[str]) -> dict[str, int]:
    if not shopify_ids:
        return {}
    rows = session.execute(
        select(Variant.shopify_id, Variant.id).where(
            Variant.merchant_id == merchant_id, Variant.shopify_id.in_(sorted(shopify_ids))
        )
    )
    return {shopify_id: variant_id for shopify_id, variant_id in rows}


def _customer_ids(session: Session, merchant_id: int, shopify_ids: set[str]) -> dict[str, int]:
    if not shopify_ids:
        return {}
    rows = session.execute(
        select(Customer.shopify_id, Customer.id).where(
            Customer.merchant_id == merchant_id, Customer.shopify_id.in_(sorted(shopify_ids))
        )
    )
    return {shopify_id: customer_id for shopify_id, customer_id in rows if shopify_id}


def _branches(session: Session, merchant_id: int) -> dict[str, int]:
    rows = session.execute(
        select(ShopifyLocation.shopify_id, ShopifyLocation.branch_id).where(
            ShopifyLocation.merchant_id == merchant_id, ShopifyLocation.branch_id.is_not(None)
        )
    )
    return {location_id: branch_id for location_id, branch_id in rows if branch_id is not None}


def _nodes(connection: Any) -> list[dict[str, Any]]:
    if not isinstance(connection, dict):
        return []
    return [n for n in connection.get("nodes") or [] if isinstance(n, dict) and n.get("id")]


def _money(bag: Any) -> int:
    amount = ((bag or {}).get("shopMoney") or {}).get("amount")
    try:
        return to_minor(amount) if amount not in (None, "") else 0
    except ValueError:
        return 0


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _time(value: Any) -> datetime | None:
    return parse_shopify_time(value) if isinstance(value, str) else None
