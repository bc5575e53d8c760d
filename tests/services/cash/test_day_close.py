"""The day close: what it would fix and what stops it, closing once, and reopening today's close with a reason so
registers start again, with the day's figures still adding up to every register of the day."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from ismartsync.errors import DomainError
from ismartsync.extensions import db
from ismartsync.models import AuditEntry, DayClose, Register
from ismartsync.services.audit import Actor
from ismartsync.services.cash.day_close import (
    branch_today,
    check_day_close,
    close_day,
    day_close_of,
    day_history,
    registers_of_day,
    reopen_day,
)
from ismartsync.services.cash.drawer import Count, close_shift
from ismartsync.services.cash.drawer_reports import combined_figures
from ismartsync.services.cash.registers import close_register, current_shift, start_register
from tests import factories
from tests.selling import open_till, sell, stock_items


def audits(action: str) -> list[AuditEntry]:
    return list(db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == action)))


@pytest.fixture
def closed_day(sold, manager, branch):
    """Sana counted Rs 7,980 (Rs 10 short), the register and the day closed: today at Gulberg is over."""
    shift = current_shift(db.session, sold.user)
    close_shift(db.session, sold, shift, Count(7_980_00))
    close_register(db.session, Actor(manager), shift.register)
    closed = close_day(db.session, Actor(manager), branch, branch_today(branch), "Counted by Bilal")
    db.session.commit()
    return closed


def test_the_check_names_what_the_close_covers_and_what_stops_it(sold, manager, branch, counter):
    counter2 = factories.CounterFactory(branch=branch, name="Counter 2")
    start_register(db.session, Actor(manager), counter2, 1_000_00)
    db.session.flush()

    check = check_day_close(db.session, branch, branch_today(branch))

    assert [r.counter.name for r in check.registers] == ["Counter 1", "Counter 2"]
    assert check.blockers == [
        "The register on Counter 1 is still open, and Sana Iqbal's shift in it: count and close the shift, "
        "then the register.",
        "The register on Counter 2 is still open: close it first.",
    ]
    assert check.closed is None


def test_the_check_of_a_day_ready_to_close_adds_up_its_registers(sold, manager, branch):
    shift = current_shift(db.session, sold.user)
    close_shift(db.session, sold, shift, Count(7_980_00))
    close_register(db.session, Actor(manager), shift.register)

    check = check_day_close(db.session, branch, branch_today(branch))

    assert check.blockers == []
    assert (check.expected_minor, check.counted_minor, check.over_short_minor) == (7_990_00, 7_980_00, -10_00)


def test_reopening_today_lets_registers_start_again_and_is_audited_with_the_reason(closed_day, owner, branch, counter):
    with pytest.raises(DomainError, match="The day at Gulberg is closed"):
        start_register(db.session, Actor(owner), counter, 5_000_00)

    reopened = reopen_day(db.session, Actor(owner), branch, branch_today(branch), "  A late delivery to sell  ")
    db.session.commit()

    assert reopened.id == closed_day.id and reopened.is_reopened
    assert (reopened.reopened_by_id, reopened.reopen_reason) == (owner.id, "A late delivery to sell")
    assert day_close_of(db.session, branch.id, branch_today(branch)) is None
    assert start_register(db.session, Actor(owner), counter, 5_000_00).is_open
    (entry,) = audits("day.reopen")
    assert entry.actor_id == owner.id and entry.branch_id == branch.id and "A late delivery to sell" in entry.summary
    assert entry.after["reason"] == "A late delivery to sell"
    assert (entry.before["expected_minor"], entry.before["counted_minor"]) == (7_990_00, 7_980_00)


def test_a_reopen_needs_a_reason(closed_day, owner, branch):
    with pytest.raises(DomainError, match="Say why the day is reopened") as refused:
        reopen_day(db.session, Actor(owner), branch, branch_today(branch), "   ")
    assert refused.value.field == "reason"
    assert day_close_of(db.session, branch.id, branch_today(branch)) is not None


def test_a_second_reopen_changes_nothing_and_an_open_day_cannot_be_reopened(closed_day, owner, branch, sold):
    today = branch_today(branch)
    first = reopen_day(db.session, Actor(owner), branch, today, "Late delivery")
    reopened_at = first.reopened_at
    again = reopen_day(db.session, Actor(owner), branch, today, "Pressed twice")

    assert again.id == first.id and again.reopened_at == reopened_at and again.reopen_reason == "Late delivery"
    assert len(audits("day.reopen")) == 1
    with pytest.raises(DomainError, match="is not closed"):
        reopen_day(db.session, Actor(owner), branch, today - timedelta(days=3), "Nothing to reopen")


def test_only_todays_close_is_reopened(sold, manager, owner, branch):
    """Registers only start on today's date: reopening yesterday would open nothing."""
    shift = current_shift(db.session, sold.user)
    close_shift(db.session, sold, shift, Count(7_990_00))
    register = close_register(db.session, Actor(manager), shift.register)
    register.opened_at -= timedelta(days=1)  # it was yesterday's register
    yesterday = branch_today(branch) - timedelta(days=1)
    close_day(db.session, Actor(manager), branch, yesterday)

    with pytest.raises(DomainError, match="Only today's close can be reopened"):
        reopen_day(db.session, Actor(owner), branch, yesterday, "Typo in the note")
    assert day_close_of(db.session, branch.id, yesterday) is not None


def test_closing_again_after_a_reopen_covers_every_register_of_the_day_and_keeps_the_history(
    closed_day, owner, manager, branch, counter, merchant
):
    today = branch_today(branch)
    reopen_day(db.session, Actor(owner), branch, today, "A late delivery to sell")
    late = open_till(manager, factories.UserFactory(merchant=merchant, role=owner.role, all_branches=True), counter)
    sell(late, counter, stock_items(merchant, branch)[1])  # Rs 1,500 cash
    shift = current_shift(db.session, late.user)
    close_shift(db.session, late, shift, Count(shift.expected_cash_minor))  # Rs 6,500, exact
    close_register(db.session, Actor(manager), shift.register)

    again = close_day(db.session, Actor(manager), branch, today, "Closed after the delivery")
    db.session.commit()

    history = day_history(db.session, branch.id, today)
    assert [c.id for c in history] == [closed_day.id, again.id]
    assert history[0].is_reopened and (history[0].expected_minor, history[0].counted_minor) == (7_990_00, 7_980_00)
    assert not again.is_reopened and day_close_of(db.session, branch.id, today).id == again.id
    assert (again.expected_minor, again.counted_minor, again.over_short_minor) == (14_490_00, 14_480_00, -10_00)
    day = combined_figures(db.session, registers_of_day(db.session, branch, today))  # what the day report prints
    assert (day.expected_minor, day.counted_minor) == (again.expected_minor, again.counted_minor)
    assert len(audits("day.close")) == 2


def test_the_database_keeps_one_standing_close_per_branch_and_day(closed_day, manager, branch):
    duplicate = DayClose(
        merchant_id=branch.merchant_id,
        branch_id=branch.id,
        business_date=closed_day.business_date,
        closed_by_id=manager.id,
    )
    with pytest.raises(IntegrityError), db.session.begin_nested():
        db.session.add(duplicate)
        db.session.flush()


def local_day(register: Register):
    return register.opened_at.astimezone(ZoneInfo("Asia/Karachi")).date()


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
    assert len(audits("day.close")) == 1
