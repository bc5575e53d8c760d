"""`/healthz`: what a load balancer or an on-call person reads about the database, Redis and the queues."""

from __future__ import annotations

import pytest
from redis import Redis

from ismartsync.extensions import db
from ismartsync.queue import QUEUES, get_queue
from ismartsync.services.email import queue_email
from tests.conftest import REDIS_URL


def test_healthz_answers_json_without_signing_in(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.is_json
    body = response.get_json()
    assert body["status"] == "ok"
    assert body["checks"]["database"] == {"ok": True}
    assert body["checks"]["redis"]["ok"] is True


@pytest.mark.skipif(bool(REDIS_URL), reason="without Redis only: jobs then run in-process")
def test_healthz_says_jobs_run_in_process_without_redis(client):
    assert client.get("/healthz").get_json()["checks"]["redis"] == {
        "ok": True,
        "mode": "in-process jobs (no Redis configured)",
    }


@pytest.mark.skipif(not REDIS_URL, reason="needs ISMARTSYNC_TEST_REDIS_URL: queues exist only with Redis")
def test_healthz_counts_waiting_jobs_per_queue(app, client, run_jobs):
    get_queue("email").empty()
    queue_email(db.session, "someone@example.pk", "Hello", "reset", None, user=None, link="http://localhost/x")
    db.session.commit()  # enqueues after the commit; the outer test transaction still rolls back
    checks = client.get("/healthz").get_json()["checks"]
    assert set(checks["queues"]) == set(QUEUES)
    assert checks["queues"]["email"]["queued"] == 1
    assert isinstance(checks["workers"], int)
    run_jobs("email")
    assert client.get("/healthz").get_json()["checks"]["queues"]["email"]["queued"] == 0


def test_healthz_reports_degraded_when_redis_is_unreachable(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "REDIS_URL", "redis://127.0.0.1:1/0")
    unreachable = Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=1, socket_timeout=1)
    monkeypatch.setitem(app.extensions, "ismartsync_redis", unreachable)
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "degraded"
    assert body["checks"]["redis"] == {"ok": False, "error": "ConnectionError"}
    assert body["checks"]["database"] == {"ok": True}
