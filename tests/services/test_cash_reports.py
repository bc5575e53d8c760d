"""The cash reports over a scripted two days at two branches, against figures worked out by hand.

Gulberg, Counter 1 (float Rs 5,000): Sana sells Rs 2,990 + Rs 1,500 cash, tops the float up Rs 100, drops Rs 2,000 in
the safe, voids a line and clears a cart, counts Rs 7,580 against Rs 7,590 (Rs 10 short, within the Rs 500
tolerance). Bilal takes the drawer over (Rs 7,580), sells Rs 999 cash, counts Rs 9,279 against Rs 8,579: Rs 700 over,
beyond the tolerance, with a reason and the owner's approval. DHA, Counter 1 (float Rs 5,000): Omar sells Rs 2,990
by card, pays Rs 50 petty cash for tea, and his shift is still open.

Karachi is UTC+5: Sana's shift opens 14 Jan 09:00, Bilal's 15 Jan 00:30 (14 Jan 19:30 UTC), Omar's 15 Jan 10:00.
"""

from __future__ import annotations

from dataclasses import fields, replace
from datetime import UTC, date, datetime
from decimal import Decimal
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from ismartsync.extensions import db
from ismartsync.models import CashDirection, CashReason, Sale, SaleStatus, Tender
from ismartsync.services import cart as carts
from ismartsync.services.audit import Actor
from ismartsync.services.cash import Count, close_shift, record_cash_log
from ismartsync.services.cash_ledger import cash_log_report, cash_log_rows
from ismartsync.services.cash_reports import (
    ReportFilters,
    ShiftTotals,
    members_for,
    over_short_report,
    shift_report,
    shift_rows,
)
from ismartsync.services.cashier_performance import cashier_report
from ismartsync.services.checkout import Payment
from ismartsync.services.registers import current_shift
from ismartsync.services.stock.ledger import record_opening_stock
from tests import factories
from tests.selling import cart_with, open_till, sell, stock_items

SANA_OPENED = datetime(2026, 1, 14, 4, 0, tzinfo=UTC)
BILAL_OPENED = datetime(2026, 1, 14, 19, 30, tzinfo=UTC)
OMAR_OPENED = datetime(2026, 1, 15, 5, 0, tzinfo=UTC)


def _log(actor, shift, direction, reason, amount, note="", at=None):
    log = record_cash_log(
        db.session,
        actor,
        shift,
        uuid=f"log-{shift.id}-{reason.value}",
        direction=direction,
        reason=reason,
        amount_minor=amount,
        note=note,
    )
    log.created_at = at or shift.opened_at
    return log


