"""The cash-log ledger over the scripted days (`scripted_days`): every cash in and out, with totals per reason."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from ismartsync.extensions import db
from ismartsync.services.cash.cash_log_report import cash_log_report, cash_log_rows
from tests.services.cash.scripted_days import scripted_days


@pytest.fixture
def day(merchant, owner, manager, cashier, branch, counter):
    return scripted_days(merchant, owner, manager, cashier, branch, counter)


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
