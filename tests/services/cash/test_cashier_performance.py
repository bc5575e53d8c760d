"""Cashier performance over the scripted days (`scripted_days`): orders, net sales, refund rate, count accuracy."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from ismartsync.extensions import db
from ismartsync.models import Sale
from ismartsync.services.audit import Actor
from ismartsync.services.cash.cashier_performance import cashier_report
from ismartsync.services.returns.plan import ReturnItem, ReturnRequest
from ismartsync.services.returns.reasons import seed_return_reasons
from ismartsync.services.returns.record import record_return
from tests.selling import open_till
from tests.services.cash.scripted_days import scripted_days


@pytest.fixture
def day(merchant, owner, manager, cashier, branch, counter):
    return scripted_days(merchant, owner, manager, cashier, branch, counter)


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


def test_the_refund_rate_counts_the_returns_a_cashier_records(day, manager, counter):
    first = db.session.scalars(select(Sale).where(Sale.cashier_id == day.sana.id, Sale.number.is_not(None))).first()
    seed_return_reasons(db.session, day.merchant)
    open_till(None, day.sana, counter)
    supervised = Actor(day.sana, counter_id=counter.id, approver=manager)
    record_return(
        db.session, supervised, counter, ReturnRequest("back", first.id, (ReturnItem(first.lines[0].id, 1, "other"),))
    )
    sana = cashier_report(db.session, day.merchant, replace(day.everywhere, cashier_id=day.sana.id)).rows
    assert [(r.name, r.orders, r.refunded, r.refund_rate) for r in sana] == [("Sana Iqbal", 2, 1, Decimal("50.0"))]


def test_cashier_performance_follows_the_dates(day):
    the_15th = replace(day.everywhere, since=date(2026, 1, 15), until=date(2026, 1, 15))
    report = cashier_report(db.session, day.merchant, the_15th)
    assert [(r.name, r.orders, r.shifts_closed) for r in report.rows] == [("Omar Farooq", 1, 0), ("Bilal Ahmed", 1, 1)]
