"""Finding online orders for a screen (Smart Orders): a branch's (those with a fulfilment order assigned to it) or
several branches', newest first, found by order name ("#1001", "1001") or the customer's phone (however it is
typed), filtered by status, COD, local dates and confirmation outcome, a page at a time by keyset (the created time
and id of the last row shown), so the 500th page costs what the first does."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from sqlalchemy import and_, exists, or_, select
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.sql.elements import ColumnElement

from ismartsync.models import Merchant
from ismartsync.models.online_order import FulfilmentOrder, OnlineOrder
from ismartsync.models.order_work import ConfirmationOutcome, OrderConfirmation
from ismartsync.services.online_orders.intake import phone_key

LIMIT = 100
PAGE_SIZE = 25
# Shopify's displayFulfillmentStatus values that leave nothing to ship.
SHIPPED = ("FULFILLED", "RESTOCKED")
NO_CONFIRMATION = "none"


class ListStatus(StrEnum):
    TO_CONFIRM = "to_confirm"  # COD, open, not yet confirmed (never asked, or no answer)
    CONFIRMED = "confirmed"
    ON_HOLD = "on_hold"  # a fulfilment order at the listed branches is held in Shopify
    UNFULFILLED = "unfulfilled"
    FULFILLED = "fulfilled"
    CANCELLED = "cancelled"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()


@dataclass(frozen=True)
class OrderFilters:
    branch_ids: tuple[int, ...]
    text: str = ""
    status: str = ""  # a ListStatus value or ""
    cod: str = ""  # "cod", "prepaid" or ""
    since: date | None = None  # merchant-local dates, both ends included
    until: date | None = None
    confirmation: str = ""  # a ConfirmationOutcome value, NO_CONFIRMATION, or ""


@dataclass
class OrderPage:
    orders: list[OnlineOrder]
    confirmations: dict[int, OrderConfirmation] = field(default_factory=dict)  # the latest attempt per order
    next_cursor: str | None = None  # the keyset of the next (older) page


def search_orders(session: Session, merchant_id: int, filters: OrderFilters, cursor: str = "") -> OrderPage:
    """One page (PAGE_SIZE) of the orders the filters find, newest first, older than `cursor` when given."""
    if not filters.branch_ids:
        return OrderPage([])
    query = select(OnlineOrder).where(
        OnlineOrder.merchant_id == merchant_id, _at_branches(merchant_id, filters.branch_ids, filters.status)
    )
    for condition in _conditions(session, merchant_id, filters):
        query = query.where(condition)
    if keyset := parse_cursor(cursor):
        at, ident = keyset
        query = query.where(
            or_(
                OnlineOrder.shopify_created_at < at,
                and_(OnlineOrder.shopify_created_at == at, OnlineOrder.id < ident),
            )
        )
    query = query.order_by(OnlineOrder.shopify_created_at.desc(), OnlineOrder.id.desc()).limit(PAGE_SIZE + 1)
    rows = list(session.scalars(query.options(selectinload(OnlineOrder.fulfilment_orders))))
    more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    last = rows[-1] if rows and more else None
    return OrderPage(
        rows,
        latest_confirmations(session, [o.id for o in rows]),
        f"{last.shopify_created_at.isoformat()}~{last.id}" if last else None,
    )


def orders_at_branches(
    session: Session, merchant_id: int, branch_ids: Sequence[int], text: str = "", limit: int = LIMIT
) -> list[OnlineOrder]:
    """The merchant's online orders with a fulfilment order at one of these branches, newest first (at most
    `limit`); `text` finds an order by its name or the customer's phone."""
    if not branch_ids:
        return []
    query = select(OnlineOrder).where(
        OnlineOrder.merchant_id == merchant_id, _at_branches(merchant_id, tuple(branch_ids), "")
    )
    if text.strip():
        query = query.where(_text_condition(text))
    query = query.order_by(OnlineOrder.shopify_created_at.desc(), OnlineOrder.id.desc()).limit(limit)
    return list(session.scalars(query.options(selectinload(OnlineOrder.fulfilment_orders))))


