"""The 24-hour duty: documents still without an FBR number long after the sale, and who is told about them.

FBR allows 24 hours; after `FISCAL_ALERT_HOURS` (12) the owners and everyone allowed to resolve FBR reports are
emailed once, and the dashboard and FBR reporting count what is still open.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ismartsync.models import FiscalDocument, InvoiceType, Merchant, User
from ismartsync.permissions import Permission
from ismartsync.services.email import queue_email
from ismartsync.services.fiscal.documents import OPEN_STATUSES

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Overdue:
    """Documents without an FBR number past the hours, told apart: sales' invoices (a counter's or an online
    order's) and credit notes (a return's or a refused parcel's)."""

    sales: int = 0
    credit_notes: int = 0

    @classmethod
    def of(cls, documents: Iterable[FiscalDocument]) -> Overdue:
        kinds = [d.is_credit_note for d in documents]
        return cls(sales=kinds.count(False), credit_notes=kinds.count(True))

    @property
    def total(self) -> int:
        return self.sales + self.credit_notes

    def __bool__(self) -> bool:
        return self.total > 0

    @property
    def wording(self) -> str:
        """What is overdue, counted in words: "2 sales and 1 credit note", "1 sale", "3 credit notes"."""
        parts = [
            f"{n} {word}{'' if n == 1 else 's'}"
            for n, word in ((self.sales, "sale"), (self.credit_notes, "credit note"))
            if n
        ]
        return " and ".join(parts) or "No document"

    @property
    def have(self) -> str:
        """The verb after `wording`: "1 sale has", "1 sale and 1 credit note have"."""
        return "has" if self.total == 1 else "have"

    @property
    def them(self) -> str:
        return "it" if self.total == 1 else "them"


def count_overdue(session: Session, where: Iterable[object]) -> Overdue:
    """Open documents matching `where` (the caller's merchant, branches and age), counted by kind."""
    rows = session.execute(
        select(FiscalDocument.invoice_type, func.count())
        .select_from(FiscalDocument)
        .where(FiscalDocument.status.in_(OPEN_STATUSES), *where)
        .group_by(FiscalDocument.invoice_type)
    ).all()
    counted = {invoice_type: int(n) for invoice_type, n in rows}
    return Overdue(
        sales=sum(n for kind, n in counted.items() if kind != InvoiceType.CREDIT_NOTE),
        credit_notes=counted.get(InvoiceType.CREDIT_NOTE, 0),
    )


def overdue_to_alert(session: Session, older_than: datetime) -> dict[int, list[FiscalDocument]]:
    """Documents without an FBR number since before `older_than` that nobody was told about, by merchant."""
    found = session.scalars(
        select(FiscalDocument)
        .where(
            FiscalDocument.status.in_(OPEN_STATUSES),
            FiscalDocument.created_at < older_than,
            FiscalDocument.alerted_at.is_(None),
        )
        .order_by(FiscalDocument.merchant_id, FiscalDocument.created_at)
        .limit(5000)
    )
    by_merchant: dict[int, list[FiscalDocument]] = {}
    for document in found:
        by_merchant.setdefault(document.merchant_id, []).append(document)
    return by_merchant


def overdue_count(session: Session, merchant_id: int, older_than: datetime) -> Overdue:
    """How many of the merchant's sales and credit notes have gone without an FBR number since before
    `older_than`."""
    return count_overdue(session, (FiscalDocument.merchant_id == merchant_id, FiscalDocument.created_at < older_than))


def alert_overdue(session: Session, now: datetime, hours: int) -> int:
    """Email each merchant's owners and FBR resolvers once about documents open for `hours`; how many documents."""
    total = 0
    for merchant_id, documents in overdue_to_alert(session, now - timedelta(hours=hours)).items():
        merchant = session.get(Merchant, merchant_id)
        for person in _resolvers(session, merchant_id):
            queue_email(
                session,
                person.email,
                f"{Overdue.of(documents).wording} not yet reported to FBR after {hours} hours",
                "fiscal_overdue",
                merchant_id,
                merchant=merchant,
                person=person,
                documents=documents,
                overdue=Overdue.of(documents),
                hours=hours,
            )
        for document in documents:
            document.alerted_at = now
        log.error(
            "FBR reports overdue",
            extra={"fields": {"merchant_id": merchant_id, "documents": len(documents), "hours": hours}},
        )
        total += len(documents)
    session.flush()
    return total


def _resolvers(session: Session, merchant_id: int) -> list[User]:
    users = session.scalars(select(User).where(User.merchant_id == merchant_id, User.active.is_(True)))
    return [u for u in users if u.role.is_owner or u.can(Permission.RESOLVE_FISCAL)]
