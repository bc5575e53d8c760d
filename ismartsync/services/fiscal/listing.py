"""Reading fiscal documents back for FBR reporting: a branch's documents with filters, counts, one in full."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, joinedload, selectinload

from ismartsync.models import Counter, FiscalDocument, FiscalStatus, InvoiceType, OnlineInvoice, OnlineOrder, Sale
from ismartsync.services.fiscal.documents import OPEN_STATUSES
from ismartsync.services.fiscal.overdue import Overdue, count_overdue

PAGE_SIZE = 50
OPEN = "open"  # the filter for everything without an FBR number yet
STATUS_FILTERS = (OPEN, *FiscalStatus)


@dataclass(frozen=True)
class ListingFilters:
    branch_ids: tuple[int, ...]  # the branches shown: one chosen, or every branch the member may see
    counter_id: int | None = None
    status: str = ""  # OPEN, a FiscalStatus value, or "" for every document
    text: str = ""  # part of a USIN or an FBR number, or an online order's name ("#1001")
    invoice_type: str = ""  # an InvoiceType value (sales' invoices, credit notes), or "" for both


@dataclass(frozen=True)
class ListingPage:
    documents: list[FiscalDocument]
    page: int
    has_more: bool


def _filtered(merchant_id: int, filters: ListingFilters) -> Select:
    query = (
        select(FiscalDocument)
        .join(Counter, Counter.id == FiscalDocument.counter_id)
        .where(FiscalDocument.merchant_id == merchant_id, Counter.branch_id.in_(filters.branch_ids))
    )
    if filters.counter_id:
        query = query.where(FiscalDocument.counter_id == filters.counter_id)
    if filters.invoice_type in set(InvoiceType):
        query = query.where(FiscalDocument.invoice_type == filters.invoice_type)
    if filters.status == OPEN:
        query = query.where(FiscalDocument.status.in_(OPEN_STATUSES))
    elif filters.status in set(FiscalStatus):
        query = query.where(FiscalDocument.status == filters.status)
    if text := filters.text.strip().upper():
        escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        pattern = f"%{escaped}%"
        online_order = (
            select(OnlineInvoice.id)
            .join(OnlineOrder, OnlineOrder.id == OnlineInvoice.order_id)
            .where(OnlineInvoice.merchant_id == merchant_id, func.upper(OnlineOrder.name) == text)
        )
        query = query.where(
            func.upper(FiscalDocument.usin).like(pattern, escape="\\")
            | func.upper(FiscalDocument.fbr_number).like(pattern, escape="\\")
            | FiscalDocument.online_invoice_id.in_(online_order)
        )
    return query


def search_documents(session: Session, merchant_id: int, filters: ListingFilters, page: int = 1) -> ListingPage:
    """One page of the branch's fiscal documents, newest first, with their sale and counter loaded."""
    page = max(1, min(page, 10_000))
    rows = list(
        session.scalars(
            _filtered(merchant_id, filters)
            .options(
                joinedload(FiscalDocument.sale),
                joinedload(FiscalDocument.sale_return),
                joinedload(FiscalDocument.online_invoice).joinedload(OnlineInvoice.order),
                joinedload(FiscalDocument.counter).joinedload(Counter.branch),
            )
            .order_by(FiscalDocument.created_at.desc(), FiscalDocument.id.desc())
            .offset((page - 1) * PAGE_SIZE)
            .limit(PAGE_SIZE + 1)
        )
    )
    return ListingPage(rows[:PAGE_SIZE], page, len(rows) > PAGE_SIZE)


def status_counts(session: Session, merchant_id: int, branch_ids: tuple[int, ...]) -> dict[str, int]:
    """How many of the branches' documents are in each status (every status present, 0 when none)."""
    counts = dict.fromkeys(FiscalStatus, 0)
    rows = session.execute(
        select(FiscalDocument.status, func.count())
        .join(Counter, Counter.id == FiscalDocument.counter_id)
        .where(FiscalDocument.merchant_id == merchant_id, Counter.branch_id.in_(branch_ids))
        .group_by(FiscalDocument.status)
    )
    for status, count in rows:
        counts[FiscalStatus(status)] = count
    return {status.value: count for status, count in counts.items()}


def overdue_in(session: Session, merchant_id: int, branch_ids: tuple[int, ...], older_than: datetime) -> Overdue:
    """The branches' sales and credit notes without an FBR number since before `older_than`."""
    at_branches = select(Counter.id).where(Counter.branch_id.in_(branch_ids))
    return count_overdue(
        session,
        (
            FiscalDocument.merchant_id == merchant_id,
            FiscalDocument.counter_id.in_(at_branches),
            FiscalDocument.created_at < older_than,
        ),
    )


def get_document(session: Session, merchant_id: int, document_id: int) -> FiscalDocument | None:
    """One of the merchant's documents with its attempts, sale, return (a credit note's) and counter (None if not
    theirs)."""
    return session.scalar(
        select(FiscalDocument)
        .where(FiscalDocument.id == document_id, FiscalDocument.merchant_id == merchant_id)
        .options(
            selectinload(FiscalDocument.attempt_log),
            joinedload(FiscalDocument.sale).joinedload(Sale.branch),
            joinedload(FiscalDocument.sale_return),
            joinedload(FiscalDocument.online_invoice).joinedload(OnlineInvoice.order),
            joinedload(FiscalDocument.counter).joinedload(Counter.branch),
            joinedload(FiscalDocument.resolved_by),
        )
    )