def scripted_days(merchant, owner, manager, cashier, branch, counter) -> SimpleNamespace:
    """The scripted days above (committed); returns the people, places and shifts."""
    dha = factories.BranchFactory(merchant=merchant, name="DHA", code="DHA")
    dha_counter = factories.CounterFactory(branch=dha, name="Counter 1")
    omar = factories.UserFactory(merchant=merchant, role=cashier.role, branches=[dha], full_name="Omar Farooq")
    items = stock_items(merchant, branch)
    stock_items_dha = [factories.VariantFactory(product__merchant=merchant, price_minor=299000)]
    record_opening_stock(db.session, dha, {stock_items_dha[0].id: 5}, "opening")

    sana = open_till(manager, cashier, counter)
    sana_shift = current_shift(db.session, cashier)
    sana_shift.opened_at = SANA_OPENED
    sell(sana, counter, items[0], at=datetime(2026, 1, 14, 5, 0, tzinfo=UTC))
    sell(sana, counter, items[1], at=datetime(2026, 1, 14, 6, 0, tzinfo=UTC))
    _log(sana, sana_shift, CashDirection.IN, CashReason.FLOAT_TOP_UP, 10_000)
    _log(sana, sana_shift, CashDirection.OUT, CashReason.SAFE_DROP, 200_000)
    cart = cart_with(sana, counter, items[1], items[2])
    carts.remove_line(db.session, sana, cart, cart.lines[1])
    carts.discard_cart(db.session, sana, cart)
    close_shift(db.session, sana, sana_shift, Count(758_000))

    bilal = open_till(None, manager, counter)
    bilal_shift = current_shift(db.session, manager)
    bilal_shift.opened_at = BILAL_OPENED
    sell(bilal, counter, items[2], at=datetime(2026, 1, 14, 20, 0, tzinfo=UTC))
    approved = Actor(manager, branch_id=branch.id, counter_id=counter.id, approver=owner)
    close_shift(db.session, approved, bilal_shift, Count(927_900), note="Change not given back")

    omar_actor = open_till(manager, omar, dha_counter)
    omar_shift = current_shift(db.session, omar)
    omar_shift.opened_at = OMAR_OPENED
    sell(
        omar_actor,
        dha_counter,
        stock_items_dha[0],
        payments=[Payment(Tender.CARD, 299_000)],
        at=datetime(2026, 1, 15, 6, 0, tzinfo=UTC),
    )
    _log(omar_actor, omar_shift, CashDirection.OUT, CashReason.PETTY_CASH, 5_000, note="Tea")
    db.session.commit()
    return SimpleNamespace(
        merchant=merchant,
        gulberg=branch,
        dha=dha,
        counter=counter,
        dha_counter=dha_counter,
        sana=cashier,
        bilal=manager,
        omar=omar,
        owner=owner,
        sana_shift=sana_shift,
        bilal_shift=bilal_shift,
        omar_shift=omar_shift,
        everywhere=ReportFilters(branch_ids=(branch.id, dha.id)),
    )


@pytest.fixture
def day(merchant, owner, manager, cashier, branch, counter):
    return scripted_days(merchant, owner, manager, cashier, branch, counter)


def _cashiers(rows):
    return [r.cashier for r in rows]


def test_shift_rows_carry_the_drawer_figures_of_each_shift(day):
    report = shift_report(db.session, day.merchant, day.everywhere)
    assert _cashiers(report.rows) == ["Omar Farooq", "Bilal Ahmed", "Sana Iqbal"]
    omar, bilal, sana = report.rows
    assert (sana.branch, sana.counter, sana.status, sana.opened_at) == ("Gulberg", "Counter 1", "closed", SANA_OPENED)
    assert (
        sana.opening_minor,
        sana.cash_sales_minor,
        sana.cash_in_minor,
        sana.cash_out_minor,
        sana.refunds_minor,
        sana.expected_minor,
        sana.counted_minor,
        sana.over_short_minor,
        sana.approved_by,
    ) == (500_000, 449_000, 10_000, 200_000, 0, 759_000, 758_000, -1_000, "")
    assert (bilal.opening_minor, bilal.cash_sales_minor, bilal.expected_minor, bilal.counted_minor) == (
        758_000,
        99_900,
        857_900,
        927_900,
    )
    assert (bilal.over_short_minor, bilal.approved_by, bilal.note) == (
        70_000,
        day.owner.full_name,
        "Change not given back",
    )
    # Still open: Expected is the live figure, nothing counted yet.
    assert (omar.status, omar.cash_sales_minor, omar.cash_out_minor, omar.expected_minor) == ("open", 0, 5_000, 495_000)
    assert (omar.counted_minor, omar.over_short_minor, omar.closed_at) == (None, None, None)


def test_shift_totals_add_up_every_matching_shift(day):
    totals = shift_report(db.session, day.merchant, day.everywhere).totals
    assert totals == ShiftTotals(
        count=3,
        cash_sales_minor=449_000 + 99_900,  # Omar took card only
        cash_in_minor=10_000,
        cash_out_minor=200_000 + 5_000,
        refunds_minor=0,
        over_short_minor=-1_000 + 70_000,  # the closed shifts only: Omar's open shift has counted nothing yet
    )


