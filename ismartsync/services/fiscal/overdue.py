"""The 24-hour duty: documents still without an FBR number long after the sale, and who is told about them.

FBR allows 24 hours; after `FISCAL_ALERT_HOURS` (12) the owners and everyone allowed to resolve FBR reports are
emailed once, and the dashboard and FBR reporting count what is still open.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ismartsync.models import FiscalDocument, Merchant, User
from ismartsync.permissions import Permission
from ismartsync.services.email import queue_email
from ismartsync.services.fiscal.documents import OPEN_STATUSES

log = logging.getLogger(__name__)


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


def overdue_count(session: Session, merchant_id: int, older_than: datetime) -> int:
    """How many of the merchant's documents have gone without an FBR number since before `older_than`."""
    return int(
        session.scalar(
            select(func.count()).where(
                FiscalDocument.merchant_id == merchant_id,
                FiscalDocument.status.in_(OPEN_STATUSES),
                FiscalDocument.created_at < older_than,
            )
        )
        or 0
    )


def alert_overdue(session: Session, now: datetime, hours: int) -> int:
    """Email each merchant's owners and FBR resolvers once about documents open for `hours`; how many documents."""
    total = 0
    for merchant_id, documents in overdue_to_alert(session, now - timedelta(hours=hours)).items():
        merchant = session.get(Merchant, merchant_id)
        for person in _resolvers(session, merchant_id):
            queue_email(
                session,
                person.email,
                f"{len(documents)} sale(s) not yet reported to FBR after {hours} hours",
                "fiscal_overdue",
                merchant_id,
                merchant=merchant,
                person=person,
                documents=documents,
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
