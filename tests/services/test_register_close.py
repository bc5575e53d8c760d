"""Closing a register (every shift closed first) and a branch's day (every register closed first), once each."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from ismartsync.errors import DomainError
from ismartsync.extensions import db
from ismartsync.models import AuditEntry, DayClose, Register
from ismartsync.services.audit import Actor
from ismartsync.services.cash import Count, close_shift
from ismartsync.services.day_close import close_day
from ismartsync.services.registers import close_register, current_shift, start_register
from tests import factories
from tests.selling import open_till, sell, stock_items


def audits(action: str) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry).where(AuditEntry.action == action))


def local_day(register: Register):
    return register.opened_at.astimezone(ZoneInfo("Asia/Karachi")).date()


@pytest.fixture
def sold(merchant, branch, counter, manager, cashier):
    """Counter 1's register (Rs 5,000 float) with Sana's shift open after a Rs 2,990 cash sale."""
    actor = open_till(manager, cashier, counter)
    sell(actor, counter, stock_items(merchant, branch)[0])
    db.session.commit()
    return actor


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


def test_the_day_is_not_closed_with_a_register_open_or_without_any(sold, manager, branch, counter):
    register = current_shift(db.session, sold.user).register
    day = local_day(register)

    with pytest.raises(DomainError, match="The register on Counter 1 is still open, and Sana Iqbal's shift in it"):
        close_day(db.session, Actor(manager), branch, day)
    empty = factories.BranchFactory(merchant=branch.merchant, name="Model Town", code="MDT")
    with pytest.raises(DomainError, match="No register was started at Model Town"):
        close_day(db.session, Actor(manager), empty, day)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(DayClose)) == 0


def test_the_day_close_sums_its_registers_once(sold, manager, branch):
    shift = current_shift(db.session, sold.user)
    close_shift(db.session, sold, shift, Count(7_990_00))
    close_register(db.session, Actor(manager), shift.register)
    counter2 = factories.CounterFactory(branch=branch, name="Counter 2")
    second = start_register(db.session, Actor(manager), counter2, 2_000_00)
    close_register(db.session, Actor(manager), second)  # no shift: the float is what it holds
    db.session.commit()
    day = local_day(shift.register)

    closed = close_day(db.session, Actor(manager), branch, day, "All counted")
    db.session.commit()
    again = close_day(db.session, Actor(manager), branch, day)

    assert (closed.expected_minor, closed.counted_minor, closed.over_short_minor) == (9_990_00, 9_990_00, 0)
    assert closed.note == "All counted"
    assert again.id == closed.id
    assert audits("day.close") == 1
