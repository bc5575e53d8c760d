"""Needs approval: a supervisor's PIN on the same screen lets the action through, and the audit log says who."""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from ismartsync.extensions import db
from ismartsync.models import AuditEntry, Branch, FiscalDocument, Sale, SaleStatus, StockDrift
from ismartsync.models.base import utcnow
from ismartsync.permissions import Effect, Permission
from ismartsync.services.audit import Actor
from ismartsync.services.cash.registers import start_register
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


def _key(response) -> str:
    """The one-time key an approval dialog carries instead of the member's form."""
    return re.search(r'name="approval_key" value="([^"]+)"', response.get_data(as_text=True)).group(1)


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
    assert "Change the branch Gulberg" in text_of(html, "approval-what")
    assert _branch_name(branch) == "Gulberg"


def test_the_cashiers_input_waits_on_the_server_and_the_dialog_carries_only_a_one_time_key(at_counter, branch, manager):
    asked = at_counter.post(f"/settings/branches/{branch.id}", RENAME)
    prompt = element(asked.get_data(as_text=True), "approval")
    assert "Gulberg Main" not in prompt and 'name="name"' not in prompt
    key = _key(asked)
    approval = {"approval_key": key, "approver_id": manager.id, "approver_pin": factories.PIN}

    assert at_counter.post(f"/settings/branches/{branch.id}", approval).status_code == 200
    assert _branch_name(branch) == "Gulberg Main"  # the kept form came back for the view
    again = at_counter.post(f"/settings/branches/{branch.id}", approval)
    assert again.status_code == 422 and "no longer open" in text_of(again.get_data(as_text=True), "approval")
    assert len(_entries(branch.merchant, "branch.update")) == 1


def test_a_kept_form_serves_only_the_member_and_the_action_it_was_kept_for(
    at_counter, branch, manager, merchant, roles, make_browser
):
    key = _key(at_counter.post(f"/settings/branches/{branch.id}", RENAME))
    elsewhere = factories.BranchFactory(merchant=merchant, name="DHA", code="DHA")
    approval = {"approval_key": key, "approver_id": manager.id, "approver_pin": factories.PIN}
    assert at_counter.post(f"/settings/branches/{elsewhere.id}", approval).status_code == 422
    key = _key(at_counter.post(f"/settings/branches/{branch.id}", RENAME))
    colleague = make_browser()
    colleague.sign_in(factories.UserFactory(merchant=merchant, role=roles["Cashier"], all_branches=True))
    stolen = colleague.post(f"/settings/branches/{branch.id}", {**approval, "approval_key": key})
    assert stolen.status_code == 422 and "no longer open" in text_of(stolen.get_data(as_text=True), "approval")
    assert _branch_name(branch) == "Gulberg" and _branch_name(elsewhere) == "DHA"


def test_a_wrong_pin_keeps_the_form_waiting_under_a_new_key(at_counter, branch, manager):
    key = _key(at_counter.post(f"/settings/branches/{branch.id}", RENAME))
    wrong = at_counter.post(
        f"/settings/branches/{branch.id}", {"approval_key": key, "approver_id": manager.id, "approver_pin": "9999"}
    )
    assert wrong.status_code == 422
    retry = _key(wrong)
    assert retry != key
    right = {"approval_key": retry, "approver_id": manager.id, "approver_pin": factories.PIN}
    assert at_counter.post(f"/settings/branches/{branch.id}", right).status_code == 200
    assert _branch_name(branch) == "Gulberg Main"


def test_a_typed_fbr_token_never_lands_in_the_approval_dialog(at_counter, merchant, manager):
    merchant.ntn, merchant.strn, merchant.tax_office = "1234567-8", "3277876543210", "RTO Lahore"
    db.session.commit()
    token = "1298b5eb-b252-3d97-8622-a4a69d5bf818"
    form = {"fiscal_backend": "ims_cloud", "fiscal_environment": "sandbox", "default_pct_code": "62044200"}

    asked = at_counter.post("/settings/fbr", {**form, "fbr_token": token}, htmx=True)

    assert asked.status_code == 403
    html = asked.get_data(as_text=True)
    assert token not in html and token[:8] not in html
    assert "Change the business's FBR settings" in text_of(html, "approval-what")
    key = _key(asked)
    approved = at_counter.post(
        "/settings/fbr", {"approval_key": key, "approver_id": manager.id, "approver_pin": factories.PIN}, htmx=True
    )
    assert approved.status_code == 200 and token not in approved.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(type(merchant), merchant.id).fbr_token == token


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


