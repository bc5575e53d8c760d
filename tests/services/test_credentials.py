"""Checking who someone is: password and PIN (throttled), and who may approve what, where."""

from __future__ import annotations

import pytest

from ismartsync.errors import DomainError, InvalidCredentials, Throttled
from ismartsync.extensions import db
from ismartsync.permissions import Permission
from ismartsync.services import credentials
from ismartsync.services.audit import Actor
from tests import factories

ADDRESS = "198.51.100.4"


def test_password_check_finds_the_member_whatever_the_email_case(owner):
    assert (
        credentials.authenticate_password(db.session, f"  {owner.email.upper()} ", factories.PASSWORD, ADDRESS) is owner
    )


def test_wrong_password_and_unknown_email_fail_alike(owner):
    with pytest.raises(InvalidCredentials) as wrong:
        credentials.authenticate_password(db.session, owner.email, "wrong-password", ADDRESS)
    with pytest.raises(InvalidCredentials) as unknown:
        credentials.authenticate_password(db.session, "nobody@example.pk", "wrong-password", ADDRESS)
    assert (wrong.value.message, wrong.value.field) == (unknown.value.message, unknown.value.field)


def test_password_failures_are_throttled_with_the_wait_in_minutes(owner):
    for _ in range(5):
        with pytest.raises(InvalidCredentials):
            credentials.authenticate_password(db.session, owner.email, "wrong-password", ADDRESS)
    with pytest.raises(Throttled) as throttled:
        credentials.authenticate_password(db.session, owner.email, factories.PASSWORD, ADDRESS)
    assert 0 < throttled.value.retry_after_seconds <= 15 * 60
    assert throttled.value.message == "Too many wrong attempts. Try again in 15 minutes."


def test_pin_check_needs_a_member_who_works_at_the_counter(counter, cashier, merchant, roles, outsider):
    assert credentials.authenticate_pin(db.session, counter, cashier.id, factories.PIN, ADDRESS) is cashier
    other_branch = factories.BranchFactory(merchant=merchant, code="DHA")
    stranger = factories.UserFactory(merchant=merchant, role=roles["Cashier"], branches=[other_branch])
    for user_id in (stranger.id, outsider.id, 987654321):
        with pytest.raises(InvalidCredentials, match="Wrong PIN"):
            credentials.authenticate_pin(db.session, counter, user_id, factories.PIN, ADDRESS)


def test_approval_candidates_hold_the_permission_and_approve_and_a_pin_and_work_here(
    merchant, roles, branch, counter, owner, manager, cashier
):
    other_branch = factories.BranchFactory(merchant=merchant, code="DHA")
    factories.UserFactory(merchant=merchant, role=roles["Manager"], branches=[other_branch], full_name="DHA Manager")
    factories.UserFactory(merchant=merchant, role=roles["Manager"], all_branches=True, pin_hash=None)
    factories.UserFactory(merchant=merchant, role=roles["Accountant"], all_branches=True)
    here = credentials.approval_candidates(db.session, merchant.id, Permission.REFUND, counter)
    assert {u.id for u in here} == {owner.id, manager.id}
    anywhere = credentials.approval_candidates(db.session, merchant.id, Permission.REFUND, None)
    assert "DHA Manager" in {u.full_name for u in anywhere}


def test_approval_is_refused_when_the_actor_needs_none(manager, owner):
    with pytest.raises(DomainError, match="does not need approval"):
        credentials.approve_with_pin(db.session, Actor(manager), Permission.REFUND, owner.id, factories.PIN, None)


def test_approval_at_a_counter_needs_an_approver_who_works_there(merchant, roles, counter, cashier):
    other_branch = factories.BranchFactory(merchant=merchant, code="DHA")
    far_manager = factories.UserFactory(merchant=merchant, role=roles["Manager"], branches=[other_branch])
    with pytest.raises(InvalidCredentials, match="Approval refused"):
        credentials.approve_with_pin(
            db.session, Actor(cashier), Permission.REFUND, far_manager.id, factories.PIN, counter
        )
    assert credentials.approve_with_pin(
        db.session, Actor(cashier), Permission.REFUND, far_manager.id, factories.PIN, None
    )
