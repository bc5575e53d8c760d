"""Reading sales back: the sales list of a branch (or of every branch a member sees) with its filters, and one sale
with everything its receipt prints."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Select, false, func, select, union_all
from sqlalchemy.orm import Session, joinedload, selectinload

from ismartsync.inputs import parse_id
from ismartsync.models import Branch, Counter, FiscalDocument, InvoiceType, Merchant, Sale, SaleStatus, User

PAGE_SIZE = 50
MAX_PAGE = 10_000  # half a million sales back: further than anyone pages; the date filters reach the rest
# What "every status" lists, each read newest first along its own index.
LISTED_STATUSES = (SaleStatus.PLACED, SaleStatus.PARTLY_REFUNDED, SaleStatus.REFUNDED, SaleStatus.DRAFT)
# A USIN as checkout writes it: branch code, "C" and the counter id, the counter's sale number.
_USIN = re.compile(r"^.+-C([0-9]+)-([0-9]+)$")


@dataclass(frozen=True)
class SaleFilters:
    """What the sales list shows: the sales of these branches (one, or every branch the member sees), narrowed by
    the filters a person set (empty means any)."""

    branch_ids: tuple[int, ...]
    text: str = ""  # a sale number or (part of) a USIN
    status: str = ""  # a SaleStatus value, or "" for every status
    since: date | None = None  # branch-local dates, both ends included
    until: date | None = None
    cashier_id: int | None = None
    register_id: int | None = None
    shift_id: int | None = None


@dataclass(frozen=True)
class SalesPage:
    sales: list[Sale]
    page: int
    has_more: bool


def branches_for(session: Session, user: User) -> list[Branch]:
    """The branches whose sales a member may see: every branch for owners and all-branch members, else the
    branches they work at, directly or through the counters they are assigned to."""
    query = select(Branch).where(Branch.merchant_id == user.merchant_id).order_by(Branch.name, Branch.id)
    if not user.sees_every_branch:
        ids = {b.id for b in user.branches} | {c.branch_id for c in user.counters}
        query = query.where(Branch.id.in_(ids))
    return list(session.scalars(query))


def _when(status: str) -> ColumnElement[datetime]:
    return Sale.created_at if status == SaleStatus.DRAFT else Sale.placed_at  # type: ignore[return-value]


def _local_midnight(day: date, zone: str) -> datetime:
    return datetime.combine(day, time.min, tzinfo=ZoneInfo(zone))


def _text_filter(query: Select, text: str) -> Select:
    text = text.strip().upper()
    if not text:
        return query
    if re.fullmatch(r"[0-9]+", text):  # a sale number; past the column's range, no sale has it
        number = parse_id(text)
        return query.where(Sale.number == number) if number is not None else query.where(false())
    if match := _USIN.match(text):  # a whole USIN: found through the (counter, number) key
        counter_id, number = parse_id(match.group(1)), parse_id(match.group(2))
        if counter_id is None or number is None:
            return query.where(false())
        return query.where(Sale.counter_id == counter_id, Sale.number == number, Sale.usin == text)
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return query.where(func.upper(Sale.usin).like(f"%{escaped}%", escape="\\"))


def _status_query(merchant: Merchant, filters: SaleFilters, branch_id: int, status: str, limit: int) -> Select:
    """The ids and times of a branch's newest `limit` sales of one status, read along (branch, status, time)."""
    when = _when(status)
    query = select(Sale.id.label("id"), when.label("at")).where(
        Sale.merchant_id == merchant.id, Sale.branch_id == branch_id, Sale.status == status
    )
    if status == SaleStatus.DRAFT:
        query = query.where(Sale.quantity > 0)  # an empty cart waiting on a counter is not a sale yet
    if filters.since:
        query = query.where(when >= _local_midnight(filters.since, merchant.time_zone))
    if filters.until:
        query = query.where(when < _local_midnight(filters.until + timedelta(days=1), merchant.time_zone))
    if filters.cashier_id:
        query = query.where(Sale.cashier_id == filters.cashier_id)
    if filters.register_id:
        query = query.where(Sale.register_id == filters.register_id)
    if filters.shift_id:
        query = query.where(Sale.shift_id == filters.shift_id)
    query = _text_filter(query, filters.text)
    return query.order_by(when.desc(), Sale.id.desc()).limit(limit)


def search_sales(session: Session, merchant_id: int, filters: SaleFilters, page: int = 1) -> SalesPage:
    """One page of the branches' sales, newest first, with what the list shows loaded and no sale lines.

    Each branch's sales of each status are read newest first along the (branch, status, placed_at) index and only
    as far as this page needs; the few rows found are merged, so the cost does not grow with the history.
    """
    merchant = session.get(Merchant, merchant_id)
    assert merchant is not None
    page = min(max(1, page), MAX_PAGE)
    offset = (page - 1) * PAGE_SIZE
    statuses = [filters.status] if filters.status in set(SaleStatus) else list(LISTED_STATUSES)
    parts = [
        _status_query(merchant, filters, branch_id, status, offset + PAGE_SIZE + 1).subquery()
        for branch_id in filters.branch_ids
        for status in statuses
    ]
    if not parts:
        return SalesPage(sales=[], page=page, has_more=False)
    merged = union_all(*(select(p.c.id, p.c.at) for p in parts)).subquery()
    ids = list(
        session.scalars(
            select(merged.c.id).order_by(merged.c.at.desc(), merged.c.id.desc()).offset(offset).limit(PAGE_SIZE + 1)
        )
    )
    shown = ids[:PAGE_SIZE]
    rows = session.scalars(
        select(Sale)
        .where(Sale.id.in_(shown))
        .options(
            # The cashier's name, not their role and grants (which a user row brings by default).
            joinedload(Sale.cashier).lazyload(User.role),
            joinedload(Sale.counter),
            joinedload(Sale.branch),  # named on each row when every branch is listed
            joinedload(Sale.customer),
        )
    ).unique()
    by_id = {s.id: s for s in rows}
    return SalesPage(sales=[by_id[i] for i in shown], page=page, has_more=len(ids) > PAGE_SIZE)


def get_sale(session: Session, merchant_id: int, sale_id: int) -> Sale | None:
    """One of the merchant's sales with its lines, tenders and the people and places on it (None if not theirs)."""
    return session.scalar(
        select(Sale)
        .where(Sale.id == sale_id, Sale.merchant_id == merchant_id)
        .options(
            selectinload(Sale.lines),
            selectinload(Sale.payments),
            joinedload(Sale.branch),
            joinedload(Sale.counter).joinedload(Counter.branch),
            joinedload(Sale.cashier),
            joinedload(Sale.salesperson),
            joinedload(Sale.customer),
            joinedload(Sale.merchant),
        )
    )


def sale_for_receipt(session: Session, merchant_id: int, sale_id: int) -> Sale | None:
    """A sale whose receipt can be printed: placed (or refunded since); a draft has no receipt."""
    sale = get_sale(session, merchant_id, sale_id)
    return None if sale is None or sale.is_draft else sale


def fiscal_document_for(session: Session, sale: Sale) -> FiscalDocument | None:
    """The sale's own fiscal document (not a credit note's), once checkout wrote it."""
    return session.scalar(
        select(FiscalDocument)
        .where(FiscalDocument.sale_id == sale.id, FiscalDocument.invoice_type == InvoiceType.SALE)
        .order_by(FiscalDocument.id)
        .limit(1)
    )
