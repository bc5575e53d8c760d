"""Merchants: sign-up, the business profile, branches and counters."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from ismartsync.errors import DomainError
from ismartsync.extensions import db
from ismartsync.models import AuditEntry
from ismartsync.services import merchants
from ismartsync.services.audit import Actor
from tests import factories


def test_sign_up_creates_merchant_roles_branch_counter_and_owner():
    owner = merchants.sign_up_owner(
        db.session,
        legal_name=" Chenab Traders ",
        brand_name="Chenab",
        owner_name="Ali Raza",
        email="Ali@Chenab.pk",
        password="a-long-password",
    )
    merchant = owner.merchant
    assert (merchant.legal_name, merchant.currency, merchant.time_zone) == ("Chenab Traders", "PKR", "Asia/Karachi")
    assert owner.email == "ali@chenab.pk" and owner.role.is_owner
    assert [(b.code, [c.name for c in b.counters]) for b in merchant.branches] == [("MAIN", ["Counter 1"])]
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.merchant_id == merchant.id))
    assert entry.action == "merchant.sign_up"


def test_sign_up_with_a_taken_email_is_refused(owner):
    with pytest.raises(DomainError, match="already exists") as refused:
        merchants.sign_up_owner(
            db.session, legal_name="X", brand_name="X", owner_name="X", email=owner.email, password="a-long-password"
        )
    assert refused.value.field == "email"


def test_tax_rate_above_100_percent_is_refused(owner, merchant):
    with pytest.raises(DomainError, match="between 0 and 100") as refused:
        merchants.update_merchant(db.session, Actor(owner), merchant, {"default_tax_rate_bp": 10001})
    assert refused.value.field == "default_tax_rate"


def test_branch_code_is_stored_in_capitals_and_unique_per_merchant(owner):
    branch = merchants.create_branch(db.session, Actor(owner), {"name": "DHA", "code": "dha-5"})
    assert branch.code == "DHA-5"
    with pytest.raises(DomainError, match="already uses this code"):
        merchants.create_branch(db.session, Actor(owner), {"name": "Other", "code": "Dha-5"})


def test_branch_fields_the_form_did_not_send_keep_their_value(owner, branch):
    branch.address = "42-B Main Boulevard"
    merchants.update_branch(db.session, Actor(owner), branch, {"name": "Gulberg Main", "code": "GUL", "address": None})
    assert (branch.name, branch.address) == ("Gulberg Main", "42-B Main Boulevard")


def test_counter_names_are_unique_within_a_branch_only(owner, merchant, branch, counter):
    other = factories.BranchFactory(merchant=merchant, code="DHA")
    assert merchants.create_counter(db.session, Actor(owner), other, {"name": "Counter 1"}).branch is other
    with pytest.raises(DomainError, match="already has a counter with that name") as refused:
        merchants.create_counter(db.session, Actor(owner), branch, {"name": " counter 1 "})
    assert refused.value.field == "name"


def test_renaming_a_counter_to_its_own_name_is_fine(owner, counter):
    merchants.update_counter(db.session, Actor(owner), counter, {"name": "COUNTER 1", "active": False})
    assert (counter.name, counter.active) == ("COUNTER 1", False)
