"""Roles: the defaults every merchant starts with, custom roles, and setting one grant."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from ismartsync.errors import DomainError
from ismartsync.extensions import db
from ismartsync.models import AuditEntry, Role, RoleGrant
from ismartsync.permissions import DEFAULT_ROLES, Effect, Permission
from ismartsync.services.audit import Actor
from ismartsync.services.roles import create_role, delete_role, set_grant
from tests import factories


def _audit_count(merchant, action: str) -> int:
    query = select(func.count()).where(AuditEntry.merchant_id == merchant.id, AuditEntry.action == action)
    return db.session.scalar(query)


def test_new_merchant_starts_with_the_default_roles(roles):
    assert set(roles) == {"Owner", "Manager", "Cashier", "Inventory", "Accountant"}
    assert roles["Owner"].is_owner and all(r.is_default for r in roles.values())
    for name, grants in DEFAULT_ROLES.items():
        assert {p: roles[name].effect(p) for p in grants} == grants
    assert roles["Manager"].effect(Permission.MANAGE_ROLES) is Effect.BLOCKED
    assert roles["Manager"].effect(Permission.REOPEN_DAY) is Effect.BLOCKED  # an owner's call unless granted
    assert roles["Owner"].effect(Permission.REOPEN_DAY) is Effect.ALLOWED
    assert roles["Cashier"].effect(Permission.REFUND) is Effect.NEEDS_APPROVAL


def test_set_grant_allows_an_action(owner, roles):
    set_grant(db.session, Actor(owner), roles["Cashier"], Permission.REFUND, Effect.ALLOWED)
    assert roles["Cashier"].effect(Permission.REFUND) is Effect.ALLOWED
    assert _audit_count(owner.merchant, "role.permission") == 1


def test_blocking_removes_the_grant_row(owner, roles):
    cashier = roles["Cashier"]
    set_grant(db.session, Actor(owner), cashier, Permission.VOID, Effect.BLOCKED)
    rows = db.session.scalars(select(RoleGrant.permission).where(RoleGrant.role_id == cashier.id)).all()
    assert "action.void" not in rows
    assert cashier.effect(Permission.VOID) is Effect.BLOCKED


def test_setting_the_same_effect_again_changes_and_logs_nothing(owner, roles):
    set_grant(db.session, Actor(owner), roles["Cashier"], Permission.REFUND, Effect.NEEDS_APPROVAL)
    assert _audit_count(owner.merchant, "role.permission") == 0


def test_page_access_cannot_need_approval(owner, roles):
    with pytest.raises(DomainError, match="either allowed or blocked") as refused:
        set_grant(db.session, Actor(owner), roles["Cashier"], Permission.PAGE_AUDIT, Effect.NEEDS_APPROVAL)
    assert refused.value.field == "effect"


def test_owner_role_cannot_be_changed(owner, roles):
    with pytest.raises(DomainError, match="always holds every permission"):
        set_grant(db.session, Actor(owner), roles["Owner"], Permission.REFUND, Effect.BLOCKED)


def test_custom_role_copies_another_roles_grants(owner, roles):
    senior = create_role(db.session, Actor(owner), "Senior cashier", copy_from=roles["Cashier"])
    assert all(senior.effect(p) is roles["Cashier"].effect(p) for p in Permission)
    set_grant(db.session, Actor(owner), senior, Permission.REFUND, Effect.ALLOWED)
    assert roles["Cashier"].effect(Permission.REFUND) is Effect.NEEDS_APPROVAL  # the source is untouched


def test_custom_role_never_copies_the_owners_powers(owner, roles):
    copy = create_role(db.session, Actor(owner), "Almost owner", copy_from=roles["Owner"])
    assert all(copy.effect(p) is Effect.BLOCKED for p in Permission)


def test_role_name_must_be_unique_whatever_the_case(owner):
    with pytest.raises(DomainError, match="already exists") as refused:
        create_role(db.session, Actor(owner), "  MANAGER ")
    assert refused.value.field == "name"


def test_delete_role_refuses_while_members_hold_it(owner, merchant):
    trainee = create_role(db.session, Actor(owner), "Trainee")
    factories.UserFactory(merchant=merchant, role=trainee)
    factories.UserFactory(merchant=merchant, role=trainee, active=False)
    with pytest.raises(DomainError, match="2 member"):
        delete_role(db.session, Actor(owner), trainee)


def test_delete_role_refuses_default_roles(owner, roles):
    for role in roles.values():
        with pytest.raises(DomainError, match="Default roles cannot be removed"):
            delete_role(db.session, Actor(owner), role)


def test_delete_role_removes_an_unused_custom_role_and_logs_it(owner):
    trainee = create_role(db.session, Actor(owner), "Trainee")
    delete_role(db.session, Actor(owner), trainee)
    assert db.session.scalar(select(Role).where(Role.merchant_id == owner.merchant_id, Role.name == "Trainee")) is None
    assert _audit_count(owner.merchant, "role.delete") == 1
