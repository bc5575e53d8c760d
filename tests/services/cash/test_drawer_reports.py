"""The drawer equation over a scripted day, against figures worked out by hand: X and Z reports, register, day.

Expected = opening + cash sales − cash refunds − change given ± cash logs. The reports read the sales, payments and
cash logs themselves; the shift keeps a running figure in the same transactions. Both must land on the hand figure.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from ismartsync.extensions import db
from ismartsync.models import AuditEntry, CashDirection, CashReason, Shift, Tender
from ismartsync.models.base import utcnow
from ismartsync.services import cart as carts
from ismartsync.services.audit import Actor
from ismartsync.services.cash.day_close import close_day, registers_of_day
from ismartsync.services.cash.drawer import Count, close_shift, record_cash_log
from ismartsync.services.cash.drawer_reports import (
    TenderTotal,
    combined_figures,
    register_figures,
    shift_figures,
)
from ismartsync.services.cash.registers import close_register, open_shift, start_register
from ismartsync.services.checkout import Payment, checkout_sale
from ismartsync.services.returns.plan import ReturnItem, ReturnRequest
from ismartsync.services.returns.reasons import seed_return_reasons
from ismartsync.services.returns.record import record_return
from ismartsync.services.returns.tenders import RefundTender
from tests import factories
from tests.selling import open_till, sell, stock_items

RS = 100  # paisa in a rupee: every figure below is written in rupees, as a person would work it out


def cash_log(actor: Actor, shift: Shift, direction: CashDirection, reason: CashReason, rupees: int, note: str = ""):
    return record_cash_log(
        db.session,
        actor,
        shift,
        uuid=str(uuid.uuid4()),
        direction=direction,
        reason=reason,
        amount_minor=rupees * RS,
        note=note,
    )


@pytest.fixture
def day(merchant, branch, counter, manager, cashier):
    """The scripted day at Gulberg: two cashiers hand Counter 1's drawer over; Counter 2 runs a short register."""
    items = stock_items(merchant, branch)  # Rs 2,990, Rs 1,500, Rs 999
    suit, shawl, scarf = items
    meezan = factories.PaymentMethodFactory(merchant=merchant, name="Meezan Bank", account_number="0101 0112345678")
    # An approval at this counter an hour before the shift: it belongs to no shift of this day's drawer.
    db.session.add(
        AuditEntry(
            merchant_id=merchant.id,
            actor_id=manager.id,
            approver_id=manager.id,
            action="approval",
            summary="Approved before the shift",
            counter_id=counter.id,
            branch_id=branch.id,
            created_at=utcnow() - timedelta(hours=1),
        )
    )
    db.session.flush()
    sana = open_till(manager, cashier, counter)  # register float Rs 5,000
    supervised = Actor(cashier, branch_id=branch.id, counter_id=counter.id, approver=manager)

    # Sale 1: Rs 2,990 paid with Rs 3,000 cash → change Rs 10.
    sell(sana, counter, suit, payments=[Payment(Tender.CASH, 3_000 * RS)])
    # Sale 2: Rs 1,500 + Rs 999 = Rs 2,499 by card.
    by_card = sell(sana, counter, shawl, scarf, payments=[Payment(Tender.CARD, 2_499 * RS)])
    # Sale 3: Rs 2,990 + Rs 1,500 = Rs 4,490: Rs 2,000 into Meezan Bank, Rs 2,500 cash for the Rs 2,490 left → Rs 10.
    sell(
        sana,
        counter,
        suit,
        shawl,
        payments=[Payment(Tender.BANK, 2_000 * RS, method_id=meezan.id), Payment(Tender.CASH, 2_500 * RS)],
    )
    # Sale 4: a shawl voided off the cart, the scarf's price overridden Rs 999 → Rs 950 with the manager's approval;
    # Rs 1,000 cash → change Rs 50.
    cart = carts.open_cart(db.session, sana, counter)
    shawl_line = carts.add_variant(db.session, cart, shawl)
    scarf_line = carts.add_variant(db.session, cart, scarf)
    carts.remove_line(db.session, supervised, cart, shawl_line)
    carts.override_price(db.session, supervised, cart, scarf_line, 950 * RS)
    checkout_sale(db.session, sana, counter, cart.uuid, [Payment(Tender.CASH, 1_000 * RS)])
    # Cash in Rs 1,000 (float top-up); a Rs 3,000 safe drop approved by the manager; sale 2's shawl comes back
    # (approved): Rs 1,000 back to the card, Rs 500 refunded in cash.
    first = db.session.get(Shift, cart.shift_id)
    cash_log(sana, first, CashDirection.IN, CashReason.FLOAT_TOP_UP, 1_000)
    cash_log(supervised, first, CashDirection.OUT, CashReason.SAFE_DROP, 3_000, "to the safe")
    seed_return_reasons(db.session, merchant)
    refunds = (RefundTender(Tender.CARD, 1_000 * RS, reference="RRN 0001"), RefundTender(Tender.CASH, 500 * RS))
    shawl_back = ReturnItem(by_card.lines[0].id, 1, "wrong_colour")
    record_return(
        db.session, supervised, counter, ReturnRequest("shawl-back", by_card.id, (shawl_back,), refunds=refunds)
    )
    db.session.commit()
    return {"sana_shift": first, "shawl": shawl, "scarf": scarf}