@pytest.fixture
def trainee(browser, merchant, owner, branch, counter, manager):
    """A member whose every action needs a supervisor (every page open to them), signed in with a password."""
    actor = Actor(owner)
    role = create_role(db.session, actor, "Trainee")
    for permission in Permission:
        set_grant(db.session, actor, role, permission, Effect.ALLOWED if permission.is_page else Effect.NEEDS_APPROVAL)
    browser.sign_in(factories.UserFactory(merchant=merchant, role=role, all_branches=True, full_name="Zara Trainee"))
    return browser


@pytest.fixture
def back_office(merchant, branch, counter, manager, cashier):
    """A register, an FBR report to settle and a stock drift: what a trainee might ask to act on."""
    register = start_register(db.session, Actor(manager), counter, 500_000)
    variant = factories.VariantFactory(product__merchant=merchant, product__title="Lawn kurta", title="Default Title")
    drift = StockDrift(
        merchant=merchant, variant=variant, branch=branch, local_quantity=5, unsent=0, shopify_on_hand=2
    )
    sale = Sale(
        merchant=merchant,
        uuid="placed",
        branch=branch,
        counter=counter,
        cashier=cashier,
        status=SaleStatus.PLACED,
        number=1,
        usin="GUL-C1-000001",
        placed_at=utcnow(),
    )
    db.session.add_all([drift, sale])
    db.session.flush()
    document = FiscalDocument(merchant=merchant, sale=sale, counter=counter, usin=sale.usin, status="unknown")
    db.session.add(document)
    db.session.commit()
    return SimpleNamespace(register=register, drift=drift, document=document)


@pytest.mark.parametrize(
    ("method", "url", "data", "what"),
    [
        ("post", "/registers/days/{branch.id}/2026-01-05/close", {"note": "all counted"},
         "Close 05 Jan 2026 at Gulberg: no register can start there until the next day — “all counted”"),
        ("post", "/registers/{register.id}/close", {}, "Close the register on Gulberg · Counter 1"),
        ("post", "/fiscal/{document.id}/send", {}, "Send GUL-C1-000001 to FBR again"),
        ("post", "/fiscal/{document.id}/settle", {"fbr_number": "IMS-123", "note": "seen on the FBR portal"},
         "Record FBR number “IMS-123” for GUL-C1-000001 by hand — “seen on the FBR portal”"),
        ("post", "/inventory/drift/{drift.id}/accept", {},
         "Lawn kurta at Gulberg: set our stock from 5 to Shopify's 2"),
        ("post", "/inventory/drift/{drift.id}/push", {},
         "Lawn kurta at Gulberg: set Shopify's stock from 2 to ours, 5"),
        ("get", "/reports/shifts.xlsx", {}, "Download the shifts report (XLSX)"),
        ("post", "/staff/invite", {"email": "new@example.pk", "full_name": "Nida", "role_id": "{roles[Manager].id}"},
         "Invite new@example.pk as Manager"),
        ("post", "/staff/{cashier.id}", {"full_name": "Sana Iqbal", "role_id": "{roles[Manager].id}"},
         "Change Sana Iqbal's details: role Cashier → Manager"),
        ("post", "/staff/{cashier.id}/deactivate", {}, "Deactivate Sana Iqbal: they can no longer sign in"),
        ("post", "/roles", {"name": "Supervisor", "copy_from": "0"}, "Create the role “Supervisor”"),
        ("post", "/roles/{roles[Cashier].id}/grants", {"permission": "action.void", "effect": "allowed"},
         "Role Cashier: “Void” becomes Allowed"),
        ("post", "/settings/fbr/counters/{counter.id}", {"fbr_enabled": "y"},
         "Change the FBR settings of Gulberg · Counter 1"),
    ],
)
def test_the_dialog_says_what_a_back_office_action_is(
    trainee, back_office, branch, counter, cashier, roles, method, url, data, what
):
    rows = {"branch": branch, "counter": counter, "cashier": cashier, "roles": roles, **vars(back_office)}
    data = {key: value.format(**rows) for key, value in data.items()}
    path = url.format(**rows)
    if method == "post":
        asked = trainee.post(path, data, htmx=True)
    else:
        asked = trainee.get(path, headers={"HX-Request": "true"})
    assert asked.status_code == 403, asked.get_data(as_text=True)[:500]
    assert text_of(asked.get_data(as_text=True), "approval-what") == what
