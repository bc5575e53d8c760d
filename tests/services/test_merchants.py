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


SELLING = {
    "prices_include_tax": True,
    "default_tax_rate_bp": 1800,
    "negative_stock_policy": "warn",
    "pos_fee_minor": 100,
    "cashier_discount_limit_bp": 1000,
    "buyer_name_threshold_minor": 100_000_00,
    "receipt_link_days": 180,
}


@pytest.mark.parametrize(
    "name, value, field, message",
    [
        ("default_tax_rate_bp", 10001, "default_tax_rate", "between 0 and 100 %"),
        ("default_tax_rate_bp", -1, "default_tax_rate", "between 0 and 100 %"),
        ("pos_fee_minor", -1, "pos_fee", "between Rs 0 \\(off\\) and Rs 10"),
        ("pos_fee_minor", 1001, "pos_fee", "between Rs 0 \\(off\\) and Rs 10"),
        ("cashier_discount_limit_bp", 10001, "cashier_discount_limit", "between 0 and 100 %"),
        ("buyer_name_threshold_minor", -1, "buyer_name_threshold", "from Rs 0"),
        ("negative_stock_policy", "sometimes", "negative_stock_policy", "warn or not to sell"),
        ("receipt_link_days", 0, "receipt_link_days", "Enter 1 to 3,650 days"),
        ("receipt_link_days", 3651, "receipt_link_days", "Enter 1 to 3,650 days"),
    ],
)
def test_selling_settings_out_of_range_are_refused_beside_their_field(owner, merchant, name, value, field, message):
    with pytest.raises(DomainError, match=message) as refused:
        merchants.update_selling_settings(db.session, Actor(owner), merchant, **{**SELLING, name: value})
    assert refused.value.field == field
    assert (merchant.default_tax_rate_bp, merchant.pos_fee_minor) == (1800, 100)


def test_selling_settings_are_audited_with_what_changed(owner, merchant):
    values = {**SELLING, "pos_fee_minor": 0, "cashier_discount_limit_bp": 500}
    merchants.update_selling_settings(db.session, Actor(owner), merchant, **values)
    assert (merchant.pos_fee_minor, merchant.cashier_discount_limit_bp) == (0, 500)
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "settings.selling"))
    assert entry.actor_id == owner.id and entry.target_id == merchant.id
    assert entry.before == {"cashier_discount_limit_bp": 1000, "pos_fee_minor": 100}
    assert entry.after == {"cashier_discount_limit_bp": 500, "pos_fee_minor": 0}


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


def test_the_ntn_stays_while_sales_are_reported_to_fbr_under_it(owner, merchant):
    factories.enable_fbr(merchant)

    with pytest.raises(DomainError) as refused:
        merchants.update_merchant(db.session, Actor(owner), merchant, {"ntn": "  ", "brand_name": "Zari"})

    assert refused.value.field == "ntn" and merchant.ntn == "1234567-8"
    merchant.fiscal_backend = "off"
    merchants.update_merchant(db.session, Actor(owner), merchant, {"ntn": ""})
    assert merchant.ntn == ""