def test_the_x_report_of_the_first_shift_matches_the_hand_figures(day):
    shift = day["sana_shift"]

    x = shift_figures(db.session, shift)

    assert x.opening_minor == 5_000 * RS
    assert x.sales_count == 4
    assert x.net_sales_minor == (2_990 + 2_499 + 4_490 + 950) * RS  # Rs 10,929
    assert x.tenders == [
        TenderTotal("bank", "Meezan Bank ··5678", 1, 2_000 * RS),
        TenderTotal("card", "Card", 1, 2_499 * RS),
        TenderTotal("cash", "Cash", 3, (2_990 + 2_490 + 950) * RS),
    ]
    assert x.cash_tendered_minor == (3_000 + 2_500 + 1_000) * RS  # Rs 6,500
    assert x.change_given_minor == (10 + 10 + 50) * RS  # Rs 70
    assert x.cash_sales_minor == 6_430 * RS
    assert x.cash_refunds_minor == 500 * RS
    assert x.refunds_count == 1 and x.refunds_minor == 1_500 * RS
    assert x.refunds == [TenderTotal("card", "Card", 1, 1_000 * RS), TenderTotal("cash", "Cash", 1, 500 * RS)]
    assert (x.cash_in_minor, x.cash_out_minor) == (1_000 * RS, 3_000 * RS)
    assert [(log.direction, log.amount_minor) for log in x.logs] == [("in", 1_000 * RS), ("out", 3_000 * RS)]
    # 5,000 + 6,500 − 70 − 500 + 1,000 − 3,000
    assert x.expected_minor == 8_930 * RS
    assert shift.expected_cash_minor == x.expected_minor  # the counter's running figure agrees
    assert x.counted_minor is None and x.over_short_minor is None


def test_the_x_report_lists_the_shifts_voids_overrides_and_approvals_only(day):
    x = shift_figures(db.session, day["sana_shift"])

    assert [(e.action, e.approver_id is not None) for e in x.exceptions] == [
        ("cart.remove_line", True),
        ("cart.price_override", True),
        ("cash.in", False),
        ("cash.out", True),
        ("return.record", True),
    ]
    assert "Approved before the shift" not in [e.summary for e in x.exceptions]


def test_the_z_report_fixes_expected_and_shows_the_count_note_by_note(day, manager):
    shift = day["sana_shift"]
    # Rs 8,900 counted: 1 × 5,000 + 3 × 1,000 + 1 × 500 + 4 × 100, Rs 30 short of Rs 8,930.
    count = Count.of_pieces({5000: 1, 1000: 3, 500: 1, 100: 4})
    close_shift(db.session, Actor(manager), shift, count, note="Rs 30 missing")
    db.session.commit()

    z = shift_figures(db.session, shift)

    assert (shift.expected_minor, shift.counted_minor) == (8_930 * RS, 8_900 * RS)
    assert (z.expected_minor, z.counted_minor, z.over_short_minor) == (8_930 * RS, 8_900 * RS, -30 * RS)
    assert shift.denominations == {"5000": 1, "1000": 3, "500": 1, "100": 4}


