"""Registers and shifts, the part selling needs: one open register per counter, one open shift per cashier."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from ismartsync.errors import DomainError
from ismartsync.extensions import db
from ismartsync.models import AuditEntry, Register, RegisterStatus, Shift
from ismartsync.services.audit import Actor
from ismartsync.services.registers import current_shift, open_shift, selling_shift, start_register
from tests import factories


def test_a_register_starts_with_its_float_and_is_audited(manager, counter):
    register = start_register(db.session, Actor(manager), counter, 500_000)
    db.session.commit()

    assert (register.status, register.opening_float_minor, register.branch_id) == ("open", 500_000, counter.branch_id)
    entry = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "register.start")).one()
    assert entry.branch_id == counter.branch_id


def test_only_one_register_is_open_per_counter(manager, counter):
    start_register(db.session, Actor(manager), counter, 0)
    with pytest.raises(DomainError, match="already has an open register"):
        start_register(db.session, Actor(manager), counter, 0)


def test_the_database_refuses_a_second_open_register_a_racing_tablet_would_make(manager, counter):
    start_register(db.session, Actor(manager), counter, 0)
    db.session.commit()
    with pytest.raises(sa.exc.IntegrityError), db.session.begin_nested():
        db.session.add(
            Register(
                merchant_id=counter.merchant_id,
                counter_id=counter.id,
                branch_id=counter.branch_id,
                opened_by_id=manager.id,
            )
        )
        db.session.flush()


def test_a_closed_register_lets_the_counter_start_a_new_one(manager, counter):
    first = start_register(db.session, Actor(manager), counter, 0)
    first.status = RegisterStatus.CLOSED
    db.session.flush()
    assert start_register(db.session, Actor(manager), counter, 100).id != first.id


@pytest.mark.parametrize("amount", [-1, 10_000_000_01])
def test_an_opening_float_out_of_range_is_refused_beside_its_field(manager, counter, amount):
    with pytest.raises(DomainError) as refused:
        start_register(db.session, Actor(manager), counter, amount)
    assert refused.value.field == "opening_float"


def test_a_cashier_opens_a_shift_in_the_open_register_and_sells_in_it(manager, cashier, counter):
    with pytest.raises(DomainError, match="Start the register"):
        open_shift(db.session, Actor(cashier), counter)
    start_register(db.session, Actor(manager), counter, 0)
    with pytest.raises(DomainError, match="Open your shift"):
        selling_shift(db.session, cashier, counter)

    shift = open_shift(db.session, Actor(cashier), counter)

    assert open_shift(db.session, Actor(cashier), counter) is shift  # a second tap changes nothing
    assert selling_shift(db.session, cashier, counter) is shift
    assert current_shift(db.session, cashier) is shift


def test_a_cashier_has_one_open_shift_anywhere(manager, cashier, counter, branch):
    other = factories.CounterFactory(branch=branch, name="Counter 2")
    for till in (counter, other):
        start_register(db.session, Actor(manager), till, 0)
    open_shift(db.session, Actor(cashier), counter)

    with pytest.raises(DomainError, match="another counter"):
        open_shift(db.session, Actor(cashier), other)
    with pytest.raises(DomainError, match="Open your shift on this counter"):
        selling_shift(db.session, cashier, other)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Shift)) == 1