def latest_confirmations(session: Session, order_ids: Sequence[int]) -> dict[int, OrderConfirmation]:
    """The newest confirmation attempt of each of these orders (those never asked are absent)."""
    if not order_ids:
        return {}
    rows = session.scalars(
        select(OrderConfirmation)
        .where(OrderConfirmation.order_id.in_(list(order_ids)))
        .order_by(OrderConfirmation.order_id, OrderConfirmation.id)
    )
    return {row.order_id: row for row in rows}  # later ids overwrite earlier ones


def parse_cursor(raw: str) -> tuple[datetime, int] | None:
    """The keyset a "next page" link carries; None for anything that is not one (the first page then)."""
    moment, _, ident = (raw or "").partition("~")
    try:
        at = datetime.fromisoformat(moment)
        number = int(ident)
    except ValueError:
        return None
    if at.tzinfo is None or not 0 < number < 2**31:
        return None
    return at, number


def _at_branches(merchant_id: int, branch_ids: tuple[int, ...], status: str) -> ColumnElement:
    held = (FulfilmentOrder.status == "ON_HOLD",) if status == ListStatus.ON_HOLD else ()
    return exists().where(
        FulfilmentOrder.order_id == OnlineOrder.id,
        FulfilmentOrder.merchant_id == merchant_id,
        FulfilmentOrder.branch_id.in_(list(branch_ids)),
        *held,
    )


def _conditions(session: Session, merchant_id: int, filters: OrderFilters) -> list[ColumnElement]:
    found: list[ColumnElement] = []
    if filters.text.strip():
        found.append(_text_condition(filters.text))
    found += _status_conditions(filters.status)
    if filters.cod == "cod":
        found.append(OnlineOrder.cod.is_(True))
    elif filters.cod == "prepaid":
        found.append(OnlineOrder.cod.is_(False))
    if filters.since or filters.until:
        zone = ZoneInfo(session.get(Merchant, merchant_id).time_zone)  # type: ignore[union-attr]
        if filters.since:
            found.append(OnlineOrder.shopify_created_at >= datetime.combine(filters.since, time.min, tzinfo=zone))
        if filters.until:
            end = datetime.combine(filters.until + timedelta(days=1), time.min, tzinfo=zone)
            found.append(OnlineOrder.shopify_created_at < end)
    if filters.confirmation == NO_CONFIRMATION:
        found.append(OnlineOrder.confirmation == "")
    elif filters.confirmation in set(ConfirmationOutcome):
        found.append(OnlineOrder.confirmation == filters.confirmation)
    return found


def _status_conditions(status: str) -> list[ColumnElement]:
    open_ = [OnlineOrder.cancelled_at.is_(None), OnlineOrder.fulfilment_status.not_in(SHIPPED)]
    if status == ListStatus.TO_CONFIRM:
        unconfirmed = OnlineOrder.confirmation.in_(["", ConfirmationOutcome.NO_ANSWER.value])
        return [OnlineOrder.cod.is_(True), *open_, unconfirmed]
    if status == ListStatus.CONFIRMED:
        return [OnlineOrder.confirmation == ConfirmationOutcome.CONFIRMED.value]
    if status == ListStatus.UNFULFILLED:
        return open_
    if status == ListStatus.FULFILLED:
        return [OnlineOrder.fulfilment_status == "FULFILLED"]
    if status == ListStatus.CANCELLED:
        return [OnlineOrder.cancelled_at.is_not(None)]
    return []  # ON_HOLD is a condition on the fulfilment orders (`_at_branches`)


def _text_condition(text: str) -> ColumnElement:
    text = text.strip()
    digits = "".join(c for c in text if c.isascii() and c.isdigit())
    names = {text, f"#{text.lstrip('#')}"}
    key = phone_key(text)
    wanted = OnlineOrder.name.in_(sorted(names))
    if key and len(digits) >= 7:
        wanted = wanted | (OnlineOrder.phone_key == key)
    return wanted
