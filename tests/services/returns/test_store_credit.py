"""Store credit: a customer's balance kept as an append-only ledger, never taken below zero, only within the
merchant."""

from __future__ import annotations

import pytest

from ismartsync.errors import DomainError
from ismartsync.extensions import db
from ismartsync.models import Customer, StoreCreditEntry, StoreCreditKind
from ismartsync.services.returns.record import record_return
from ismartsync.services.returns.store_credit import (
    add_store_credit,
    ledger_balance,
    spend_store_credit,
    store_credit_entries,
)
from tests.selling import sell
from tests.services.returns.conftest import request_for


def customer_of(merchant, name: str = "Hina") -> Customer:
    customer = Customer(merchant_id=merchant.id, first_name=name, phone="+923001234567")
    db.session.add(customer)
    db.session.flush()
    return customer


@pytest.fixture
def hina(merchant):
    return customer_of(merchant)


@pytest.fixture
def returned(till, approved, counter, items):
    """A return and a sale for the ledger's entries to point at."""
    sale = sell(till, counter, items[2])
    return record_return(db.session, approved, counter, request_for(sale, (0, 1))).sale_return


def test_credit_added_and_spent_is_a_ledger_whose_sum_is_the_balance(approved, hina, returned):
    added = add_store_credit(db.session, approved, hina.id, 150_000, sale_return_id=returned.id)
    spent = spend_store_credit(db.session, approved, hina.id, 99_900, sale_id=returned.sale_id)

    assert hina.store_credit_minor == 50_100 == ledger_balance(db.session, hina.id)
    assert [(e.kind, e.delta_minor, e.balance_after_minor) for e in store_credit_entries(db.session, hina)] == [
        (StoreCreditKind.SPENT, -99_900, 50_100),
        (StoreCreditKind.RETURN, 150_000, 150_000),
    ]
    assert (added.sale_return_id, spent.sale_id, spent.actor_id) == (returned.id, returned.sale_id, approved.user.id)


def test_spending_more_than_the_balance_is_refused_and_writes_nothing(approved, hina, returned):
    add_store_credit(db.session, approved, hina.id, 50_100, sale_return_id=returned.id)

    with pytest.raises(DomainError, match="The customer has Rs 501 of store credit") as refused:
        spend_store_credit(db.session, approved, hina.id, 99_900, sale_id=returned.sale_id)

    assert refused.value.field == "payments"
    assert hina.store_credit_minor == 50_100 == ledger_balance(db.session, hina.id)
    assert len(store_credit_entries(db.session, hina)) == 1


def test_another_merchants_customer_is_neither_credited_nor_charged(approved, other_merchant, returned):
    theirs = customer_of(other_merchant, "Other")
    with pytest.raises(DomainError):
        add_store_credit(db.session, approved, theirs.id, 10_000, sale_return_id=returned.id)
    db.session.refresh(theirs)
    assert theirs.store_credit_minor == 0 and ledger_balance(db.session, theirs.id) == 0


@pytest.mark.parametrize("amount", [0, -100])
def test_credit_is_added_and_spent_in_amounts_above_zero(approved, hina, returned, amount):
    with pytest.raises(ValueError, match="above zero"):
        add_store_credit(db.session, approved, hina.id, amount, sale_return_id=returned.id)
    with pytest.raises(ValueError, match="above zero"):
        spend_store_credit(db.session, approved, hina.id, amount, sale_id=returned.sale_id)
    assert db.session.query(StoreCreditEntry).filter_by(customer_id=hina.id).count() == 0
