"""The drawer's cash: cash logs, counting a shift closed, the drawer limit."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa

from ismartsync.errors import DomainError
from ismartsync.extensions import db
from ismartsync.models import AuditEntry, CashDirection, CashLog, CashReason, Tender
from ismartsync.services.audit import Actor
from ismartsync.services.cash.drawer import (
    Count,
    NeedsApproval,
    ShiftClosed,
    add_cash_sale,
    check_count,
    close_shift,
    drawer_over_limit,
    record_cash_log,
)
from ismartsync.services.cash.registers import (
    current_shift,
)
from ismartsync.services.checkout import Payment
from tests.selling import close_till, sell


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
