"""Reporting sales to FBR end to end against the sandbox: inline after checkout, the queue, retries, reconciliation."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from ismartsync.errors import DomainError
from ismartsync.extensions import db
from ismartsync.fiscal import circuit
from ismartsync.models import AuditEntry, FiscalDocument, Sale
from ismartsync.models.base import utcnow
from ismartsync.pipelines.fbr_report import report_after_checkout, report_document
from ismartsync.queue import redis_connection
from ismartsync.services.audit import Actor
from ismartsync.services.fiscal import documents as fiscal
from tests import factories
from tests.selling import open_till, sell, stock_items

SALES = 60


@pytest.fixture
def selling(merchant, branch, counter, manager, cashier):
    factories.enable_fbr(merchant, counter)
    actor = open_till(manager, cashier, counter)
    return actor, stock_items(merchant, branch)


def sale_with_document(selling, counter) -> tuple[Sale, FiscalDocument]:
    actor, items = selling
    sale = sell(actor, counter, items[0], items[1])
    db.session.commit()
    return sale, fiscal.document_of_sale(db.session, sale.id)


def reload(document: FiscalDocument) -> FiscalDocument:
    db.session.expire_all()
    return db.session.get(FiscalDocument, document.id)


def invoices(fbr) -> list[dict]:
    return fbr.control("GET", "/invoices")["invoices"]


def make_due(document: FiscalDocument) -> None:
    document.next_attempt_at = utcnow() - timedelta(seconds=1)
    db.session.commit()


def test_the_inline_attempt_reports_the_sale_and_logs_the_attempt(selling, counter, fbr):
    sale, document = sale_with_document(selling, counter)

    report_after_checkout(db.session, document.id)

    document = reload(document)
    recorded = fbr.control("GET", f"/invoices/{factories.FIRST_POSID}/{sale.usin}")
    assert (document.status, document.fbr_number) == ("reported", recorded["InvoiceNumber"])
    assert document.reported_at is not None and not document.offline_issued
    assert recorded["body"] == document.request  # FBR got exactly the request written at checkout
    [attempt] = document.attempt_log
    assert (attempt.number, attempt.trigger, attempt.outcome, attempt.http_status) == (1, "checkout", "reported", 200)
    assert attempt.response["InvoiceNumber"] == document.fbr_number and attempt.elapsed_ms is not None


def test_fbr_down_at_the_sale_marks_it_offline_and_the_queue_reports_it_with_the_same_usin(selling, counter, fbr):
    fbr.control("POST", "/faults", {"mode": "down"})
    sale, document = sale_with_document(selling, counter)

    report_after_checkout(db.session, document.id)

    document = reload(document)
    assert (document.status, document.offline_issued, document.fbr_number) == ("pending", True, None)
    assert "unavailable" in document.last_error
    waited = (document.next_attempt_at - document.last_attempt_at).total_seconds()
    assert 29 <= waited <= 31  # the first backoff step
    assert fiscal.due_documents(db.session, utcnow()) == []  # not before its time

    make_due(document)
    report_document(db.session, document.id, trigger="queue", timeout=2)

    document = reload(document)
    assert document.status == "reported" and document.offline_issued  # it stays marked offline, as the law says
    assert [(a.trigger, a.outcome) for a in document.attempt_log] == [
        ("checkout", "unreachable"),
        ("queue", "reported"),
    ]
    [invoice] = invoices(fbr)
    assert invoice["USIN"] == sale.usin and invoice["InvoiceNumber"] == document.fbr_number


def test_once_most_recent_attempts_failed_the_next_sales_do_not_wait_on_fbr(selling, counter, fbr):
    fbr.control("POST", "/faults", {"mode": "down", "count": 2})
    for _ in range(2):
        _, failed = sale_with_document(selling, counter)
        report_after_checkout(db.session, failed.id)
    requests_before = len(fbr.control("GET", "/requests")["requests"])

    _, skipped = sale_with_document(selling, counter)
    report_after_checkout(db.session, skipped.id)

    skipped = reload(skipped)
    assert len(fbr.control("GET", "/requests")["requests"]) == requests_before  # the counter did not try
    assert (skipped.status, skipped.offline_issued, skipped.attempts) == ("pending", True, 0)
    assert skipped.id in fiscal.due_documents(db.session, utcnow())  # the queue has it


def test_a_five_percent_failure_rate_leaves_only_the_receipts_fbr_failed_without_a_number(selling, counter, fbr):
    # With this seed the 21st, 22nd and 30th requests fail: two failures in a row among many answers.
    fbr.control("POST", "/faults", {"mode": "down", "count": 10_000, "probability": 0.05, "seed": 2})
    actor, items = selling

    for _ in range(SALES):
        sale = sell(actor, counter, items[0])
        db.session.commit()
        report_after_checkout(db.session, fiscal.document_of_sale(db.session, sale.id).id)

    failed = [r for r in fbr.control("GET", "/requests")["requests"] if r["fault"]]
    offline = db.session.scalar(select(func.count()).where(FiscalDocument.offline_issued.is_(True)))
    print(f"5 % of FBR answers failing: {offline} of {SALES} receipts printed without an FBR number")
    assert offline == len(failed)  # every other sale tried FBR and printed its number
    assert len(failed) == 3


def test_one_queued_attempt_that_timed_out_does_not_stop_the_counters_trying(selling, counter, fbr):
    fbr.control("POST", "/faults", {"mode": "slow", "delay_ms": 1500})
    _, queued = sale_with_document(selling, counter)
    report_document(db.session, queued.id, trigger="queue", timeout=0.5)
    assert reload(queued).status == "unknown"

    _, next_sale = sale_with_document(selling, counter)
    report_after_checkout(db.session, next_sale.id)

    next_sale = reload(next_sale)
    assert (next_sale.status, next_sale.offline_issued) == ("reported", False)


def test_when_fbr_answers_again_every_document_waiting_out_a_backoff_is_sent_at_once(selling, counter, fbr, run_jobs):
    fbr.control("POST", "/faults", {"mode": "down", "count": 2})
    _, first = sale_with_document(selling, counter)
    _, second = sale_with_document(selling, counter)
    for document in (first, second):
        report_after_checkout(db.session, document.id)
    assert fiscal.due_documents(db.session, utcnow()) == []
    assert not circuit.allows_inline(redis_connection(), f"{fbr.url}/FBR/v1/api/Live/PostData")

    make_due(reload(first))
    report_document(db.session, first.id, trigger="queue", timeout=2)  # the queue's probe

    assert reload(first).status == "reported"
    run_jobs("fiscal")  # the report of the second was queued, not left to wait out its 30 s
    assert reload(second).status == "reported"
    assert circuit.allows_inline(redis_connection(), f"{fbr.url}/FBR/v1/api/Live/PostData")


def test_a_timeout_after_fbr_recorded_it_is_unknown_and_never_resent_by_the_queue(selling, counter, fbr):
    fbr.control("POST", "/faults", {"mode": "timeout_after_record", "delay_ms": 2000})
    _, document = sale_with_document(selling, counter)

    report_after_checkout(db.session, document.id)

    document = reload(document)
    assert (document.status, document.offline_issued, document.next_attempt_at) == ("unknown", True, None)
    assert fiscal.due_documents(db.session, utcnow() + timedelta(days=1)) == []
    assert report_document(db.session, document.id, trigger="queue", timeout=2) is None  # the queue refuses too
    assert len(invoices(fbr)) == 1


def test_sending_an_unknown_one_again_sends_the_same_request_and_gets_the_number_fbr_recorded(
    selling, counter, fbr, manager
):
    fbr.control("POST", "/faults", {"mode": "timeout_after_record", "delay_ms": 2000})
    sale, document = sale_with_document(selling, counter)
    report_after_checkout(db.session, document.id)
    request = dict(reload(document).request)

    fiscal.send_again(db.session, Actor(manager), reload(document), utcnow())
    db.session.commit()
    report_document(db.session, document.id, trigger="manual", timeout=2)

    document = reload(document)
    [invoice] = invoices(fbr)  # one invoice at FBR for the USIN, however often it was sent
    assert invoice["repeats"] == [request]  # the same bytes again, never a new USIN
    assert (document.status, document.fbr_number, document.usin) == ("reported", invoice["InvoiceNumber"], sale.usin)
    audit = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "fiscal.send_again")).one()
    assert audit.actor_id == manager.id and audit.before == {"status": "unknown"}


@pytest.mark.parametrize("status", [401, 403])
def test_refused_credentials_keep_it_pending_and_retry_in_15_minutes(selling, counter, fbr, status):
    fbr.control("POST", "/faults", {"mode": "gateway", "status": status})
    _, document = sale_with_document(selling, counter)

    report_after_checkout(db.session, document.id)

    document = reload(document)
    assert (document.status, document.offline_issued) == ("pending", True)
    assert f"HTTP {status}" in document.last_error
    assert (document.next_attempt_at - document.last_attempt_at).total_seconds() == pytest.approx(900, abs=1)
    # Credentials say nothing about FBR being down: the next sale tries inline again.
    assert circuit.allows_inline(redis_connection(), f"{fbr.url}/FBR/v1/api/Live/PostData")


def test_a_counter_whose_token_was_removed_is_refused_without_calling_fbr(selling, counter, merchant, fbr):
    _, document = sale_with_document(selling, counter)
    merchant.fbr_token = None
    db.session.commit()

    report_document(db.session, document.id, trigger="queue", timeout=2)

    document = reload(document)
    assert document.status == "pending" and "No FBR token" in document.last_error
    assert fbr.control("GET", "/requests")["requests"] == []


def test_a_rejection_needs_a_person_and_sending_it_again_sends_what_was_fixed(selling, counter, merchant, fbr, manager):
    merchant.default_pct_code = "6204420"  # a digit short (saved before Settings checked it): FBR refuses it
    db.session.commit()
    _, document = sale_with_document(selling, counter)  # the test items have no PCT code of their own
    report_after_checkout(db.session, document.id)
    document = reload(document)
    assert document.status == "rejected" and "PCTCode" in document.last_error and document.attempts == 1
    assert fiscal.due_documents(db.session, utcnow() + timedelta(days=1)) == []

    merchant.default_pct_code = "62044200"
    fiscal.send_again(db.session, Actor(manager), document, utcnow())
    db.session.commit()
    report_document(db.session, document.id, trigger="manual", timeout=2)

    document = reload(document)
    assert document.status == "reported"
    assert {item["PCTCode"] for item in document.request["Items"]} == {"62044200"}


def test_the_queue_does_not_send_a_document_whose_attempt_is_on_its_way(selling, counter, fbr):
    _, document = sale_with_document(selling, counter)
    fiscal.start_attempt(db.session, document.id, "checkout", utcnow())

    assert report_document(db.session, document.id, trigger="queue", timeout=2) is None
    assert fbr.control("GET", "/requests")["requests"] == []


def test_a_person_settles_an_unknown_one_with_the_number_found_at_fbr(selling, counter, fbr, manager):
    fbr.control("POST", "/faults", {"mode": "timeout_after_record", "delay_ms": 2000})
    _, document = sale_with_document(selling, counter)
    report_after_checkout(db.session, document.id)
    number = invoices(fbr)[0]["InvoiceNumber"]
    document = reload(document)

    with pytest.raises(DomainError) as bad:
        fiscal.settle_by_hand(db.session, Actor(manager), document, "12 34", "", utcnow())
    assert bad.value.field == "fbr_number"
    fiscal.settle_by_hand(db.session, Actor(manager), document, f" {number} ", "Found in IRIS", utcnow())
    db.session.commit()

    document = reload(document)
    assert (document.status, document.fbr_number, document.resolved_by_id) == ("reported", number, manager.id)
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "fiscal.settle")).one()
    assert entry.after["fbr_number"] == number and entry.after["note"] == "Found in IRIS"
    with pytest.raises(DomainError, match="already has"):
        fiscal.send_again(db.session, Actor(manager), document, utcnow())
