"""The merchant's returns settings: the return window, returns at another branch and the refund a supervisor
approves, each checked and the change audited."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from ismartsync.errors import DomainError
from ismartsync.extensions import db
from ismartsync.models import AuditEntry
from ismartsync.services.audit import Actor
from ismartsync.services.returns.settings import MAX_REFUND_LIMIT_MINOR, update_return_settings


def settle(owner, merchant, days: int = 14, elsewhere: bool = True, limit: int = 0) -> None:
    update_return_settings(
        db.session,
        Actor(owner),
        merchant,
        return_window_days=days,
        returns_at_other_branches=elsewhere,
        refund_approval_minor=limit,
    )


def audited() -> list[AuditEntry]:
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == "settings.returns")))


def test_the_returns_settings_are_checked_and_audited(merchant, owner):
    with pytest.raises(DomainError, match="1 to 365 days"):
        update_return_settings(
            db.session,
            Actor(owner),
            merchant,
            return_window_days=400,
            returns_at_other_branches=True,
            refund_approval_minor=0,
        )
    update_return_settings(
        db.session,
        Actor(owner),
        merchant,
        return_window_days=7,
        returns_at_other_branches=False,
        refund_approval_minor=500_000,
    )
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "settings.returns")).one()
    assert entry.before == {"return_window_days": 14, "returns_at_other_branches": True, "refund_approval_minor": 0}
    assert (merchant.return_window_days, merchant.returns_at_other_branches) == (7, False)


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"days": 0}, "return_window_days"),
        ({"limit": -1}, "refund_approval"),
        ({"limit": MAX_REFUND_LIMIT_MINOR + 1}, "refund_approval"),
    ],
)
def test_a_value_out_of_range_is_refused_beside_its_field_and_nothing_changes(merchant, owner, values, field):
    with pytest.raises(DomainError) as refused:
        settle(owner, merchant, elsewhere=False, **values)
    assert refused.value.field == field
    assert (merchant.return_window_days, merchant.returns_at_other_branches, merchant.refund_approval_minor) == (
        14,
        True,
        0,
    )
    assert audited() == []


def test_the_ends_of_each_range_are_taken(merchant, owner):
    settle(owner, merchant, days=1, limit=MAX_REFUND_LIMIT_MINOR)
    assert (merchant.return_window_days, merchant.refund_approval_minor) == (1, MAX_REFUND_LIMIT_MINOR)
    settle(owner, merchant, days=365, limit=0)
    assert (merchant.return_window_days, merchant.refund_approval_minor) == (365, 0)


def test_the_audit_keeps_only_what_changed(merchant, owner):
    settle(owner, merchant, limit=250_000)
    (entry,) = audited()
    assert (entry.before, entry.after) == ({"refund_approval_minor": 0}, {"refund_approval_minor": 250_000})
    assert entry.summary == "Updated the returns settings" and entry.actor_id == owner.id
