"""The drawer's cash: cash logs, handing the drawer over, counting a shift closed, shift limits, the drawer limit."""

from __future__ import annotations

import uuid
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from ismartsync.errors import DomainError
from ismartsync.extensions import db
from ismartsync.models import AuditEntry, CashDirection, CashLog, CashReason, Tender
from ismartsync.models.base import utcnow
from ismartsync.services.audit import Actor
from ismartsync.services.cash import (
    Count,
    NeedsApproval,
    ShiftClosed,
    add_cash_sale,
    check_count,
    close_shift,
    drawer_over_limit,
    record_cash_log,
)
from ismartsync.services.checkout import Payment
from ismartsync.services.day_close import close_day
from ismartsync.services.registers import (
    close_register,
    current_shift,
    extend_shift,
    open_shift,
    selling_shift,
    start_register,
)
from tests import factories
from tests.selling import close_till, open_till, sell, stock_items


@pytest.fixture
def items(merchant, branch):
    return stock_items(merchant, branch)


@pytest.fixture
def till(manager, cashier, counter):
    return open_till(manager, cashier, counter)  # Rs 5,000 float


def _log(actor, direction, reason, amount, note="", key=None):
    shift = current_shift(db.session, actor.user)
    return record_cash_log(
        db.session,
        actor,
        shift,
        uuid=key or str(uuid.uuid4()),
        direction=direction,
        reason=reason,
        amount_minor=amount,
        note=note,
    )


def test_cash_logs_change_expected_at_once_and_are_audited(till, counter):
    shift = current_shift(db.session, till.user)
    _log(till, CashDirection.IN, CashReason.FLOAT_TOP_UP, 100_000)
    assert shift.expected_cash_minor == 600_000
    _log(till, CashDirection.OUT, CashReason.VENDOR_PAYMENT, 25_000, note="Tea and biscuits supplier")
    assert shift.expected_cash_minor == 575_000
    entries = db.session.scalars(sa.select(AuditEntry.action).where(AuditEntry.action.like("cash.%"))).all()
    assert sorted(entries) == ["cash.in", "cash.out"]
    log = db.session.scalars(sa.select(CashLog).where(CashLog.direction == "out")).one()
    assert (log.branch_id, log.counter_id, log.shift_id, log.user_id) == (
        counter.branch_id,
        counter.id,
        shift.id,
        till.user.id,
    )


def test_a_repeated_cash_log_is_recorded_once(till):
    key = str(uuid.uuid4())
    first = _log(till, CashDirection.OUT, CashReason.SAFE_DROP, 200_000, key=key)
    again = _log(till, CashDirection.OUT, CashReason.SAFE_DROP, 200_000, key=key)
    assert first.id == again.id
    assert current_shift(db.session, till.user).expected_cash_minor == 300_000


@pytest.mark.parametrize(
    ("direction", "reason", "amount", "note", "field"),
    [
        (CashDirection.OUT, CashReason.FLOAT_TOP_UP, 1000, "", "reason"),
        (CashDirection.IN, CashReason.SAFE_DROP, 1000, "", "reason"),
        (CashDirection.OUT, CashReason.SAFE_DROP, 0, "", "amount"),
        (CashDirection.OUT, CashReason.SAFE_DROP, 500_001, "", "amount"),  # more than the drawer holds
        (CashDirection.OUT, CashReason.PETTY_CASH, 1000, "  ", "note"),
    ],
)
def test_a_cash_log_that_breaks_a_rule_is_refused_beside_its_field(till, direction, reason, amount, note, field):
    with pytest.raises(DomainError) as refused:
        _log(till, direction, reason, amount, note)
    assert refused.value.field == field
    assert current_shift(db.session, till.user).expected_cash_minor == 500_000


def test_the_next_shift_is_handed_the_drawer_as_the_last_one_counted_it(till, manager, counter, roles, branch):
    close_shift(db.session, till, current_shift(db.session, till.user), Count(487_500), note="Rs 125 short, recounted")
    omar = factories.UserFactory(merchant=counter.merchant, role=roles["Cashier"], branches=[branch])
    shift = open_shift(db.session, Actor(omar), counter)
    assert shift.opening_float_minor == 487_500


def test_one_shift_has_the_drawer_at_a_time(till, counter, roles, branch):
    omar = factories.UserFactory(merchant=counter.merchant, role=roles["Cashier"], branches=[branch], full_name="Omar")
    with pytest.raises(DomainError, match="Sana Iqbal's shift is open"):
        open_shift(db.session, Actor(omar), counter)


