"""The 24-hour duty, called directly: which documents are overdue, how many, and who is emailed about them once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from ismartsync.extensions import db
from ismartsync.fiscal.backends import Answer
from ismartsync.models import AttemptOutcome, FiscalDocument, OutgoingEmail
from ismartsync.models.base import utcnow
from ismartsync.services.fiscal import documents as fiscal
from ismartsync.services.fiscal.overdue import Overdue, alert_overdue, overdue_count, overdue_to_alert
from tests import factories
from tests.selling import open_till, sell, stock_items

HOURS = 12


def documents_sold(merchant, counter, manager, cashier, count: int) -> list[FiscalDocument]:
    """`count` sales at an FBR counter of the merchant, each with its pending document."""
    factories.enable_fbr(merchant, counter)
    actor, items = open_till(manager, cashier, counter), stock_items(merchant, counter.branch)
    return [fiscal.document_of_sale(db.session, sell(actor, counter, items[0]).id) for _ in range(count)]


def aged(document: FiscalDocument, hours: float) -> FiscalDocument:
    document.created_at = utcnow() - timedelta(hours=hours)
    return document


def settled_as(document: FiscalDocument, outcome: AttemptOutcome) -> FiscalDocument:
    ticket = fiscal.start_attempt(db.session, document.id, "queue", utcnow())
    return fiscal.finish_attempt(db.session, ticket, Answer(outcome, "81000103122623190001"), utcnow())


@pytest.fixture
def ours(merchant, counter, manager, cashier):
    """Six of our documents: pending, unknown and rejected past 12 hours; one reported, one recent, one alerted."""
    pending, unknown, rejected, reported, recent, alerted = documents_sold(merchant, counter, manager, cashier, 6)
    settled_as(unknown, AttemptOutcome.UNKNOWN)
    settled_as(rejected, AttemptOutcome.REJECTED)
    settled_as(reported, AttemptOutcome.REPORTED)
    for document in (pending, unknown, rejected, reported, alerted):
        aged(document, HOURS + 1)
    aged(recent, HOURS - 1)
    alerted.alerted_at = utcnow() - timedelta(minutes=30)
    db.session.flush()
    return {"pending": pending, "unknown": unknown, "rejected": rejected, "alerted": alerted}


@pytest.fixture
def theirs(other_merchant):
    """Another merchant with one document past 12 hours, and its owner."""
    roles = factories.roles_of(other_merchant)
    owner = factories.UserFactory(merchant=other_merchant, role=roles["Owner"], all_branches=True)
    branch = factories.BranchFactory(merchant=other_merchant)
    counter = factories.CounterFactory(branch=branch)
    cashier = factories.UserFactory(merchant=other_merchant, branches=[branch])
    [document] = documents_sold(other_merchant, counter, owner, cashier, 1)
    aged(document, HOURS + 2)
    db.session.flush()
    return owner, document


def test_documents_to_alert_are_each_merchants_open_ones_past_the_hours_nobody_was_told_of(merchant, ours, theirs):
    found = overdue_to_alert(db.session, utcnow() - timedelta(hours=HOURS))

    assert {merchant_id: [d.id for d in documents] for merchant_id, documents in found.items()} == {
        merchant.id: [ours["pending"].id, ours["unknown"].id, ours["rejected"].id],
        theirs[1].merchant_id: [theirs[1].id],
    }


def test_the_overdue_count_is_the_merchants_open_documents_past_the_hours_told_of_or_not(merchant, ours, theirs):
    assert overdue_count(db.session, merchant.id, utcnow() - timedelta(hours=HOURS)) == Overdue(sales=4)
    assert not overdue_count(db.session, merchant.id, utcnow() - timedelta(hours=HOURS + 3))
    assert overdue_count(db.session, theirs[1].merchant_id, utcnow() - timedelta(hours=HOURS)).total == 1


def test_owners_and_active_resolvers_are_emailed_once_about_their_own_merchants_documents(
    merchant, roles, owner, manager, cashier, ours, theirs
):
    accountant = factories.UserFactory(merchant=merchant, role=roles["Accountant"], all_branches=True)
    factories.UserFactory(merchant=merchant, role=roles["Manager"], all_branches=True, active=False)
    now = utcnow()

    assert alert_overdue(db.session, now, HOURS) == 4  # three of ours, one of theirs
    assert alert_overdue(db.session, now, HOURS) == 0  # told already

    emails = db.session.scalars(select(OutgoingEmail).order_by(OutgoingEmail.id)).all()
    # Our owner, manager and accountant (not the cashier, not the inactive manager); their owner about theirs.
    assert sorted((e.merchant_id, e.to_address) for e in emails) == sorted(
        [
            (merchant.id, owner.email),
            (merchant.id, manager.email),
            (merchant.id, accountant.email),
            (theirs[1].merchant_id, theirs[0].email),
        ]
    )
    [ours_email, *_] = [e for e in emails if e.merchant_id == merchant.id]
    assert ours_email.subject.endswith("3 sales not yet reported to FBR after 12 hours")
    assert ours["pending"].usin in ours_email.body_text and theirs[1].usin not in ours_email.body_text
    assert [ours[k].alerted_at for k in ("pending", "unknown", "rejected")] == [now] * 3


@pytest.mark.parametrize(
    ("sales", "credit_notes", "said"),
    [
        (1, 0, "1 sale has"),
        (2, 1, "2 sales and 1 credit note have"),
        (0, 1, "1 credit note has"),
        (0, 3, "3 credit notes have"),
        (1, 1, "1 sale and 1 credit note have"),
    ],
)
def test_what_is_overdue_is_counted_in_words_sales_and_credit_notes_apart(sales, credit_notes, said):
    overdue = Overdue(sales, credit_notes)
    assert f"{overdue.wording} {overdue.have}" == said and overdue.total == sales + credit_notes and overdue
    assert overdue.them == ("it" if sales + credit_notes == 1 else "them") and not Overdue()
