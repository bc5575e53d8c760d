"""Reading fiscal documents back for FBR reporting, called directly: which documents a member's branches show, the
filters, the pages, the counts per status, the overdue figure and one document in full (never another merchant's)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from ismartsync.extensions import db
from ismartsync.models import FiscalDocument, FiscalStatus
from ismartsync.models.base import utcnow
from ismartsync.services.fiscal import documents as fiscal
from ismartsync.services.fiscal import listing
from ismartsync.services.fiscal.listing import OPEN, ListingFilters
from tests import factories
from tests.selling import open_till, sell, stock_items

NUMBER = "81000103122623190001"


@pytest.fixture
def documents(merchant, branch, counter, manager, till, items):
    """Three documents at Counter 1 of Gulberg (the middle one reported) and one at DHA's counter."""
    dha = factories.BranchFactory(merchant=merchant, name="DHA")
    dha_counter = factories.CounterFactory(branch=dha, name="Counter 1")
    factories.enable_fbr(merchant, counter, dha_counter)
    gulberg = [fiscal.document_of_sale(db.session, sell(till, counter, item).id) for item in items]
    gulberg[1].status = FiscalStatus.REPORTED
    gulberg[1].fbr_number = NUMBER
    dha_till = open_till(manager, factories.UserFactory(merchant=merchant, branches=[dha]), dha_counter)
    elsewhere = fiscal.document_of_sale(db.session, sell(dha_till, dha_counter, *stock_items(merchant, dha)[:1]).id)
    db.session.flush()
    return gulberg, elsewhere


def ids(documents: list[FiscalDocument]) -> list[int]:
    return [document.id for document in documents]


def test_a_branch_shows_only_its_own_documents_newest_first(merchant, branch, documents):
    gulberg, elsewhere = documents

    page = listing.search_documents(db.session, merchant.id, ListingFilters(branch_ids=(branch.id,)))

    assert ids(page.documents) == ids(reversed(gulberg))
    assert page.page == 1 and not page.has_more
    both = listing.search_documents(
        db.session, merchant.id, ListingFilters(branch_ids=(branch.id, elsewhere.counter.branch_id))
    )
    assert set(ids(both.documents)) == set(ids(gulberg)) | {elsewhere.id}


def test_filters_by_status_open_counter_and_part_of_a_usin_or_fbr_number(merchant, branch, counter, documents):
    gulberg, _ = documents

    def found(**filters) -> list[int]:
        return ids(listing.search_documents(db.session, merchant.id, ListingFilters((branch.id,), **filters)).documents)

    assert found(status=FiscalStatus.REPORTED) == [gulberg[1].id]
    assert found(status=OPEN) == [gulberg[2].id, gulberg[0].id]
    assert found(status="nonsense") == ids(reversed(gulberg))  # an unknown status filters nothing out
    assert found(text=NUMBER[-6:]) == [gulberg[1].id]
    assert found(text=gulberg[2].usin.lower()) == [gulberg[2].id]  # case does not matter
    assert found(text="%") == [] and found(text="_") == []  # LIKE's wildcards are searched for, not obeyed
    assert found(counter_id=counter.id + 999) == []


def test_pages_hold_fifty_and_say_whether_more_follow(merchant, branch, documents, monkeypatch):
    monkeypatch.setattr(listing, "PAGE_SIZE", 2)
    filters = ListingFilters(branch_ids=(branch.id,))

    first = listing.search_documents(db.session, merchant.id, filters)
    second = listing.search_documents(db.session, merchant.id, filters, page=2)
    beyond = listing.search_documents(db.session, merchant.id, filters, page=10**9)

    assert len(first.documents) == 2 and first.has_more
    assert len(second.documents) == 1 and not second.has_more
    assert beyond.page == 10_000 and beyond.documents == []


def test_counts_every_status_even_when_none(merchant, branch, documents):
    assert listing.status_counts(db.session, merchant.id, (branch.id,)) == {
        "pending": 2,
        "reported": 1,
        "rejected": 0,
        "unknown": 0,
    }


def test_overdue_counts_open_documents_older_than_the_limit(merchant, branch, documents):
    gulberg, _ = documents
    gulberg[0].created_at = utcnow() - timedelta(hours=30)
    gulberg[1].created_at = utcnow() - timedelta(hours=30)  # reported: never overdue
    db.session.flush()

    assert listing.overdue_in(db.session, merchant.id, (branch.id,), utcnow() - timedelta(hours=24)).sales == 1
    assert listing.overdue_in(db.session, merchant.id, (branch.id,), utcnow() - timedelta(hours=48)).total == 0


def test_one_document_in_full_and_never_another_merchants(merchant, other_merchant, documents):
    gulberg, _ = documents

    document = listing.get_document(db.session, merchant.id, gulberg[0].id)

    assert document is gulberg[0] and document.sale is not None and document.attempt_log == []
    assert listing.get_document(db.session, other_merchant.id, gulberg[0].id) is None
    assert (
        listing.search_documents(
            db.session, other_merchant.id, ListingFilters((gulberg[0].counter.branch_id,))
        ).documents
        == []
    )
