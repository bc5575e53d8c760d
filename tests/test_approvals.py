"""Needs approval: a supervisor's PIN on the same screen lets the action through, and the audit log says who."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from ismartsync.extensions import db
from ismartsync.models import AuditEntry, Branch
from ismartsync.permissions import Effect, Permission
from ismartsync.services.audit import Actor
from ismartsync.services.roles import create_role, set_grant
from tests import factories
from tests.markup import element, is_fragment, text_of

RENAME = {"name": "Gulberg Main", "code": "GUL", "active": "y"}


@pytest.fixture
def approvals_on(owner, roles):
    """Cashiers see settings, and editing them needs a supervisor's approval."""
    actor = Actor(owner)
    set_grant(db.session, actor, roles["Cashier"], Permission.PAGE_SETTINGS, Effect.ALLOWED)
    set_grant(db.session, actor, roles["Cashier"], Permission.EDIT_SETTINGS, Effect.NEEDS_APPROVAL)
    db.session.flush()


@pytest.fixture
def at_counter(browser, cashier, approvals_on):
    browser.sign_in(cashier)
    return browser


def _branch_name(branch: Branch) -> str:
    db.session.expire_all()
    return db.session.get(Branch, branch.id).name


def _entries(merchant, action: str) -> list[AuditEntry]:
    db.session.expire_all()
    query = select(AuditEntry).where(AuditEntry.merchant_id == merchant.id, AuditEntry.action == action)
    return list(db.session.scalars(query))


def test_action_needing_approval_asks_for_a_supervisor_instead_of_acting(at_counter, branch, manager):
    response = at_counter.post(f"/settings/branches/{branch.id}", RENAME)
    assert response.status_code == 403
    assert response.headers["X-Approval-Required"] == "action.edit_settings"
    html = response.get_data(as_text=True)
    prompt = element(html, "approval")
    assert prompt is not None and "Supervisor PIN" in prompt
    assert f'name="approver_id" value="{manager.id}"' in prompt
    assert 'name="name" value="Gulberg Main"' in prompt  # the cashier's input travels with the approval
    assert _branch_name(branch) == "Gulberg"


def test_htmx_approval_prompt_is_a_fragment_retargeted_to_the_dialog(at_counter, branch):
    response = at_counter.post(f"/settings/branches/{branch.id}", RENAME, htmx=True)
    assert response.status_code == 403
    assert response.headers["HX-Retarget"] == "#dialog"
    assert is_fragment(response.get_data(as_text=True))


def test_wrong_supervisor_pin_is_refused_with_no_effect(at_counter, branch, manager):
    response = at_counter.post(
        f"/settings/branches/{branch.id}", {**RENAME, "approver_id": manager.id, "approver_pin": "9999"}
    )
    assert response.status_code == 422
    assert "Approval refused" in text_of(response.get_data(as_text=True), "approval")
    assert _branch_name(branch) == "Gulberg"
    assert _entries(branch.merchant, "approval") == []


def test_supervisor_pin_lets_the_action_through_and_is_audited(at_counter, branch, manager, cashier):
    response = at_counter.post(
        f"/settings/branches/{branch.id}", {**RENAME, "approver_id": manager.id, "approver_pin": factories.PIN}
    )
    assert response.status_code == 200
    assert _branch_name(branch) == "Gulberg Main"
    [approval] = _entries(branch.merchant, "approval")
    assert (approval.actor_id, approval.approver_id) == (cashier.id, manager.id)
    assert approval.after == {"permission": "action.edit_settings"}
    [change] = _entries(branch.merchant, "branch.update")
    assert (change.actor_id, change.approver_id) == (cashier.id, manager.id)


def test_approval_is_needed_again_for_the_next_action(at_counter, branch, manager):
    at_counter.post(f"/settings/branches/{branch.id}", {**RENAME, "approver_id": manager.id, "approver_pin": "2580"})
    again = at_counter.post(f"/settings/branches/{branch.id}", {**RENAME, "name": "Gulberg Again"})
    assert again.status_code == 403
    assert _branch_name(branch) == "Gulberg Main"


def _approver_refused(browser, branch, approver_id: int, pin: str = factories.PIN) -> None:
    response = browser.post(
        f"/settings/branches/{branch.id}", {**RENAME, "approver_id": approver_id, "approver_pin": pin}
    )
    assert response.status_code == 422
    assert _branch_name(branch) == "Gulberg"
    assert _entries(branch.merchant, "approval") == []


def test_approver_without_the_permission_is_refused(at_counter, branch, merchant, roles):
    stock_keeper = factories.UserFactory(merchant=merchant, role=roles["Inventory"], all_branches=True)
    _approver_refused(at_counter, branch, stock_keeper.id)


def test_approver_with_the_permission_but_not_approve_is_refused(at_counter, branch, merchant, owner, roles):
    supervisor = create_role(db.session, Actor(owner), "Supervisor", copy_from=roles["Manager"])
    set_grant(db.session, Actor(owner), supervisor, Permission.APPROVE, Effect.BLOCKED)
    clerk = factories.UserFactory(merchant=merchant, role=supervisor, all_branches=True)
    _approver_refused(at_counter, branch, clerk.id)


def test_member_cannot_approve_their_own_action(at_counter, branch, cashier):
    _approver_refused(at_counter, branch, cashier.id)


def test_approver_from_another_merchant_is_refused(at_counter, branch, outsider):
    _approver_refused(at_counter, branch, outsider.id)


def test_approver_must_be_chosen(at_counter, branch):
    response = at_counter.post(f"/settings/branches/{branch.id}", {**RENAME, "approver_id": "", "approver_pin": "2580"})
    assert response.status_code == 422
    assert "Choose who approves" in text_of(response.get_data(as_text=True), "approval")


def test_approver_pin_is_throttled_after_repeated_wrong_tries(at_counter, branch, manager):
    wrong = {**RENAME, "approver_id": manager.id, "approver_pin": "9999"}
    for _ in range(5):
        assert at_counter.post(f"/settings/branches/{branch.id}", wrong).status_code == 422
    right = {**wrong, "approver_pin": factories.PIN}
    response = at_counter.post(f"/settings/branches/{branch.id}", right)
    assert response.status_code == 429
    assert "Too many wrong attempts" in text_of(response.get_data(as_text=True), "approval")
    assert _branch_name(branch) == "Gulberg"


def test_export_needing_approval_downloads_once_a_supervisor_approves(browser, owner, roles, cashier, manager):
    actor = Actor(owner)
    set_grant(db.session, actor, roles["Cashier"], Permission.PAGE_AUDIT, Effect.ALLOWED)
    set_grant(db.session, actor, roles["Cashier"], Permission.EXPORT, Effect.NEEDS_APPROVAL)
    browser.sign_in(cashier)
    asked = browser.get("/audit/export.csv")
    assert asked.status_code == 403
    assert asked.headers["X-Approval-Required"] == "action.export"
    assert asked.mimetype == "text/html"
    approved = browser.post("/audit/export.csv", {"approver_id": manager.id, "approver_pin": factories.PIN})
    assert approved.status_code == 200
    assert approved.mimetype == "text/csv"
    assert "approved “Export data” for Sana Iqbal" in approved.get_data(as_text=True)


def test_allowed_member_is_not_asked_for_approval(browser, manager, branch):
    browser.sign_in(manager)
    response = browser.post(f"/settings/branches/{branch.id}", RENAME)
    assert response.status_code == 200
    assert "X-Approval-Required" not in response.headers
    assert _branch_name(branch) == "Gulberg Main"
