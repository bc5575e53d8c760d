"""The roles × permissions matrix: changing a cell, what that changes at once, custom roles."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from ismartsync.extensions import db
from ismartsync.models import AuditEntry, Role
from ismartsync.permissions import Effect, Permission
from tests import factories
from tests.markup import element, field_text, is_fragment, text, text_of


def _role(role: Role) -> Role:
    db.session.expire_all()
    return db.session.get(Role, role.id)


def _cell_id(role: Role, permission: Permission) -> str:
    return f"grant-{role.id}-{permission.value.replace('.', '-')}"


def _set(browser, role: Role, permission: Permission, effect: Effect, **kwargs):
    return browser.post(f"/roles/{role.id}/grants", {"permission": permission.value, "effect": effect.value}, **kwargs)


@pytest.fixture
def signed_in(browser, owner):
    browser.sign_in(owner)
    return browser


def test_owner_sees_the_matrix_with_a_control_per_cell(signed_in, roles):
    page = signed_in.get("/roles").get_data(as_text=True)
    cell = element(page, _cell_id(roles["Cashier"], Permission.REFUND))
    assert cell.startswith("<form") and 'value="approval" selected' in cell
    owner_cell = element(page, _cell_id(roles["Owner"], Permission.REFUND))
    assert owner_cell.startswith("<span") and "Allowed" in text(owner_cell)


def test_page_cells_offer_no_needs_approval(signed_in, roles):
    page = signed_in.get("/roles").get_data(as_text=True)
    assert 'value="approval"' not in element(page, _cell_id(roles["Cashier"], Permission.PAGE_AUDIT))


def test_changing_a_cell_over_htmx_returns_the_cell(signed_in, roles):
    response = _set(signed_in, roles["Cashier"], Permission.REFUND, Effect.ALLOWED, htmx=True)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert is_fragment(html)
    assert 'value="allowed" selected' in element(html, _cell_id(roles["Cashier"], Permission.REFUND))
    assert _role(roles["Cashier"]).effect(Permission.REFUND) is Effect.ALLOWED


def test_changing_a_cell_with_a_plain_form_reloads_the_matrix(signed_in, roles):
    response = _set(signed_in, roles["Cashier"], Permission.VOID, Effect.BLOCKED)
    assert response.status_code == 303 and response.headers["Location"] == "/roles"
    assert _role(roles["Cashier"]).effect(Permission.VOID) is Effect.BLOCKED


def test_change_is_audited_with_before_and_after(signed_in, roles, owner):
    _set(signed_in, roles["Cashier"], Permission.REFUND, Effect.ALLOWED, htmx=True)
    entry = db.session.scalar(
        select(AuditEntry).where(AuditEntry.merchant_id == owner.merchant_id, AuditEntry.action == "role.permission")
    )
    assert entry.actor_id == owner.id
    assert (entry.before, entry.after) == ({"action.refund": "approval"}, {"action.refund": "allowed"})


def test_granting_a_page_opens_it_at_once_for_members_already_signed_in(signed_in, make_browser, roles, cashier):
    at_counter = make_browser()
    at_counter.sign_in(cashier)
    assert at_counter.get("/audit").status_code == 403
    _set(signed_in, roles["Cashier"], Permission.PAGE_AUDIT, Effect.ALLOWED, htmx=True)
    assert at_counter.get("/audit").status_code == 200
    assert "Audit log" in text(at_counter.get("/").get_data(as_text=True))
    _set(signed_in, roles["Cashier"], Permission.PAGE_AUDIT, Effect.BLOCKED, htmx=True)
    assert at_counter.get("/audit").status_code == 403


@pytest.mark.parametrize("htmx", [True, False], ids=["htmx", "page"])
def test_page_permission_refuses_needs_approval(signed_in, roles, htmx):
    response = _set(signed_in, roles["Cashier"], Permission.PAGE_AUDIT, Effect.NEEDS_APPROVAL, htmx=htmx)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    cell = element(html, _cell_id(roles["Cashier"], Permission.PAGE_AUDIT))
    assert "Page access is either allowed or blocked." in text(cell)
    assert text(html).count("Page access is either allowed or blocked.") == 1
    assert _role(roles["Cashier"]).effect(Permission.PAGE_AUDIT) is Effect.BLOCKED


@pytest.mark.parametrize("htmx", [True, False], ids=["htmx", "page"])
def test_owner_role_cannot_be_edited(signed_in, roles, htmx):
    response = _set(signed_in, roles["Owner"], Permission.REFUND, Effect.BLOCKED, htmx=htmx)
    assert response.status_code == 422
    owner_role = _role(roles["Owner"])
    assert owner_role.grants == [] and owner_role.effect(Permission.REFUND) is Effect.ALLOWED


def test_unknown_effect_or_permission_is_refused(signed_in, roles):
    response = signed_in.post(f"/roles/{roles['Cashier'].id}/grants", {"permission": "action.refund", "effect": "yes"})
    assert response.status_code == 422
    response = signed_in.post(f"/roles/{roles['Cashier'].id}/grants", {"permission": "action.fly", "effect": "allowed"})
    assert response.status_code == 422
    assert _role(roles["Cashier"]).effect(Permission.REFUND) is Effect.NEEDS_APPROVAL


def test_manager_sees_the_matrix_read_only_and_cannot_change_it(browser, manager, roles):
    browser.sign_in(manager)
    page = browser.get("/roles").get_data(as_text=True)
    assert element(page, _cell_id(roles["Cashier"], Permission.REFUND)).startswith("<span")
    assert element(page, "role-new") is None
    assert _set(browser, roles["Cashier"], Permission.REFUND, Effect.ALLOWED).status_code == 403
    assert _role(roles["Cashier"]).effect(Permission.REFUND) is Effect.NEEDS_APPROVAL


# Custom roles


def _role_named(merchant, name: str) -> Role | None:
    db.session.expire_all()
    return db.session.scalar(select(Role).where(Role.merchant_id == merchant.id, Role.name == name))


def test_new_role_copies_the_grants_of_the_role_it_starts_from(signed_in, merchant, roles):
    response = signed_in.post("/roles", {"name": "Senior cashier", "copy_from": roles["Cashier"].id})
    assert response.status_code == 303
    senior = _role_named(merchant, "Senior cashier")
    assert all(senior.effect(p) is roles["Cashier"].effect(p) for p in Permission)
    assert not senior.is_default


def test_new_role_from_nothing_has_every_permission_blocked(signed_in, merchant):
    signed_in.post("/roles", {"name": "Trainee", "copy_from": "0"})
    assert all(_role_named(merchant, "Trainee").effect(p) is Effect.BLOCKED for p in Permission)


@pytest.mark.parametrize("htmx", [False, True], ids=["page", "htmx"])
def test_role_with_a_name_already_used_is_refused_beside_the_name(signed_in, merchant, htmx):
    response = signed_in.post("/roles", {"name": "cashier", "copy_from": "0"}, htmx=htmx)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "A role with this name already exists." in field_text(html, "name")
    assert is_fragment(html) is htmx


def test_unused_custom_role_can_be_removed(signed_in, merchant):
    trainee = Role(merchant=merchant, name="Trainee")
    db.session.add(trainee)
    db.session.flush()
    assert signed_in.post(f"/roles/{trainee.id}/delete").headers["Location"] == "/roles"
    assert _role_named(merchant, "Trainee") is None


def test_role_still_held_by_a_member_is_not_removed(signed_in, merchant):
    trainee = Role(merchant=merchant, name="Trainee")
    db.session.add(trainee)
    factories.UserFactory(merchant=merchant, role=trainee)
    db.session.flush()
    signed_in.post(f"/roles/{trainee.id}/delete")
    assert _role_named(merchant, "Trainee") is not None
    page = signed_in.get("/roles").get_data(as_text=True)
    assert "1 member(s) still have this role." in text_of(page, "flashes")


def test_default_role_is_not_removed(signed_in, merchant, roles):
    signed_in.post(f"/roles/{roles['Inventory'].id}/delete")
    assert _role_named(merchant, "Inventory") is not None
