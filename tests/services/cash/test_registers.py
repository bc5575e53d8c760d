"""Registers and shifts: one open register per counter and one open shift per cashier, handing the drawer over, shift
limits and their extension, closing a register (every shift closed first) once."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from ismartsync.errors import DomainError
from ismartsync.extensions import db
from ismartsync.models import AuditEntry, Register, RegisterStatus, Shift
from ismartsync.models.base import utcnow
from ismartsync.services.audit import Actor
from ismartsync.services.cash.day_close import close_day
from ismartsync.services.cash.drawer import Count, close_shift
from ismartsync.services.cash.registers import (
    close_register,
    current_shift,
    extend_shift,
    open_shift,
    selling_shift,
    start_register,
)
from tests import factories
from tests.selling import open_till


def audits(action: str) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry).where(AuditEntry.action == action))


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


def test_the_next_shift_is_handed_the_drawer_as_the_last_one_counted_it(till, manager, counter, roles, branch):
    close_shift(db.session, till, current_shift(db.session, till.user), Count(487_500), note="Rs 125 short, recounted")
    omar = factories.UserFactory(merchant=counter.merchant, role=roles["Cashier"], branches=[branch])
    shift = open_shift(db.session, Actor(omar), counter)
    assert shift.opening_float_minor == 487_500


def test_one_shift_has_the_drawer_at_a_time(till, counter, roles, branch):
    omar = factories.UserFactory(merchant=counter.merchant, role=roles["Cashier"], branches=[branch], full_name="Omar")
    with pytest.raises(DomainError, match="Sana Iqbal's shift is open"):
        open_shift(db.session, Actor(omar), counter)


def test_no_register_starts_on_a_day_the_branch_has_closed(manager, counter, branch):
    first = start_register(db.session, Actor(manager), counter, 0)
    close_register(db.session, Actor(manager), first)
    today = utcnow().astimezone(ZoneInfo("Asia/Karachi")).date()
    close_day(db.session, Actor(manager), branch, today)
    with pytest.raises(DomainError, match="The day at Gulberg is closed"):
        start_register(db.session, Actor(manager), counter, 0)


def test_a_shift_gets_the_owners_limit_and_grace_when_it_opens(manager, cashier, counter):
    counter.merchant.max_shift_minutes, counter.merchant.shift_grace_minutes = 480, 20
    actor = open_till(manager, cashier, counter)
    shift = current_shift(db.session, actor.user)
    assert shift.limit_at - shift.opened_at == timedelta(hours=8)
    assert shift.grace_until - shift.limit_at == timedelta(minutes=20)


def test_without_a_limit_a_shift_never_stops(manager, cashier, counter):
    counter.merchant.max_shift_minutes = 0
    shift = current_shift(db.session, open_till(manager, cashier, counter).user)
    assert (shift.limit_at, shift.grace_until) == (None, None)
    assert not shift.past_grace(utcnow() + timedelta(days=3))


def test_past_the_limit_selling_goes_on_and_past_the_grace_it_stops_until_a_manager_extends(till, manager, counter):
    shift = current_shift(db.session, till.user)
    shift.limit_at, shift.grace_until = utcnow() - timedelta(minutes=10), utcnow() + timedelta(minutes=20)
    assert shift.past_limit(utcnow()) and selling_shift(db.session, till.user, counter) is shift

    shift.grace_until = utcnow() - timedelta(seconds=1)
    with pytest.raises(DomainError, match="past its limit and grace"):
        selling_shift(db.session, till.user, counter)

    extend_shift(db.session, Actor(manager), shift, 60)
    assert selling_shift(db.session, till.user, counter) is shift
    assert shift.limit_at > utcnow() + timedelta(minutes=59)
    assert db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "shift.extend")).one()


def test_extending_twice_extends_once(till, manager):
    shift = current_shift(db.session, till.user)
    shift.limit_at, shift.grace_until = utcnow() - timedelta(minutes=40), utcnow() - timedelta(minutes=10)
    extend_shift(db.session, Actor(manager), shift, 60)
    limit = shift.limit_at
    extend_shift(db.session, Actor(manager), shift, 60)  # the same form sent again
    assert shift.limit_at == limit
    assert len(db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "shift.extend")).all()) == 1


def test_extending_after_the_owner_removed_the_limit_frees_the_shift(till, manager, counter):
    shift = current_shift(db.session, till.user)
    shift.limit_at, shift.grace_until = utcnow() - timedelta(minutes=40), utcnow() - timedelta(minutes=10)
    counter.merchant.max_shift_minutes = 0
    extend_shift(db.session, Actor(manager), shift, 60)
    assert (shift.limit_at, shift.grace_until) == (None, None)
    assert selling_shift(db.session, till.user, counter) is shift


@pytest.mark.parametrize("minutes", [0, 14, 12 * 60 + 1])
def test_an_extension_out_of_range_is_refused(till, manager, minutes):
    with pytest.raises(DomainError):
        extend_shift(db.session, Actor(manager), current_shift(db.session, till.user), minutes)


def test_a_register_is_not_closed_while_a_shift_holds_its_drawer(sold, manager):
    shift = current_shift(db.session, sold.user)

    with pytest.raises(DomainError, match="Sana Iqbal's shift is still open"):
        close_register(db.session, Actor(manager), shift.register)
    assert shift.register.is_open and shift.register.expected_minor is None


def test_closing_a_register_fixes_its_expected_and_counted_cash_once(sold, manager):
    shift = current_shift(db.session, sold.user)
    close_shift(db.session, sold, shift, Count(7_980_00))  # Rs 5,000 + Rs 2,990 expected, Rs 10 short
    db.session.commit()

    register = close_register(db.session, Actor(manager), shift.register)
    db.session.commit()
    closed_at = register.closed_at
    again = close_register(db.session, Actor(manager), register)

    assert (register.status, register.expected_minor, register.counted_minor) == ("closed", 7_990_00, 7_980_00)
    assert register.over_short_minor == -10_00
    assert again.id == register.id and again.closed_at == closed_at
    assert audits("register.close") == 1
