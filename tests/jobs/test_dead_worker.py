"""A worker killed with SIGKILL: its merchant's stock sync resumes within seconds, its scheduler child does not
outlive it, and the job it was running is not reported as a failure once the merchant synced again.

Real `python -m jobs.worker` processes, the Shopify sandbox on a free port. These tests commit for real (worker
processes cannot see a test transaction) and empty the database afterwards.
"""

from __future__ import annotations

import os
import signal
import time

import sqlalchemy as sa
from redis import Redis

from ismartsync.extensions import db
from ismartsync.models import BatchStatus, MovementKind, SyncBatch
from ismartsync.queue import get_queue, resolve
from ismartsync.services.stock.ledger import level_of, record_movement
from jobs import sync
from jobs.scheduler import periodic_jobs
from tests.conftest import REDIS_URL
from tests.jobs.workers import (
    _transaction,  # noqa: F401 (worker processes must see what the test commits)
    alive,
    descendants,
    needs_real_services,
    periodically,
    shopify_settings,
    wait_until,
)
from tests.sandbox_fixtures import SHOP

pytestmark = needs_real_services
HEALTH_TOKEN = "health-token-for-tests"
# The longest a merchant's sync may stay frozen after its worker was killed (SYNC_STALE_SECONDS stays at 180).
FROZEN_AT_MOST = 40


def _held_in_shopify(sandbox, rule: int) -> str:
    waiting = any(f["id"] == rule for f in sandbox.control("GET", "/faults")["faults"])
    return "the batch to reach Shopify" if waiting else ""


def test_a_worker_killed_during_a_push_freezes_the_merchants_stock_sync_for_seconds_and_leaves_no_failure(
    committed, synced, workers, client, monkeypatch
):
    monkeypatch.setitem(committed.config, "HEALTH_TOKEN", HEALTH_TOKEN)
    sandbox = synced.sandbox
    first, second = synced.variants(2)
    pool = workers(**shopify_settings(sandbox))  # SYNC_STALE_SECONDS stays at 180
    [worker] = pool.start(1, "--no-cron", "shopify")
    # Shopify holds the next stock batch for a while (and applies it after the worker is gone).
    rule = sandbox.control("POST", "/faults", {"mode": "slow", "delay_ms": 3000, "operation": "InventoryAdjust"})["id"]
    record_movement(db.session, variant=first, branch=synced.branch, delta=-1, kind=MovementKind.SALE)
    db.session.commit()
    wait_until(lambda: _held_in_shopify(sandbox, rule), 30)

    pool.kill(worker)
    pool.start(1, "--no-cron", "shopify")
    record_movement(db.session, variant=second, branch=synced.branch, delta=-2, kind=MovementKind.SALE)
    db.session.commit()  # a sale made just after the kill: how long until Shopify has it?
    frozen = wait_until(
        lambda: "" if synced.shopify_on_hand(second) == level_of(db.session, second, synced.branch) else "a sale",
        FROZEN_AT_MOST,
        every=periodically(1, sync.sweep),
    )

    print(f"worker killed during a push: the merchant's stock sync was frozen for {frozen:.1f} s")
    for variant in (first, second):  # the killed batch was sent again under its key: applied once
        assert synced.shopify_on_hand(variant) == level_of(db.session, variant, synced.branch)
    keys = {k["key"]: k for k in sandbox.control("GET", f"/idempotency?shop={SHOP}")["keys"]}
    taken_over = db.session.scalar(sa.select(SyncBatch).where(SyncBatch.attempts > 1))
    assert taken_over.status == BatchStatus.APPLIED and keys[taken_over.idempotency_key]["replays"] == 1

    # What RQ does a minute later: the killed job's heartbeat has lapsed, it is moved to the failed jobs.
    queue = get_queue("shopify")
    wait_until(lambda: "" if queue.count == 0 and len(queue.started_job_registry) <= 1 else "the last push", 30)
    queue.started_job_registry.cleanup(timestamp=time.time() + 600)
    assert queue.failed_job_registry.count == 1
    for periodic in periodic_jobs(committed.config):  # one tick of every periodic job
        resolve(periodic.func)()
    health = client.get("/healthz", headers={"Authorization": f"Bearer {HEALTH_TOKEN}"}).get_json()
    assert health["checks"]["queues"]["shopify"]["failed"] == 0  # the merchant's data recovered since


def _locks_of(redis: Redis, worker_pid: int) -> str:
    """The name of RQ's scheduler started by the worker, once it holds the scheduler locks ("" until then)."""
    below = set(descendants(worker_pid))
    for key in redis.scan_iter("rq:scheduler:*"):
        pid = redis.hget(key, "pid")
        if pid is not None and int(pid) in below:
            name = redis.hget(key, "name")
            return name.decode() if name and set(_scheduler_locks(redis).values()) == {name} else ""
    return ""


def _scheduler_locks(redis: Redis) -> dict[str, bytes]:
    return {key.decode(): redis.get(key) for key in redis.scan_iter("rq:scheduler-lock:*")}


def test_a_worker_killed_takes_its_schedulers_with_it_and_frees_their_locks(committed, workers):
    redis = Redis.from_url(REDIS_URL)
    pool = workers()
    # With the cron scheduler (spawned, so with its resource tracker) and RQ's scheduler (forked) beside it.
    [worker] = pool.start(1, "fiscal", "default")
    wait_until(lambda: "" if _locks_of(redis, worker.pid) else "its scheduler to hold the locks", 60)
    children = descendants(worker.pid)

    pool.kill(worker, children=False)  # kill -9 of the worker alone, as an operator (or the OOM killer) would

    try:
        wait_until(lambda: f"children {[p for p in children if alive(p)]}" if any(map(alive, children)) else "", 20)
        wait_until(lambda: f"locks {_scheduler_locks(redis)}" if _scheduler_locks(redis) else "", 5)
    finally:
        for pid in filter(alive, children):  # what a failure leaves behind must not hold the next test's locks
            os.kill(pid, signal.SIGKILL)