def test_shift_totals_leave_out_the_float_handed_from_shift_to_shift(day):
    """Sana hands Bilal the Rs 7,580 she counted as his float: adding floats (Rs 12,580 for one drawer that started
    with Rs 5,000), Expected or Counted across shifts would count the same notes again, so the totals have none."""
    assert {f.name for f in fields(ShiftTotals)} == {
        "count",
        "cash_sales_minor",
        "cash_in_minor",
        "cash_out_minor",
        "refunds_minor",
        "over_short_minor",
    }
    one_drawer = replace(day.everywhere, register_id=day.sana_shift.register_id)
    totals = shift_report(db.session, day.merchant, one_drawer).totals
    assert (day.bilal_shift.opening_float_minor, day.sana_shift.counted_minor) == (758_000, 758_000)
    assert totals == ShiftTotals(2, 548_900, 10_000, 200_000, 0, 69_000)
    # What is added up reconciles the register: its float, plus the cash both shifts moved, plus their over/short,
    # is the last count in the drawer.
    register = day.sana_shift.register
    moved = totals.cash_sales_minor + totals.cash_in_minor - totals.cash_out_minor - totals.refunds_minor
    assert register.opening_float_minor + moved + totals.over_short_minor == day.bilal_shift.counted_minor == 927_900


@pytest.mark.parametrize(
    ("narrowed", "expected"),
    [
        ({"branch": "dha"}, ["Omar Farooq"]),
        ({"cashier": "sana"}, ["Sana Iqbal"]),
        ({"status": "open"}, ["Omar Farooq"]),
        ({"status": "closed"}, ["Bilal Ahmed", "Sana Iqbal"]),
        ({"since": date(2026, 1, 15)}, ["Omar Farooq", "Bilal Ahmed"]),  # Bilal's 19:30 UTC is 00:30 on the 15th
        ({"until": date(2026, 1, 14)}, ["Sana Iqbal"]),
        ({"counter": "dha_counter"}, ["Omar Farooq"]),
        ({"register": "sana_shift"}, ["Bilal Ahmed", "Sana Iqbal"]),
        ({"since": date(2026, 1, 16)}, []),
    ],
)
def test_each_filter_narrows_the_shifts(day, narrowed, expected):
    filters = day.everywhere
    if "branch" in narrowed:
        filters = replace(filters, branch_ids=(getattr(day, narrowed["branch"]).id,))
    if "cashier" in narrowed:
        filters = replace(filters, cashier_id=getattr(day, narrowed["cashier"]).id)
    if "counter" in narrowed:
        filters = replace(filters, counter_id=getattr(day, narrowed["counter"]).id)
    if "register" in narrowed:
        filters = replace(filters, register_id=getattr(day, narrowed["register"]).register_id)
    filters = replace(filters, **{k: v for k, v in narrowed.items() if k in ("status", "since", "until")})
    assert _cashiers(shift_rows(db.session, day.merchant, filters)) == expected
    assert shift_report(db.session, day.merchant, filters).totals.count == len(expected)


def test_the_shifts_page_in_fifties_and_the_export_has_them_all(day, manager, counter):
    for n in range(50):
        open_till(None, manager, counter)
        shift = current_shift(db.session, manager)
        shift.opened_at = datetime(2026, 2, 1, 5, n, tzinfo=UTC)
        close_shift(db.session, Actor(manager), shift, Count(shift.expected_cash_minor))
    first = shift_report(db.session, day.merchant, day.everywhere)
    second = shift_report(db.session, day.merchant, day.everywhere, page=2)
    assert (len(first.rows), first.has_more, len(second.rows), second.has_more) == (50, True, 3, False)
    assert first.totals == second.totals and first.totals.count == 53
    assert len(shift_rows(db.session, day.merchant, day.everywhere)) == 53


def test_over_short_lists_closed_shifts_that_were_off_largest_first(day):
    report = over_short_report(db.session, day.merchant, day.everywhere)
    assert [(r.cashier, r.over_short_minor, r.note, r.approved_by) for r in report.rows] == [
        ("Bilal Ahmed", 70_000, "Change not given back", day.owner.full_name),
        ("Sana Iqbal", -1_000, "", ""),
    ]
    assert [(t.name, t.over_count, t.short_count, t.net_minor) for t in report.by_branch] == [("Gulberg", 1, 1, 69_000)]
    assert [(t.name, t.over_count, t.short_count, t.net_minor) for t in report.by_cashier] == [
        ("Bilal Ahmed", 1, 0, 70_000),
        ("Sana Iqbal", 0, 1, -1_000),
    ]
    assert (report.total.over_count, report.total.short_count, report.total.net_minor) == (1, 1, 69_000)


