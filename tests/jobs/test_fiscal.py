"""The fiscal queue: the sweeper sends what is due, gives up dead attempts as unknown, and alerts at 12 hours."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from ismartsync.extensions import db
from ismartsync.models import FiscalDocument, OutgoingEmail
from ismartsync.models.base import utcnow
from ismartsync.services.fiscal import documents as fiscal
from ismartsync.services.fiscal import overdue
from jobs.fiscal import sweep
from tests import factories
from tests.selling import open_till, sell, stock_items


@pytest.fixture
def sold(merchant, branch, counter, manager, cashier):
    """Two sales at an FBR counter, not yet reported."""
    factories.enable_fbr(merchant, counter)
    actor, items = open_till(manager, cashier, counter), stock_items(merchant, branch)
    sales = [sell(actor, counter, items[0]), sell(actor, counter, items[1])]
    db.session.commit()
    return [fiscal.document_of_sale(db.session, s.id) for s in sales]


def documents() -> list[FiscalDocument]:
    db.session.expire_all()
    return list(db.session.scalars(select(FiscalDocument).order_by(FiscalDocument.id)))


def test_the_sweeper_queues_what_is_due_and_the_queue_reports_it(sold, fbr, run_jobs):
    sweep()
    run_jobs("fiscal")

    assert [(d.status, d.attempt_log[-1].trigger) for d in documents()] == [("reported", "queue")] * 2
    assert len(fbr.control("GET", "/invoices")["invoices"]) == 2


def test_the_sweeper_leaves_a_backoff_alone_until_it_is_due(sold, fbr, run_jobs):
    for document in sold:
        document.next_attempt_at = utcnow() + timedelta(seconds=30)
    db.session.commit()

    sweep()
    run_jobs("fiscal")

    assert [d.status for d in documents()] == ["pending", "pending"]
    assert fbr.control("GET", "/requests")["requests"] == []


def test_the_sweeper_turns_an_attempt_that_never_finished_unknown(sold, fbr, run_jobs):
    fiscal.start_attempt(db.session, sold[0].id, "queue", utcnow() - timedelta(minutes=10))
    db.session.commit()

    sweep()
    run_jobs("fiscal")

    assert [d.status for d in documents()] == ["unknown", "reported"]


def test_twelve_hours_without_a_number_emails_the_owner_and_the_resolvers_once(
    sold, fbr, merchant, roles, owner, manager, cashier, run_jobs
):
    accountant = factories.UserFactory(merchant=merchant, role=roles["Accountant"], all_branches=True)
    fbr.control("POST", "/faults", {"mode": "down", "count": 1000})
    sold[0].created_at = utcnow() - timedelta(hours=12, minutes=1)
    sold[1].created_at = utcnow() - timedelta(hours=11)
    db.session.commit()

    sweep()
    sweep()
    run_jobs("fiscal", "email")

    emails = db.session.scalars(select(OutgoingEmail).order_by(OutgoingEmail.to_address)).all()
    # The owner and whoever may resolve FBR reports (manager, accountant); not the cashier.
    assert sorted(e.to_address for e in emails) == sorted([owner.email, manager.email, accountant.email])
    assert "1 sale not yet reported to FBR after 12 hours" in emails[0].subject
    assert sold[0].usin in emails[0].body_text and sold[1].usin not in emails[0].body_text
    first, second = documents()
    assert first.alerted_at is not None and second.alerted_at is None
    assert overdue.overdue_count(db.session, merchant.id, utcnow() - timedelta(hours=12)).total == 1