def test_closing_fixes_expected_and_counted_and_a_second_close_changes_nothing(till, counter, items):
    sell(till, counter, items[0], payments=[Payment(Tender.CASH, 300_000)])  # Rs 2,990 paid with 3,000: Rs 10 change
    shift = current_shift(db.session, till.user)
    assert shift.expected_cash_minor == 500_000 + 299_000

    closed = close_shift(db.session, till, shift, Count.of_pieces({5000: 1, 1000: 2, 500: 1, 100: 4, 50: 1, 20: 2}))

    assert (closed.status, closed.expected_minor, closed.counted_minor, closed.over_short_minor) == (
        "closed",
        799_000,
        799_000,
        0,
    )
    assert closed.denominations == {"5000": 1, "1000": 2, "500": 1, "100": 4, "50": 1, "20": 2}
    again = close_shift(db.session, till, closed, Count(1))
    assert (again.id, again.counted_minor) == (closed.id, 799_000)


def test_a_count_beyond_the_tolerance_needs_a_reason_and_records_its_approver(till, manager, counter):
    shift = current_shift(db.session, till.user)
    merchant = counter.merchant
    check_count(merchant, shift, Count(500_000 - 50_000), "")  # Rs 500 short: within the Rs 500 tolerance
    with pytest.raises(DomainError, match="Rs 501 short, beyond the Rs 500 tolerance") as refused:
        check_count(merchant, shift, Count(500_000 - 50_100), "")
    assert refused.value.field == "note"
    approved = Actor(till.user, counter_id=counter.id, approver=manager)
    closed = close_shift(db.session, approved, shift, Count(449_900), note="Rs 501 paid to the courier, no slip")
    assert (closed.over_short_minor, closed.approved_by_id, closed.close_note) == (
        -50_100,
        manager.id,
        "Rs 501 paid to the courier, no slip",
    )


def test_a_blind_close_beyond_the_tolerance_does_not_say_by_how_much(till, counter):
    counter.merchant.blind_close = True
    with pytest.raises(DomainError) as refused:
        check_count(counter.merchant, current_shift(db.session, till.user), Count(0), "")
    assert "off by more than the Rs 500 tolerance" in refused.value.message
    assert "5,000" not in refused.value.message


@pytest.mark.parametrize("pieces", [{75: 1}, {3: 1}, {100: -1}])
def test_a_count_of_notes_that_do_not_exist_is_refused(pieces):
    with pytest.raises(DomainError):
        Count.of_pieces(pieces)


def test_a_sale_or_cash_log_that_reaches_a_shift_after_its_close_is_refused(till, counter, items):
    """Checkout looked at the shift (`selling_shift`) before another tablet closed it: its cash is refused."""
    shift = current_shift(db.session, till.user)
    close_till(till)
    with pytest.raises(ShiftClosed):
        add_cash_sale(db.session, shift, 150_000)
    with pytest.raises(ShiftClosed):
        record_cash_log(
            db.session,
            till,
            shift,
            uuid=str(uuid.uuid4()),
            direction=CashDirection.IN,
            reason=CashReason.FLOAT_TOP_UP,
            amount_minor=100,
        )
    db.session.refresh(shift)
    assert (shift.cash_sales_minor, shift.cash_in_minor) == (0, 0)


def test_a_close_beyond_the_tolerance_without_an_approver_is_refused_by_the_service(till, counter):
    """The view asks for the supervisor first; the service holds the line for any other caller (or a late sale)."""
    shift = current_shift(db.session, till.user)
    with pytest.raises(NeedsApproval):
        close_shift(db.session, till, shift, Count(100_000), note="Counted in a hurry")
    assert shift.is_open


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


def test_the_counter_asks_for_a_safe_drop_once_the_drawer_passes_its_limit(till, counter, items):
    merchant = counter.merchant
    shift = current_shift(db.session, till.user)
    assert drawer_over_limit(merchant, shift) == 0  # no limit set
    merchant.drawer_limit_minor = 700_000
    sell(till, counter, items[1])  # Rs 1,500: Rs 6,500 in the drawer
    assert drawer_over_limit(merchant, shift) == 0
    sell(till, counter, items[0])  # Rs 2,990: Rs 9,490
    assert drawer_over_limit(merchant, shift) == 449_000  # back down to the Rs 5,000 float
    _log(till, CashDirection.OUT, CashReason.SAFE_DROP, 449_000)
    assert drawer_over_limit(merchant, shift) == 0