def test_a_shift_counted_exactly_is_not_an_over_short(day):
    rows = over_short_report(db.session, day.merchant, replace(day.everywhere, cashier_id=day.omar.id)).rows
    assert rows == []


def test_exceptions_are_counted_per_branch_and_cashier_and_kind(day):
    factories.AuditEntryFactory(
        merchant=day.merchant,
        action="approval",
        actor_id=day.bilal.id,
        approver_id=day.owner.id,
        branch_id=day.gulberg.id,
        summary="Approved",
    )
    factories.AuditEntryFactory(
        merchant=day.merchant, action="staff.update", actor_id=day.bilal.id, branch_id=day.gulberg.id
    )
    report = over_short_report(db.session, day.merchant, day.everywhere)
    assert [(r.branch, r.cashier, r.counts, r.total) for r in report.exceptions] == [
        ("DHA", "Omar Farooq", {"cash.out": 1}, 1),
        ("Gulberg", "Bilal Ahmed", {"approval": 1}, 1),
        ("Gulberg", "Sana Iqbal", {"cash.in": 1, "cash.out": 1, "cart.remove_line": 1, "cart.discard": 1}, 4),
    ]
    assert report.exception_totals == {
        "cart.remove_line": 1,
        "cart.discard": 1,
        "cart.price_override": 0,
        "cart.discount_approved": 0,
        "approval": 1,
        "cash.in": 1,
        "cash.out": 2,
    }
    only_dha = over_short_report(db.session, day.merchant, replace(day.everywhere, branch_ids=(day.dha.id,)))
    assert [r.cashier for r in only_dha.exceptions] == ["Omar Farooq"] and only_dha.rows == []


def test_exceptions_follow_the_dates_in_local_time(day):
    for at in (datetime(2026, 3, 1, 18, 59, tzinfo=UTC), datetime(2026, 3, 1, 19, 0, tzinfo=UTC)):
        factories.AuditEntryFactory(
            merchant=day.merchant,
            action="cart.price_override",
            actor_id=day.sana.id,
            branch_id=day.gulberg.id,
            created_at=at,
        )
    march_1 = replace(day.everywhere, since=date(2026, 3, 1), until=date(2026, 3, 1))
    assert [r.counts for r in over_short_report(db.session, day.merchant, march_1).exceptions] == [
        {"cart.price_override": 1}  # 19:00 UTC is already 2 March in Karachi
    ]


def test_cashier_performance_from_sales_and_counts(day):
    report = cashier_report(db.session, day.merchant, day.everywhere)
    rows = {r.name: r for r in report.rows}
    assert [r.name for r in report.rows] == ["Sana Iqbal", "Omar Farooq", "Bilal Ahmed"]  # by net sales
    sana, omar, bilal = rows["Sana Iqbal"], rows["Omar Farooq"], rows["Bilal Ahmed"]
    assert (sana.orders, sana.net_sales_minor, sana.average_sale_minor, sana.refund_rate) == (
        2,
        449_000,
        224_500,
        Decimal("0.0"),
    )
    assert (sana.shifts_closed, sana.count_accuracy, sana.abs_over_short_minor) == (1, Decimal("100.0"), 1_000)
    assert (bilal.orders, bilal.net_sales_minor, bilal.shifts_closed, bilal.count_accuracy) == (
        1,
        99_900,
        1,
        Decimal("0.0"),
    )
    assert bilal.abs_over_short_minor == 70_000
    assert (omar.orders, omar.net_sales_minor, omar.shifts_closed, omar.count_accuracy) == (1, 299_000, 0, None)
    total = report.total
    assert (total.orders, total.net_sales_minor, total.average_sale_minor) == (4, 847_900, 211_975)
    assert (total.shifts_closed, total.count_accuracy, total.abs_over_short_minor) == (2, Decimal("50.0"), 71_000)


