"""The merchant's returns settings: the return window, returns at another branch, the refund a supervisor approves."""

from __future__ import annotations

from sqlalchemy.orm import Session

from ismartsync.errors import DomainError
from ismartsync.models import Merchant
from ismartsync.services.audit import Actor, record_audit, snapshot

RETURN_FIELDS = ["return_window_days", "returns_at_other_branches", "refund_approval_minor"]
MIN_WINDOW_DAYS = 1  # a return the day after the sale is never a supervisor's business
MAX_WINDOW_DAYS = 365
MAX_REFUND_LIMIT_MINOR = 100_000_000_00  # Rs 100 million: beyond that it is a typing slip


def update_return_settings(
    session: Session,
    actor: Actor,
    merchant: Merchant,
    *,
    return_window_days: int,
    returns_at_other_branches: bool,
    refund_approval_minor: int,
) -> None:
    """Set the days after a sale it is returned without approval, whether another branch takes it back, and the
    refund above which a supervisor approves (0: no such limit). Audited with what changed."""
    if not MIN_WINDOW_DAYS <= return_window_days <= MAX_WINDOW_DAYS:
        raise DomainError(f"Enter {MIN_WINDOW_DAYS} to {MAX_WINDOW_DAYS} days.", field="return_window_days")
    if not 0 <= refund_approval_minor <= MAX_REFUND_LIMIT_MINOR:
        raise DomainError("Enter an amount from Rs 0 (no limit) to Rs 100,000,000.", field="refund_approval")
    before = snapshot(merchant, RETURN_FIELDS)
    merchant.return_window_days = return_window_days
    merchant.returns_at_other_branches = returns_at_other_branches
    merchant.refund_approval_minor = refund_approval_minor
    session.flush()
    record_audit(
        session,
        actor,
        "settings.returns",
        "Updated the returns settings",
        target=merchant,
        before=before,
        after=snapshot(merchant, RETURN_FIELDS),
    )
