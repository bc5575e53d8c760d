"""What a return needs besides the Refund permission: the merchant's rules (window, another branch, the refund limit,
no receipt), who must then ask a supervisor, and the sentence the approval dialog shows."""

from __future__ import annotations

from datetime import timedelta

import pytest

from ismartsync.errors import DomainError
from ismartsync.extensions import db
from ismartsync.models.base import utcnow
from ismartsync.permissions import Effect, Permission
from ismartsync.services.audit import Actor
from ismartsync.services.returns.policy import (
    RefundNeedsApproval,
    approval_reasons,
    approval_wording,
    check_approval,
    needs_supervisor,
)
from ismartsync.services.roles import set_grant
from tests import factories
from tests.selling import sell


def test_a_sale_within_the_window_and_the_limit_needs_no_one(merchant, till, counter, items):
    sale = sell(till, counter, items[0], at=utcnow() - timedelta(days=14, hours=1))
    merchant.refund_approval_minor = 299_000
    assert approval_reasons(merchant, counter, sale, 299_000, utcnow()) == []


def test_each_rule_a_return_breaks_is_a_reason(merchant, till, counter, items):
    sale = sell(till, counter, items[0], at=utcnow() - timedelta(days=15))
    merchant.refund_approval_minor = 100_000
    assert approval_reasons(merchant, counter, sale, 100_001, utcnow()) == [
        "sold 15 days ago, past the 14-day return window",
        "over the Rs 1,000 refund limit",
    ]
    assert approval_reasons(merchant, counter, None, 50_000, utcnow()) == ["no receipt"]


def test_a_sale_of_another_branch_comes_back_there_only_when_the_merchant_says_so(merchant, till, counter, items):
    sale = sell(till, counter, items[0])
    elsewhere = factories.CounterFactory(branch=factories.BranchFactory(merchant=merchant, name="DHA", code="DHA"))
    assert approval_reasons(merchant, elsewhere, sale, 299_000, utcnow()) == []
    merchant.returns_at_other_branches = False
    with pytest.raises(DomainError, match="Sales of Gulberg are returned at Gulberg only"):
        approval_reasons(merchant, elsewhere, sale, 299_000, utcnow())


def test_who_must_ask_a_supervisor(merchant, roles, owner, cashier, manager):
    allowed = factories.UserFactory(merchant=merchant, role=roles["Accountant"])
    set_grant(db.session, Actor(owner), roles["Accountant"], Permission.REFUND, Effect.ALLOWED)

    assert needs_supervisor(Actor(cashier), []) is True  # the Cashier role refunds with an approval, always
    assert needs_supervisor(Actor(allowed), []) is False
    assert needs_supervisor(Actor(allowed), ["no receipt"]) is True  # a rule applies and they approve no one
    assert needs_supervisor(Actor(manager), ["no receipt"]) is False  # a manager's own call
    with pytest.raises(DomainError, match="Your role does not issue refunds"):
        needs_supervisor(Actor(factories.UserFactory(merchant=merchant, role=roles["Inventory"])), [])


def test_a_return_that_needs_approval_is_refused_without_one_saying_what_is_approved(cashier, manager):
    with pytest.raises(RefundNeedsApproval, match="A supervisor approves this: Refund Rs 10") as refused:
        check_approval(Actor(cashier), [], "Refund Rs 10")
    assert refused.value.wording == "Refund Rs 10"
    check_approval(Actor(cashier, approver=manager), [], "Refund Rs 10")


def test_the_dialog_names_the_amount_the_sale_three_items_and_why(till, counter, items):
    sale = sell(till, counter, items[0])
    four = [("Lawn 3pc", 1, "Wrong size"), ("Kurta", 2, "Defective"), ("Dupatta", 1, "Other"), ("Shawl", 1, "Other")]
    assert approval_wording(299_000, sale, four[:1], ["over the Rs 1,000 refund limit"]) == (
        f"Refund Rs 2,990 on sale {sale.usin}: Lawn 3pc × 1 (wrong size) — over the Rs 1,000 refund limit"
    )
    assert approval_wording(50_000, None, four, []) == (
        "Refund Rs 500 with no receipt: Lawn 3pc × 1 (wrong size), Kurta × 2 (defective), Dupatta × 1 (other)"
        " and 1 more"
    )
    assert approval_wording(50_000, None, four[:1], ["no receipt"], credit_to="Hina Malik") == (
        "Refund Rs 500 with no receipt, as store credit to Hina Malik: Lawn 3pc × 1 (wrong size)"
    )