def test_the_refund_rate_counts_refunded_sales(day):
    first = db.session.scalars(select(Sale).where(Sale.cashier_id == day.sana.id, Sale.number.is_not(None))).first()
    first.status = SaleStatus.REFUNDED
    db.session.flush()
    sana = cashier_report(db.session, day.merchant, replace(day.everywhere, cashier_id=day.sana.id)).rows
    assert [(r.name, r.orders, r.refunded, r.refund_rate) for r in sana] == [("Sana Iqbal", 2, 1, Decimal("50.0"))]


def test_cashier_performance_follows_the_dates(day):
    the_15th = replace(day.everywhere, since=date(2026, 1, 15), until=date(2026, 1, 15))
    report = cashier_report(db.session, day.merchant, the_15th)
    assert [(r.name, r.orders, r.shifts_closed) for r in report.rows] == [("Omar Farooq", 1, 0), ("Bilal Ahmed", 1, 1)]


def test_the_cash_log_ledger_and_its_totals(day):
    report = cash_log_report(db.session, day.merchant, day.everywhere)
    # Newest first; Sana's two share her shift's opening time, the later one first.
    assert [(log.reason, log.direction, log.amount_minor) for log in report.logs] == [
        ("petty_cash", "out", 5_000),
        ("safe_drop", "out", 200_000),
        ("float_top_up", "in", 10_000),
    ]
    totals = report.totals
    assert (totals.count, totals.in_minor, totals.out_minor, totals.net_minor) == (3, 10_000, 205_000, -195_000)
    assert [(r.reason.value, r.count, r.in_minor, r.out_minor, r.net_minor) for r in totals.by_reason] == [
        ("float_top_up", 1, 10_000, 0, 10_000),
        ("safe_drop", 1, 0, 200_000, -200_000),
        ("petty_cash", 1, 0, 5_000, -5_000),
    ]
    petty = report.logs[0]
    assert (petty.branch.name, petty.shift.user.full_name, petty.user.full_name, petty.note) == (
        "DHA",
        "Omar Farooq",
        "Omar Farooq",
        "Tea",
    )


@pytest.mark.parametrize(
    ("narrowed", "expected"),
    [
        ({"direction": "out"}, ["petty_cash", "safe_drop"]),
        ({"direction": "in"}, ["float_top_up"]),
        ({"reason": "safe_drop"}, ["safe_drop"]),
        ({"member": "omar"}, ["petty_cash"]),
        ({"cashier": "sana"}, ["float_top_up", "safe_drop"]),
        ({"branch": "gulberg"}, ["float_top_up", "safe_drop"]),
        ({"since": date(2026, 1, 15)}, ["petty_cash"]),
        ({"until": date(2026, 1, 14)}, ["float_top_up", "safe_drop"]),
    ],
)
def test_each_filter_narrows_the_cash_logs(day, narrowed, expected):
    filters = day.everywhere
    if "branch" in narrowed:
        filters = replace(filters, branch_ids=(getattr(day, narrowed["branch"]).id,))
    if "member" in narrowed:
        filters = replace(filters, member_id=getattr(day, narrowed["member"]).id)
    if "cashier" in narrowed:
        filters = replace(filters, cashier_id=getattr(day, narrowed["cashier"]).id)
    filters = replace(filters, **{k: v for k, v in narrowed.items() if k in ("direction", "reason", "since", "until")})
    assert sorted(log.reason for log in cash_log_rows(db.session, day.merchant, filters)) == sorted(expected)
    totals = cash_log_report(db.session, day.merchant, filters).totals
    assert totals.count == len(expected)


def test_members_named_are_those_of_the_branches(day, merchant, roles):
    factories.UserFactory(merchant=merchant, role=roles["Cashier"], full_name="Nobody Anywhere")
    gulberg_only = [u.full_name for u in members_for(db.session, merchant.id, (day.gulberg.id,))]
    assert "Sana Iqbal" in gulberg_only and "Bilal Ahmed" in gulberg_only  # works there / across branches
    assert "Omar Farooq" not in gulberg_only and "Nobody Anywhere" not in gulberg_only
