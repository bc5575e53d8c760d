"""Jobs run only after the commit that asked for them, and a Redis outage never loses an email."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from redis import Redis
from sqlalchemy import select

from ismartsync.extensions import db
from ismartsync.models import EmailStatus, OutgoingEmail
from ismartsync.queue import enqueue_after_commit
from ismartsync.services.email import requeue_stale_emails
from tests import factories
from tests.conftest import REDIS_URL

CALLS: list[tuple[object, ...]] = []


def record_call(*args: object) -> None:
    """A job for these tests: it only notes that it ran."""
    CALLS.append(args)


RAN = threading.Event()


def record_thread() -> None:
    """A job noting which thread ran it."""
    CALLS.append((threading.current_thread().name,))
    RAN.set()


@pytest.fixture(autouse=True)
def _no_calls():
    CALLS.clear()
    yield
    CALLS.clear()


def test_job_runs_only_once_the_transaction_commits(run_jobs):
    enqueue_after_commit(db.session, "tests.test_queue.record_call", 7, "seven")
    run_jobs("default")
    assert CALLS == []
    db.session.commit()
    run_jobs("default")
    assert CALLS == [(7, "seven")]


def test_job_of_a_rolled_back_transaction_never_runs(run_jobs):
    factories.MerchantFactory()  # the work the job was to follow up
    enqueue_after_commit(db.session, "tests.test_queue.record_call", 7)
    db.session.rollback()
    db.session.commit()
    run_jobs("default")
    assert CALLS == []


def test_job_of_a_rollback_that_wrote_nothing_never_runs(run_jobs):
    enqueue_after_commit(db.session, "tests.test_queue.record_call", 8)
    db.session.rollback()
    factories.MerchantFactory()
    db.session.commit()
    run_jobs("default")
    assert CALLS == []


def test_unknown_queue_is_refused():
    with pytest.raises(ValueError, match="unknown queue"):
        enqueue_after_commit(db.session, "tests.test_queue.record_call", queue="someday")


def _email(address: str) -> OutgoingEmail:
    db.session.expire_all()
    return db.session.scalars(select(OutgoingEmail).where(OutgoingEmail.to_address == address)).one()


def test_invitation_survives_a_redis_outage_and_the_sweeper_sends_it(app, monkeypatch, browser, owner, roles, run_jobs):
    browser.sign_in(owner)
    with monkeypatch.context() as outage:
        outage.setitem(app.config, "REDIS_URL", "redis://127.0.0.1:1/0")
        down = Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=1, socket_timeout=1)
        outage.setitem(app.extensions, "ismartsync_redis", down)
        data = {"full_name": "Zara Malik", "email": "zara@example.pk", "role_id": roles["Cashier"].id}
        response = browser.post("/staff/invite", {**data, "all_branches": "y"})
        assert response.status_code == 303  # the manager is not shown an error: the email waits
    assert _email("zara@example.pk").status == EmailStatus.QUEUED
    assert requeue_stale_emails(db.session, older_than=timedelta(0)) == 1
    db.session.commit()
    run_jobs("email")
    assert _email("zara@example.pk").status == EmailStatus.SENT


@pytest.mark.skipif(not REDIS_URL, reason="needs ISMARTSYNC_TEST_REDIS_URL: without Redis each job runs at its commit")
def test_a_unique_job_is_enqueued_once_while_it_waits(run_jobs):
    for _ in range(3):
        enqueue_after_commit(db.session, "tests.test_queue.record_call", 5, unique=True)
        db.session.commit()
    run_jobs("default")
    assert CALLS == [(5,)]


def test_without_redis_the_demo_runs_jobs_on_a_background_thread_after_the_commit(app, monkeypatch):
    monkeypatch.setitem(app.config, "REDIS_URL", None)
    monkeypatch.setitem(app.config, "JOBS_IN_BACKGROUND", True)
    monkeypatch.delitem(app.extensions, "ismartsync_redis", raising=False)
    RAN.clear()
    enqueue_after_commit(db.session, "tests.test_queue.record_thread")
    assert CALLS == []
    db.session.commit()
    assert RAN.wait(10)
    assert CALLS == [("in-process-jobs",)]
