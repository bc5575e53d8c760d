"""Customers at the till: found by any spelling of their mobile or by words of their name, one per mobile number."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from ismartsync.extensions import db
from ismartsync.models import AuditEntry, Customer
from ismartsync.services.audit import Actor
from ismartsync.services.customers import add_customer, find_customers


@pytest.fixture
def ayesha(owner):
    customer, is_new = add_customer(db.session, Actor(owner), "Ayesha Khan Niazi", "+92 300 1234567")
    assert is_new
    return customer


def test_a_new_customer_is_kept_with_the_mobile_as_the_counter_prints_it_and_audited(ayesha):
    assert (ayesha.first_name, ayesha.last_name, ayesha.phone) == ("Ayesha", "Khan Niazi", "03001234567")
    entry = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "customer.create")).one()
    assert entry.summary == "Added customer Ayesha Khan Niazi"


@pytest.mark.parametrize("typed", ["0300-1234567", "0092 300 1234567", "923001234567", "300 1234567"])
def test_the_same_mobile_typed_another_way_is_the_customer_on_file(owner, ayesha, typed):
    again, is_new = add_customer(db.session, Actor(owner), "Someone Else", typed, cnic="35202-1234567-1")
    assert (again.id, is_new) == (ayesha.id, False)
    assert (again.full_name, again.cnic) == ("Ayesha Khan Niazi", "3520212345671")  # the name on file stays
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Customer)) == 1


def test_a_cnic_or_ntn_on_file_is_not_overwritten(owner, ayesha):
    ayesha.ntn = "1234567"
    again, _ = add_customer(db.session, Actor(owner), "Ayesha", "03001234567", ntn="7654321")
    assert again.ntn == "1234567"


@pytest.mark.parametrize("query", ["0300 123", "+92 300 1234567", "3001234", "khan", "AYESHA niazi"])
def test_a_customer_is_found_by_digits_of_the_mobile_or_every_word_of_the_name(owner, merchant, ayesha, query):
    add_customer(db.session, Actor(owner), "Bilal Raza", "0321 7654321")
    assert [c.full_name for c in find_customers(db.session, merchant.id, query)] == ["Ayesha Khan Niazi"]


def test_too_short_a_query_or_another_merchants_customer_finds_nobody(ayesha, other_merchant):
    assert find_customers(db.session, ayesha.merchant_id, "0") == []
    assert find_customers(db.session, other_merchant.id, "0300 1234567") == []
