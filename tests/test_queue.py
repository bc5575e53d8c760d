"""Jobs run only after the commit that asked for them, and a Redis outage never loses an email."""

from __future__ import annotations

from datetime import timedelta

import pytest
from redis import Redis
from sqlalchemy import select

from ismartsync.extensions import db
from ismartsync.models import EmailStatus, OutgoingEmail
from ismartsync.queue import enqueue_after_commit
from ismartsync.services.email import requeue_stale_emails
from tests import factories

CALLS: list[tuple[object, ...]] = []


def record_call(*args: object) -> None:
    """A job for these tests: it only notes that it ran."""
    CALLS.append(args)


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
