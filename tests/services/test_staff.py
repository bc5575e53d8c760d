"""Staff services: invitations, who may hand out which role, PIN and password rules, deactivation."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from ismartsync.errors import DomainError
from ismartsync.extensions import db
from ismartsync.models import OutgoingEmail
from ismartsync.passwords import verify_password
from ismartsync.permissions import Effect, Permission
from ismartsync.services import staff
from ismartsync.services.audit import Actor
from ismartsync.services.roles import create_role, set_grant
from tests import factories

URL = "http://localhost/invite/{token}"


def _invite(actor_user, role, email: str = "zara@example.pk", **extra):
    extra.setdefault("branches", [])
    return staff.invite_member(
        db.session, Actor(actor_user), email=email, full_name=" Zara Malik ", role=role, accept_url=URL, **extra
    )


def test_invite_creates_a_member_without_password_and_queues_the_link(owner, roles, branch):
    zara = _invite(owner, roles["Cashier"], email=" Zara@Example.PK ", branches=[branch])
    assert (zara.email, zara.full_name, zara.password_hash) == ("zara@example.pk", "Zara Malik", None)
    [email] = db.session.scalars(select(OutgoingEmail).where(OutgoingEmail.to_address == "zara@example.pk"))
    assert "http://localhost/invite/" in email.body_text and "{token}" not in email.body_text


def test_invite_refuses_an_email_already_in_use_in_any_merchant(owner, roles, outsider):
    with pytest.raises(DomainError, match="already a member") as refused:
        _invite(owner, roles["Cashier"], email=outsider.email.upper())
    assert refused.value.field == "email"


def test_manager_cannot_invite_an_owner(manager, roles):
    with pytest.raises(DomainError, match="Only an owner can make someone an owner") as refused:
        _invite(manager, roles["Owner"], all_branches=True)
    assert refused.value.field == "role_id"


def test_owner_can_invite_another_owner(owner, roles):
    assert _invite(owner, roles["Owner"], all_branches=True).role.is_owner


def test_nobody_hands_out_powers_they_do_not_hold(owner, manager, roles):
    role_admin = create_role(db.session, Actor(owner), "Role admin")
    set_grant(db.session, Actor(owner), role_admin, Permission.MANAGE_ROLES, Effect.ALLOWED)
    with pytest.raises(DomainError, match=r"This role can do things you cannot \(Manage roles\)"):
        _invite(manager, role_admin, all_branches=True)
    assert _invite(manager, roles["Manager"], all_branches=True).role.name == "Manager"


@pytest.mark.parametrize("pin", ["1111", "0000", "1234", "2345", "123456", "9876", "4321", "0123"])
def test_easy_pins_are_refused(pin):
    with pytest.raises(DomainError, match="harder to guess") as refused:
        staff.validate_pin(pin)
    assert refused.value.field == "pin"


@pytest.mark.parametrize("pin", ["123", "1234567", "12a4", "", " 2580", "２５８０", "۲۵۸۰"])
def test_pins_that_are_not_4_to_6_plain_digits_are_refused(pin):
    """Urdu or full-width digits would never match what the counter keypad types."""
    with pytest.raises(DomainError, match="A PIN is 4 to 6 digits"):
        staff.validate_pin(pin)


@pytest.mark.parametrize("pin", ["2580", "1357", "4826", "902174"])
def test_ordinary_pins_are_accepted(pin):
    staff.validate_pin(pin)


def test_passwords_must_be_long_and_not_the_email():
    with pytest.raises(DomainError, match="at least 10 characters"):
        staff.validate_password("short", "a@b.pk")
    with pytest.raises(DomainError, match="cannot be your email"):
        staff.validate_password("Zara@Example.pk", "zara@example.pk")
    staff.validate_password("a-long-password", "zara@example.pk")


def test_new_password_ends_every_other_session(cashier):
    before = cashier.session_version
    staff.set_password(db.session, cashier, "a-brand-new-password")
    assert cashier.session_version == before + 1
    assert verify_password(cashier.password_hash, "a-brand-new-password")


def test_used_invitation_token_stops_working(app, owner, roles):
    zara = _invite(owner, roles["Cashier"], all_branches=True)
    token = staff.make_token(staff.INVITE, zara.id, zara.password_hash)
    assert staff.user_from_token(db.session, staff.INVITE, token, app.config["INVITE_TTL"]) is zara
    staff.accept_invite(db.session, zara, "zaras-own-password", None)
    with pytest.raises(DomainError, match="already been used"):
        staff.user_from_token(db.session, staff.INVITE, token, app.config["INVITE_TTL"])


def _access(role, **extra):
    return {"full_name": "Renamed", "role": role, "branches": [], "counters": [], "all_branches": True, **extra}


def test_manager_cannot_change_an_owners_role(manager, owner, roles):
    with pytest.raises(DomainError, match="Only an owner can change an owner's role"):
        staff.update_member(db.session, Actor(manager), owner, **_access(roles["Cashier"]))
    assert owner.role.is_owner


def test_owner_cannot_remove_their_own_owner_role(owner, roles):
    with pytest.raises(DomainError, match="your own Owner role"):
        staff.update_member(db.session, Actor(owner), owner, **_access(roles["Manager"]))


def test_member_update_keeps_only_counters_of_their_branches(owner, merchant, roles, branch, counter, cashier):
    elsewhere = factories.CounterFactory(branch=factories.BranchFactory(merchant=merchant, code="DHA"))
    access = _access(roles["Cashier"], branches=[branch], counters=[counter, elsewhere], all_branches=False)
    staff.update_member(db.session, Actor(owner), cashier, **access)
    assert cashier.counters == [counter]


def test_deactivation_signs_out_everywhere_and_is_refused_for_oneself(owner, manager):
    version = manager.session_version
    staff.deactivate_member(db.session, Actor(owner), manager)
    assert not manager.active and manager.deactivated_at is not None
    assert manager.session_version == version + 1
    with pytest.raises(DomainError, match="cannot deactivate yourself"):
        staff.deactivate_member(db.session, Actor(owner), owner)


def test_manager_cannot_deactivate_an_owner(manager, owner):
    with pytest.raises(DomainError, match="Only an owner can deactivate an owner"):
        staff.deactivate_member(db.session, Actor(manager), owner)
    assert owner.active
