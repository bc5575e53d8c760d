"""The merchant's return reasons: the defaults every merchant starts with, the list the return screen offers, edits.

A reason says whether its items go back on the shelf by default (`restock`) and whether they can be sold again at
all (`sellable`): a defective item is recorded as not sellable and never restocked, whatever the screen ticked.
"""

from __future__ import annotations

import re

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ismartsync.errors import DomainError
from ismartsync.models import Merchant, ReturnReason
from ismartsync.services.audit import Actor, record_audit

# (code, label, sellable): what a merchant starts with, at sign-up (and the migration gave every merchant so far).
DEFAULT_REASONS: tuple[tuple[str, str, bool], ...] = (
    ("wrong_size", "Wrong size", True),
    ("wrong_colour", "Wrong colour", True),
    ("defective", "Defective", False),
    ("changed_mind", "Changed mind", True),
    ("other", "Other", True),
)
_CODE = re.compile(r"[^a-z0-9]+")


def seed_return_reasons(session: Session, merchant: Merchant) -> list[ReturnReason]:
    """Give a new merchant the default reasons (those it has already are left alone)."""
    have = set(session.scalars(select(ReturnReason.code).where(ReturnReason.merchant_id == merchant.id)))
    added = [
        ReturnReason(merchant=merchant, code=code, label=label, restock=sellable, sellable=sellable, position=i)
        for i, (code, label, sellable) in enumerate(DEFAULT_REASONS)
        if code not in have
    ]
    session.add_all(added)
    session.flush()
    return added


def return_reasons(session: Session, merchant_id: int, *, active_only: bool = True) -> list[ReturnReason]:
    """The merchant's reasons in the order the return screen lists them."""
    query = select(ReturnReason).where(ReturnReason.merchant_id == merchant_id)
    if active_only:
        query = query.where(ReturnReason.active)
    return list(session.scalars(query.order_by(ReturnReason.position, ReturnReason.id)))


def reasons_by_code(session: Session, merchant_id: int, codes: set[str]) -> dict[str, ReturnReason]:
    """The merchant's active reasons of these codes (one query for a whole return); a code it does not have (or
    switched off) is refused beside the field."""
    found = {
        r.code: r
        for r in session.scalars(
            select(ReturnReason).where(
                ReturnReason.merchant_id == merchant_id, ReturnReason.code.in_(codes), ReturnReason.active
            )
        )
    }
    if codes - set(found):
        raise DomainError("Choose why it came back.", field="reason")
    return found


def save_return_reason(
    session: Session,
    actor: Actor,
    *,
    label: str,
    sellable: bool,
    restock: bool,
    reason: ReturnReason | None = None,
    active: bool = True,
) -> ReturnReason:
    """Add a reason (`reason` None) or change one; its code is fixed once made, so past returns keep their meaning."""
    label = label.strip()
    if not 1 <= len(label) <= 80:
        raise DomainError("Give the reason a name of up to 80 characters.", field="label")
    if reason is None:
        code = _CODE.sub("_", label.lower()).strip("_")[:32] or "reason"
        taken = set(session.scalars(select(ReturnReason.code).where(ReturnReason.merchant_id == actor.merchant_id)))
        base, n = code, 2
        while code in taken:
            code, n = f"{base[:28]}_{n}", n + 1
        last = session.scalar(
            select(func.coalesce(func.max(ReturnReason.position), -1)).where(
                ReturnReason.merchant_id == actor.merchant_id
            )
        )
        reason = ReturnReason(merchant_id=actor.merchant_id, code=code, position=int(last) + 1)
        session.add(reason)
    elif reason.merchant_id != actor.merchant_id:
        raise ValueError("reason of another merchant")
    before = {"label": reason.label, "sellable": reason.sellable, "restock": reason.restock, "active": reason.active}
    reason.label, reason.sellable, reason.restock, reason.active = label, sellable, restock and sellable, active
    session.flush()
    record_audit(
        session,
        actor,
        "settings.return_reason",
        f"Return reason “{label}” saved",
        target=reason,
        before=before,
        after={"label": label, "sellable": reason.sellable, "restock": reason.restock, "active": active},
    )
    return reason
