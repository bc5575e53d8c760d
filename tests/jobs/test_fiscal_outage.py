"""An FBR outage with real fiscal workers: FBR drops every connection without an answer while counters sell and a
backlog waits in the queue. Each attempt that reached FBR may have been recorded there, so it becomes "unknown" and a
person must reconcile it: the queue must hold back (one probe at a time) instead of turning its backlog into
unknowns, and report everything once FBR answers again.

This test commits for real (worker processes cannot see a test transaction) and empties the database afterwards.
"""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import func, select

from ismartsync.extensions import db
from ismartsync.models import FiscalDocument, FiscalStatus
from ismartsync.models.base import utcnow
from ismartsync.pipelines.fbr_report import report_after_checkout
from ismartsync.queue import get_queue
from ismartsync.services.fiscal import documents as fiscal
from jobs.fiscal import sweep
from tests import factories
from tests.jobs.workers import (
    _transaction,  # noqa: F401 (worker processes must see what the test commits)
    needs_real_services,
    periodically,
    wait_until,
)
from tests.selling import open_till, sell, stock_items

pytestmark = needs_real_services
BACKLOG = 10  # documents waiting in the queue when FBR starts dropping connections
SALES_PER_COUNTER = 3  # sales at each counter during the outage
PROBE_SECONDS = 15  # the pause before the queue probes FBR again after a failed probe (30 in production)


@pytest.fixture
def shop(committed, fbr, monkeypatch, app: Flask):
    """A merchant reporting to FBR from two counters, each with a cashier at an open till."""
    monkeypatch.setitem(app.config, "FBR_PROBE_SECONDS", PROBE_SECONDS)
    merchant = factories.MerchantFactory()
    roles = factories.roles_of(merchant)
    manager = factories.UserFactory(merchant=merchant, role=roles["Manager"], all_branches=True)
    branch = factories.BranchFactory(merchant=merchant)
    counters = [factories.CounterFactory(branch=branch, name=f"Counter {n}") for n in (1, 2)]
    factories.enable_fbr(merchant, *counters)
    items = stock_items(merchant, branch)
    actors = []
    for counter in counters:
        cashier = factories.UserFactory(merchant=merchant, role=roles["Cashier"], branches=[branch])
        actors.append((open_till(manager, cashier, counter), counter))
    db.session.commit()
    return actors, items


def _statuses() -> dict[str, int]:
    db.session.expire_all()
    rows = db.session.execute(select(FiscalDocument.status, func.count()).group_by(FiscalDocument.status)).all()
    db.session.commit()
    return dict(rows)


def _fbr_requests(fbr) -> list[dict]:
    return fbr.control("GET", "/requests")["requests"]


def _queue_busy(fbr, counters: int) -> str:
    """What the queue has still to do before it has had every due document while FBR is down ("" when nothing)."""
    if len(_fbr_requests(fbr)) <= counters:
        return "the queue's first attempt"
    db.session.expire_all()
    due = len(fiscal.due_documents(db.session, utcnow()))
    db.session.commit()
    return f"{due} due reports" if due or get_queue("fiscal").count else ""


def test_fbr_dropping_connections_costs_one_unknown_per_counter_and_a_probe_not_the_queue(
    shop, fbr, workers, database_url
):
    actors, items = shop
    for actor, counter in actors * (BACKLOG // len(actors)):
        sell(actor, counter, items[0])
    db.session.commit()
    pool = workers(FBR_API_BASE=fbr.url, FBR_TIMEOUT_SECONDS=2, FBR_PROBE_SECONDS=PROBE_SECONDS)
    pool.start(2, "--no-cron", "fiscal")
    fbr.control("POST", "/faults", {"mode": "down", "close": True, "count": 100_000})

    for _ in range(SALES_PER_COUNTER):
        for actor, counter in actors:
            sale = sell(actor, counter, items[1])
            db.session.commit()
            report_after_checkout(db.session, fiscal.document_of_sale(db.session, sale.id).id)
    # The sweeper's ticks queue every due document; FBR drops connections until the workers have had them all.
    wait_until(lambda: _queue_busy(fbr, len(actors)), 30, every=periodically(1, sweep))
    fbr.control("DELETE", "/faults")  # FBR is back

    seconds = wait_until(
        lambda: "" if _statuses().get(FiscalStatus.PENDING, 0) == 0 else f"pending reports {_statuses()}",
        60,
        every=periodically(1, sweep),
    )

    statuses = _statuses()
    outage = [r for r in _fbr_requests(fbr) if r["fault"] == "down"]
    print(
        f"FBR dropping connections: {statuses.get(FiscalStatus.UNKNOWN, 0)} unknown of {BACKLOG} queued and "
        f"{len(actors) * SALES_PER_COUNTER} sold; {len(outage)} requests reached FBR during the outage; "
        f"every other report in {seconds:.1f} s after FBR came back"
    )
    # Each counter found FBR silent once; the queue held its backlog back and sent one probe.
    assert len(outage) == len(actors) + 1
    documents = BACKLOG + len(actors) * SALES_PER_COUNTER
    assert statuses == {FiscalStatus.UNKNOWN: len(actors) + 1, FiscalStatus.REPORTED: documents - len(actors) - 1}
    recorded = {invoice["USIN"] for invoice in fbr.control("GET", "/invoices")["invoices"]}
    unknown = db.session.scalars(select(FiscalDocument.usin).where(FiscalDocument.status == FiscalStatus.UNKNOWN))
    assert recorded.isdisjoint(unknown)  # FBR recorded none of them, yet a person must confirm each
    assert len(recorded) == documents - len(actors) - 1