@pytest.fixture
def handed_over(day, merchant, branch, counter, manager, roles):
    """Sana counts Rs 8,900 and hands the drawer to Ali, who sells, pays a staff payout and counts Rs 20 over."""
    close_shift(db.session, Actor(manager), day["sana_shift"], Count.of_pieces({5000: 1, 1000: 3, 500: 1, 100: 4}))
    ali = factories.UserFactory(merchant=merchant, role=roles["Cashier"], branches=[branch], full_name="Ali Raza")
    ali_actor = open_till(None, ali, counter)
    # Sale: Rs 1,500 paid with Rs 2,000 cash → change Rs 500; Rs 400 staff payout.
    sell(ali_actor, counter, day["shawl"], payments=[Payment(Tender.CASH, 2_000 * RS)])
    second = db.session.query(Shift).filter_by(user_id=ali.id).one()
    cash_log(ali_actor, second, CashDirection.OUT, CashReason.STAFF_PAYOUT, 400)
    db.session.commit()
    return second


def test_the_next_shift_opens_with_the_last_count_and_keeps_its_own_figures(day, handed_over):
    x = shift_figures(db.session, handed_over)

    assert x.opening_minor == 8_900 * RS
    assert (x.sales_count, x.cash_tendered_minor, x.change_given_minor) == (1, 2_000 * RS, 500 * RS)
    assert x.cash_refunds_minor == 0 and x.cash_out_minor == 400 * RS
    assert x.expected_minor == 10_000 * RS == handed_over.expected_cash_minor  # 8,900 + 2,000 − 500 − 400
    # Sana's override and void happened before this shift: they are hers, not Ali's.
    assert [e.action for e in x.exceptions] == ["cash.out"]


def test_the_register_and_the_day_add_up_across_shifts_and_counters(day, handed_over, branch, manager):
    close_shift(db.session, Actor(manager), handed_over, Count(10_020 * RS))  # Rs 20 over
    register = handed_over.register
    close_register(db.session, Actor(manager), register)
    # Counter 2: a Rs 2,000 float, the manager sells a scarf by card and counts the Rs 2,000 back.
    counter2 = factories.CounterFactory(branch=branch, name="Counter 2")
    start_register(db.session, Actor(manager), counter2, 2_000 * RS)
    manager_shift = open_shift(db.session, Actor(manager, counter_id=counter2.id), counter2)
    manager_actor = Actor(manager, branch_id=branch.id, counter_id=counter2.id)
    sell(manager_actor, counter2, day["scarf"], payments=[Payment(Tender.CARD, 999 * RS)])
    close_shift(db.session, manager_actor, manager_shift, Count(2_000 * RS))
    close_register(db.session, manager_actor, manager_shift.register)
    db.session.commit()

    figures = register_figures(db.session, register)

    assert figures.opening_minor == 5_000 * RS
    assert (figures.sales_count, figures.net_sales_minor) == (5, (10_929 + 1_500) * RS)
    assert (figures.cash_tendered_minor, figures.change_given_minor) == (8_500 * RS, 570 * RS)
    assert (figures.cash_in_minor, figures.cash_out_minor, figures.cash_refunds_minor) == (
        1_000 * RS,
        3_400 * RS,
        500 * RS,
    )
    # 5,000 + 8,500 − 570 − 500 + 1,000 − 3,400 = 10,030; the last count Rs 10,020: Rs 30 short + Rs 20 over.
    assert (figures.expected_minor, figures.counted_minor, figures.over_short_minor) == (
        10_030 * RS,
        10_020 * RS,
        -10 * RS,
    )
    assert (register.expected_minor, register.counted_minor) == (10_030 * RS, 10_020 * RS)

    local_day = register.opened_at.astimezone(ZoneInfo("Asia/Karachi")).date()
    registers = registers_of_day(db.session, branch, local_day)
    whole_day = combined_figures(db.session, registers)
    closed = close_day(db.session, Actor(manager), branch, local_day)

    assert len(registers) == 2
    assert whole_day.opening_minor == 7_000 * RS
    assert (whole_day.sales_count, whole_day.net_sales_minor) == (6, (10_929 + 1_500 + 999) * RS)
    assert [(t.tender, t.amount_minor) for t in whole_day.tenders] == [
        ("bank", 2_000 * RS),
        ("card", (2_499 + 999) * RS),
        ("cash", (6_430 + 1_500) * RS),
    ]
    assert (whole_day.expected_minor, whole_day.counted_minor) == (12_030 * RS, 12_020 * RS)
    assert (closed.expected_minor, closed.counted_minor, closed.over_short_minor) == (
        12_030 * RS,
        12_020 * RS,
        -10 * RS,
    )
