"""`/healthz`: a load balancer reads ok or degraded from anyone; the details (database, Redis, queues, workers) are
for a signed-in member who may open Settings, or for a monitor sending the health token."""

from __future__ import annotations

import pytest
from redis import Redis

from ismartsync.extensions import db
from ismartsync.queue import QUEUES, get_queue
from ismartsync.services.email import queue_email
from tests import factories
from tests.conftest import REDIS_URL

TOKEN = "a-long-random-health-token"


@pytest.fixture
def health_token(app, monkeypatch):
    monkeypatch.setitem(app.config, "HEALTH_TOKEN", TOKEN)
    return {"Authorization": f"Bearer {TOKEN}"}


def test_healthz_tells_anyone_only_ok(client, health_token):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.is_json
    assert response.get_json() == {"status": "ok"}  # no queue names, no counts, no versions


def test_healthz_gives_the_details_to_a_monitor_with_the_token(client, health_token):
    body = client.get("/healthz", headers=health_token).get_json()
    assert body["status"] == "ok"
    assert body["checks"]["database"] == {"ok": True}
    assert body["checks"]["redis"]["ok"] is True


@pytest.mark.parametrize("header", ["Bearer wrong-token", f"Basic {TOKEN}", f"Bearer {TOKEN}x", "Bearer "])
def test_healthz_keeps_the_details_from_a_wrong_token(client, health_token, header):
    assert client.get("/healthz", headers={"Authorization": header}).get_json() == {"status": "ok"}


def test_without_a_configured_token_no_bearer_header_opens_the_details(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "HEALTH_TOKEN", None)
    assert client.get("/healthz", headers={"Authorization": "Bearer "}).get_json() == {"status": "ok"}
    assert client.get("/healthz", headers={"Authorization": "Bearer None"}).get_json() == {"status": "ok"}


def test_healthz_gives_the_details_to_a_member_who_may_open_settings(browser, manager):
    browser.sign_in(manager)
    body = browser.get("/healthz").get_json()
    assert body["checks"]["database"] == {"ok": True}


def test_healthz_keeps_the_details_from_a_locked_screen(paired_tablet, manager):
    paired_tablet.post(f"/device/pin/{manager.id}", {"pin": factories.PIN})
    assert "checks" in paired_tablet.get("/healthz").get_json()
    paired_tablet.post("/device/lock")  # the manager locked the tablet and walked away
    assert paired_tablet.get("/healthz").get_json() == {"status": "ok"}


def test_healthz_keeps_the_details_from_a_cashier(browser, cashier):
    browser.sign_in(cashier)
    assert browser.get("/healthz").get_json() == {"status": "ok"}


@pytest.mark.skipif(bool(REDIS_URL), reason="without Redis only: jobs then run in-process")
def test_healthz_says_jobs_run_in_process_without_redis(client, health_token):
    assert client.get("/healthz", headers=health_token).get_json()["checks"]["redis"] == {
        "ok": True,
        "mode": "in-process jobs (no Redis configured)",
    }


@pytest.mark.skipif(not REDIS_URL, reason="needs ISMARTSYNC_TEST_REDIS_URL: queues exist only with Redis")
def test_healthz_counts_waiting_jobs_per_queue(app, client, run_jobs, health_token):
    get_queue("email").empty()
    queue_email(db.session, "someone@example.pk", "Hello", "reset", None, user=None, link="http://localhost/x")
    db.session.commit()  # enqueues after the commit; the outer test transaction still rolls back
    checks = client.get("/healthz", headers=health_token).get_json()["checks"]
    assert set(checks["queues"]) == set(QUEUES)
    assert checks["queues"]["email"]["queued"] == 1
    assert isinstance(checks["workers"], int)
    run_jobs("email")
    assert client.get("/healthz", headers=health_token).get_json()["checks"]["queues"]["email"]["queued"] == 0


def test_healthz_reports_degraded_when_redis_is_unreachable(app, client, monkeypatch, health_token):
    monkeypatch.setitem(app.config, "REDIS_URL", "redis://127.0.0.1:1/0")
    unreachable = Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=1, socket_timeout=1)
    monkeypatch.setitem(app.extensions, "ismartsync_redis", unreachable)

    public = client.get("/healthz")
    assert (public.status_code, public.get_json()) == (503, {"status": "degraded"})

    response = client.get("/healthz", headers=health_token)
    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "degraded"
    assert body["checks"]["redis"] == {"ok": False, "error": "ConnectionError"}
    assert body["checks"]["database"] == {"ok": True}
