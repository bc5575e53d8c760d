"""The shifts-and-registers and over/short reports over the scripted days (`scripted_days`), against figures worked
out by hand."""

from __future__ import annotations

from dataclasses import fields, replace
from datetime import UTC, date, datetime

import pytest

from ismartsync.extensions import db
from ismartsync.services.audit import Actor
from ismartsync.services.cash.drawer import Count, close_shift
from ismartsync.services.cash.registers import current_shift
from ismartsync.services.cash.shift_reports import (
    ShiftTotals,
    over_short_report,
    shift_report,
    shift_rows,
)
from tests import factories
from tests.selling import open_till
from tests.services.cash.scripted_days import SANA_OPENED, scripted_days


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
