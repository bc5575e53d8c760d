"""Fiscal documents through their life, called directly: written at checkout, claimed for an attempt, answered,
retried, given up as unknown, sent again or settled by a person. Nothing here reaches FBR (the pipeline's tests do)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from ismartsync.errors import DomainError
from ismartsync.extensions import db
from ismartsync.fiscal.backends import Answer
from ismartsync.models import AttemptOutcome, FiscalAttempt, FiscalDocument, FiscalStatus
from ismartsync.models.base import utcnow
from ismartsync.services.audit import Actor
from ismartsync.services.fiscal import documents as fiscal
from tests import factories
from tests.selling import open_till, sell

NUMBER = "81000103122623190001"  # an FBR invoice number as the IMS answers it


@pytest.fixture
def selling(merchant, counter, till, items):
    """Sana's till open on Counter 1, which reports to FBR's sandbox environment (POSID 810001)."""
    factories.enable_fbr(merchant, counter)
    return till, items


def placed(selling, counter) -> FiscalDocument:
    """A sale just placed at the FBR counter, and the pending document checkout wrote for it."""
    actor, items = selling
    sale = sell(actor, counter, items[0], items[1])
    return fiscal.document_of_sale(db.session, sale.id)


def reload(document: FiscalDocument) -> FiscalDocument:
    db.session.expire_all()
    return db.session.get(FiscalDocument, document.id)


def answered(document: FiscalDocument, answer: Answer, trigger: str = "queue") -> FiscalDocument:
    """One attempt at the document that FBR answered with `answer`."""
    ticket = fiscal.start_attempt(db.session, document.id, trigger, utcnow())
    assert ticket is not None
    return fiscal.finish_attempt(db.session, ticket, answer, utcnow())


def test_each_fbr_counter_writes_gapless_usins_under_its_own_posid_and_other_counters_none(
    merchant, branch, counter, manager, selling
):
    second = factories.CounterFactory(branch=branch, name="Counter 2")
    quiet = factories.CounterFactory(branch=branch, name="Counter 3")  # not switched on: no POSID
    factories.enable_fbr(merchant, counter, second)
    first_till, items = selling
    second_till = open_till(manager, factories.UserFactory(merchant=merchant, branches=[branch]), second)
    sales = [
        sell(first_till, counter, items[0]),
        sell(second_till, second, items[1]),
        sell(first_till, counter, items[2]),
    ]

    documents = [fiscal.document_of_sale(db.session, sale.id) for sale in sales]

    assert [(d.usin, d.pos_id, d.status) for d in documents] == [
        (f"GUL-C{counter.id}-000001", factories.FIRST_POSID, "pending"),
        (f"GUL-C{second.id}-000001", factories.FIRST_POSID + 1, "pending"),
        (f"GUL-C{counter.id}-000002", factories.FIRST_POSID, "pending"),
    ]
    assert [d.next_attempt_at for d in documents] == [s.placed_at for s in sales]  # due as soon as it is written
    quiet_till = open_till(manager, factories.UserFactory(merchant=merchant, branches=[branch]), quiet)
    unreported = sell(quiet_till, quiet, items[0])
    assert fiscal.document_of_sale(db.session, unreported.id) is None
    assert fiscal.open_fiscal_document(db.session, merchant, quiet, unreported) is None


def test_starting_an_attempt_claims_the_document_and_carries_its_written_request(selling, counter):
    document = placed(selling, counter)
    now = utcnow()

    ticket = fiscal.start_attempt(db.session, document.id, "checkout", now)

    document = reload(document)
    assert (document.attempts, document.sending_since, document.last_attempt_at) == (1, now, now)
    assert (ticket.number, ticket.trigger, ticket.body) == (1, "checkout", document.request)
    assert (ticket.token, ticket.backend, ticket.environment) == (factories.FBR_TOKEN, "ims_cloud", "sandbox")
    attempt = db.session.get(FiscalAttempt, ticket.attempt_id)
    assert (attempt.document_id, attempt.number, attempt.started_at, attempt.finished_at) == (document.id, 1, now, None)


def test_one_attempt_at_a_time_however_many_ask(selling, counter):
    document = placed(selling, counter)

    first = fiscal.start_attempt(db.session, document.id, "checkout", utcnow())
    second = fiscal.start_attempt(db.session, document.id, "queue", utcnow())

    assert first is not None and second is None


@pytest.mark.parametrize("outcome", [AttemptOutcome.REPORTED, AttemptOutcome.REJECTED, AttemptOutcome.UNKNOWN])
def test_a_document_that_is_no_longer_pending_is_never_claimed(selling, counter, outcome):
    document = answered(placed(selling, counter), Answer(outcome, NUMBER if outcome == "reported" else None))

    assert fiscal.start_attempt(db.session, document.id, "queue", utcnow()) is None
    assert reload(document).attempts == 1


@pytest.mark.parametrize(
    ("outcome", "status", "fbr_number", "waits"),
    [
        (AttemptOutcome.REPORTED, "reported", NUMBER, None),
        (AttemptOutcome.REJECTED, "rejected", None, None),  # a person must look at it
        (AttemptOutcome.UNKNOWN, "unknown", None, None),  # FBR may hold it: never resent blindly
        (AttemptOutcome.REFUSED, "pending", None, timedelta(minutes=15)),
        (AttemptOutcome.UNREACHABLE, "pending", None, timedelta(seconds=30)),
    ],
)
def test_finishing_an_attempt_moves_the_document_on_by_fbrs_answer(
    selling, counter, outcome, status, fbr_number, waits
):
    document = placed(selling, counter)
    ticket = fiscal.start_attempt(db.session, document.id, "queue", utcnow())
    now = utcnow()
    answer = Answer(outcome, NUMBER if outcome == "reported" else None, 200, {"Code": "100"}, "what FBR said", 812)

    fiscal.finish_attempt(db.session, ticket, answer, now)

    document = reload(document)
    assert (document.status, document.fbr_number, document.sending_since) == (status, fbr_number, None)
    assert document.next_attempt_at == (now + waits if waits else None)
    assert document.reported_at == (now if status == "reported" else None)
    assert document.last_error == ("" if status == "reported" else "what FBR said")
    assert not document.offline_issued  # a queued attempt prints no receipt
    attempt = db.session.get(FiscalAttempt, ticket.attempt_id)
    assert (attempt.outcome, attempt.http_status, attempt.finished_at, attempt.elapsed_ms) == (outcome, 200, now, 812)


def test_a_failed_attempt_at_checkout_marks_the_receipt_offline(selling, counter):
    document = answered(placed(selling, counter), Answer(AttemptOutcome.UNREACHABLE, error="down"), "checkout")

    assert document.offline_issued and document.status == "pending"


def test_each_unreachable_attempt_waits_longer_before_the_next(selling, counter):
    document = placed(selling, counter)
    waits = []
    for _ in range(3):
        ticket = fiscal.start_attempt(db.session, document.id, "queue", utcnow())
        now = utcnow()
        document = fiscal.finish_attempt(db.session, ticket, Answer(AttemptOutcome.UNREACHABLE), now)
        waits.append((document.next_attempt_at - now).total_seconds())

    assert waits == [30, 60, 120]


def test_backoff_follows_30s_1_2_4_8_minutes_then_every_10():
    assert [fiscal.retry_delay(n) for n in range(1, 9)] == [30, 60, 120, 240, 480, 600, 600, 600]


def test_due_documents_are_the_pending_ones_due_and_not_on_their_way_oldest_first(selling, counter):
    now = utcnow()
    late, due, later, sending, reported = (placed(selling, counter) for _ in range(5))
    late.next_attempt_at, due.next_attempt_at = now - timedelta(minutes=5), now - timedelta(minutes=1)
    later.next_attempt_at = now + timedelta(seconds=30)
    fiscal.start_attempt(db.session, sending.id, "queue", now - timedelta(minutes=10))
    answered(reported, Answer(AttemptOutcome.REPORTED, NUMBER))
    db.session.flush()

    assert fiscal.due_documents(db.session, now) == [late.id, due.id]
    assert fiscal.due_documents(db.session, now, limit=1) == [late.id]
    assert fiscal.due_documents(db.session, now + timedelta(minutes=1)) == [late.id, due.id, later.id]


def test_an_attempt_whose_process_died_becomes_unknown(selling, counter):
    document = placed(selling, counter)
    ticket = fiscal.start_attempt(db.session, document.id, "queue", utcnow() - timedelta(minutes=5))
    db.session.commit()

    expired = fiscal.expire_stale_attempts(db.session, utcnow() - timedelta(minutes=1), utcnow())

    document = reload(document)
    assert expired == 1 and document.status == "unknown" and document.sending_since is None
    attempt = db.session.get(FiscalAttempt, ticket.attempt_id)
    assert attempt.outcome == "unknown" and "never finished" in attempt.error


def test_an_attempt_still_within_its_time_is_left_to_finish(selling, counter):
    document = placed(selling, counter)
    fiscal.start_attempt(db.session, document.id, "queue", utcnow())

    assert fiscal.expire_stale_attempts(db.session, utcnow() - timedelta(minutes=1), utcnow()) == 0
    assert (reload(document).status, reload(document).sending_since is not None) == ("pending", True)


def test_an_answer_that_outlives_its_attempt_still_brings_the_number(selling, counter):
    document = placed(selling, counter)
    ticket = fiscal.start_attempt(db.session, document.id, "queue", utcnow() - timedelta(minutes=5))
    db.session.commit()
    fiscal.expire_stale_attempts(db.session, utcnow() - timedelta(minutes=1), utcnow())  # given up: unknown
    db.session.commit()

    answer = Answer(AttemptOutcome.REPORTED, "81000103122623190001", 200, {"Code": "100"})
    fiscal.finish_attempt(db.session, ticket, answer, utcnow())

    document = reload(document)
    assert (document.status, document.fbr_number) == ("reported", "81000103122623190001")


def test_a_late_failure_after_the_attempt_was_given_up_only_reaches_its_attempt(selling, counter):
    document = placed(selling, counter)
    ticket = fiscal.start_attempt(db.session, document.id, "queue", utcnow() - timedelta(minutes=5))
    fiscal.expire_stale_attempts(db.session, utcnow() - timedelta(minutes=1), utcnow())

    fiscal.finish_attempt(db.session, ticket, Answer(AttemptOutcome.UNREACHABLE, error="reset"), utcnow())

    document = reload(document)
    assert (document.status, document.next_attempt_at) == ("unknown", None)  # still for a person to reconcile
    assert "never finished" in document.last_error
    assert db.session.get(FiscalAttempt, ticket.attempt_id).error == "reset"


def test_nobody_sends_again_or_settles_while_an_attempt_is_on_its_way(selling, counter, manager):
    document = placed(selling, counter)
    fiscal.start_attempt(db.session, document.id, "queue", utcnow())
    document = reload(document)

    with pytest.raises(DomainError, match="on its way"):
        fiscal.send_again(db.session, Actor(manager), document, utcnow())
    with pytest.raises(DomainError, match="on its way"):
        fiscal.settle_by_hand(db.session, Actor(manager), document, NUMBER, "", utcnow())
    assert (document.status, document.fbr_number) == ("pending", None)


def test_sending_an_unknown_one_again_makes_it_due_now_with_the_same_request(selling, counter, manager):
    document = answered(placed(selling, counter), Answer(AttemptOutcome.UNKNOWN))
    request, now = dict(document.request), utcnow()

    fiscal.send_again(db.session, Actor(manager), document, now)

    document = reload(document)
    assert (document.status, document.next_attempt_at, document.request) == ("pending", now, request)
    assert fiscal.due_documents(db.session, now) == [document.id]


def test_an_fbr_number_already_on_another_invoice_is_refused(selling, counter, manager):
    reported = answered(placed(selling, counter), Answer(AttemptOutcome.REPORTED, NUMBER))
    unknown = answered(placed(selling, counter), Answer(AttemptOutcome.UNKNOWN))

    with pytest.raises(DomainError, match="belongs to"):
        fiscal.settle_by_hand(db.session, Actor(manager), reload(unknown), reload(reported).fbr_number, "", utcnow())


def test_settling_by_hand_keeps_who_settled_it_and_a_short_note(selling, counter, manager):
    document = answered(placed(selling, counter), Answer(AttemptOutcome.UNKNOWN))
    now = utcnow()

    fiscal.settle_by_hand(db.session, Actor(manager), document, NUMBER, "  " + "n" * 400, now)

    document = reload(document)
    assert (document.status, document.fbr_number, document.reported_at, document.resolved_at) == (
        FiscalStatus.REPORTED,
        NUMBER,
        now,
        now,
    )
    assert (document.resolved_by_id, document.resolution_note, document.next_attempt_at) == (
        manager.id,
        "n" * 300,
        None,
    )
