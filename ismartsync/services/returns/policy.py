"""What a return needs besides the Refund permission: the merchant's rules (the return window, another branch, the
refund above which a supervisor approves, no receipt) and the sentence the approval dialog shows.

The rules are read here once, for the screen (which asks for a supervisor before sending) and for `record_return`
(which refuses a return that needed approval and came without one), so the two never disagree.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from ismartsync.errors import DomainError
from ismartsync.models import Counter, Merchant, Sale
from ismartsync.money import format_money
from ismartsync.permissions import Effect, Permission
from ismartsync.services.audit import Actor

NO_RECEIPT = "no receipt"  # the approval reason a return without a receipt always has
NO_RECEIPT_DAYS = 90  # a return without a receipt is refunded at the lowest price the item sold for in this many days


class RefundNeedsApproval(DomainError):
    """The return needs a supervisor's approval and came without one; `wording` is what the dialog says."""

    def __init__(self, wording: str) -> None:
        super().__init__(f"A supervisor approves this: {wording}")
        self.wording = wording


def approval_reasons(
    merchant: Merchant, counter: Counter, sale: Sale | None, total_minor: int, now: datetime
) -> list[str]:
    """Why this return needs a supervisor (empty: it does not, beyond the member's own Refund permission).

    :raise DomainError: the sale may not be returned here at all (another branch, when the merchant says no).
    """
    reasons = []
    if sale is None:
        reasons.append(NO_RECEIPT)
    else:
        if sale.branch_id != counter.branch_id and not merchant.returns_at_other_branches:
            raise DomainError(f"Sales of {sale.branch.name} are returned at {sale.branch.name} only.")
        assert sale.placed_at is not None
        days = (now - sale.placed_at).days
        if days > merchant.return_window_days:
            reasons.append(f"sold {days} days ago, past the {merchant.return_window_days}-day return window")
    if merchant.refund_approval_minor > 0 and total_minor > merchant.refund_approval_minor:
        reasons.append(f"over the {format_money(merchant.refund_approval_minor)} refund limit")
    return reasons


def needs_supervisor(actor: Actor, reasons: Sequence[str]) -> bool:
    """Whether a supervisor must approve: the role says so for every refund, or a rule applies and the member is no
    approver themselves (a manager's own refund over the limit is their call).

    :raise DomainError: the member's role may not refund at all.
    """
    effect = actor.user.effect(Permission.REFUND)
    if effect is Effect.BLOCKED:
        raise DomainError("Your role does not issue refunds.")
    return effect is Effect.NEEDS_APPROVAL or (bool(reasons) and not actor.user.can(Permission.APPROVE))


def check_approval(actor: Actor, reasons: Sequence[str], wording: str) -> None:
    """Refuse a return that needs a supervisor's approval and has none."""
    if actor.approver is None and needs_supervisor(actor, reasons):
        raise RefundNeedsApproval(wording)


def approval_wording(
    total_minor: int,
    sale: Sale | None,
    items: Sequence[tuple[str, int, str]],
    reasons: Sequence[str],
    *,
    credit_to: str = "",
) -> str:
    """What the dialog says is approved: the amount, the sale (or "no receipt" and whose store credit it becomes),
    the items with their reasons, and why it is asked.

    `items` are (name, quantity, reason label). "Refund Rs 2,990 on sale GUL-C1-000012: Lawn 3pc × 1 (wrong
    size) — past the 14-day return window"; "Refund Rs 1,500 with no receipt, as store credit to Hina Malik:
    Khussa × 1 (changed mind)".
    """
    listed = ", ".join(f"{name} × {quantity} ({reason.lower()})" for name, quantity, reason in items[:3])
    if len(items) > 3:
        listed += f" and {len(items) - 3} more"
    if sale is not None:
        where = f"on sale {sale.usin}"
    else:
        where = "with no receipt" + (f", as store credit to {credit_to}" if credit_to else "")
        reasons = [r for r in reasons if r != NO_RECEIPT]  # said already
    why = f" — {'; '.join(reasons)}" if reasons else ""
    return f"Refund {format_money(total_minor)} {where}: {listed}{why}"
