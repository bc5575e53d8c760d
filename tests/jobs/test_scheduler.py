"""The periodic jobs: what runs, how often, on which queue; one enqueue per tick however many workers run a
scheduler; the in-process loop of the demo; and the incremental import schedule."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from redis import Redis
from rq.exceptions import StopRequested
from rq.utils import now
from sqlalchemy import func, select

from ismartsync.config import Settings
from ismartsync.extensions import db
from ismartsync.models import ConnectionStatus, ImportRun, ImportStatus, ShopifyConnection
from ismartsync.models.base import utcnow
from ismartsync.models.shopify import AuthMethod
from ismartsync.queue import get_queue, redis_connection
from jobs.scheduler import (
    LOCK_PREFIX,
    GuardedCronScheduler,
    Periodic,
    build_cron,
    periodic_jobs,
    run_loop,
)
from jobs.shopify import schedule_incremental_imports
from jobs.worker import start_cron
from tests.conftest import REDIS_URL
from tests.sandbox_fixtures import SHOP, TOKEN

needs_redis = pytest.mark.skipif(not REDIS_URL, reason="needs ISMARTSYNC_TEST_REDIS_URL: the tick locks live in Redis")
EXPECTED = [
    ("jobs.sync.sweep", "default", 30),
    ("jobs.sync.schedule_reconciliations", "default", 60),
    ("jobs.shopify.schedule_incremental_imports", "default", 60),
    ("jobs.shopify.schedule_subscription_checks", "default", 3600),
    ("jobs.shopify.schedule_order_syncs", "default", 60),
    ("jobs.fiscal.sweep", "default", 15),
    ("jobs.queues.forget_recovered_failures", "default", 60),
    ("jobs.fulfilment.sweep", "default", 30),
]


def test_periodic_jobs_are_the_sweepers_the_reconciliations_the_incremental_imports_and_the_queue_tidying(
    monkeypatch,
):
    for name in (
        "SYNC_SWEEP_SECONDS",
        "RECONCILE_INTERVAL_MINUTES",
        "SHOPIFY_INCREMENTAL_MINUTES",
        "FISCAL_SWEEP_SECONDS",
    ):
        monkeypatch.delenv(f"ISMARTSYNC_{name}", raising=False)
    config = Settings().flask_config()
    assert (config["SYNC_SWEEP_SECONDS"], config["RECONCILE_INTERVAL_MINUTES"]) == (30, 60)
    assert config["SHOPIFY_INCREMENTAL_MINUTES"] == 15
    assert [(job.func, job.queue, job.every) for job in periodic_jobs(config)] == EXPECTED


def test_sweep_interval_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("ISMARTSYNC_SYNC_SWEEP_SECONDS", "45")
    jobs = periodic_jobs(Settings().flask_config())
    assert jobs[0].func == "jobs.sync.sweep" and jobs[0].every == 45


def test_cron_scheduler_registers_each_job_on_its_queue_every_interval():
    never_connected = Redis.from_url("redis://127.0.0.1:1/0")  # registering talks to no one
    jobs = periodic_jobs({"SYNC_SWEEP_SECONDS": 30})

    registered = build_cron(never_connected, jobs).get_jobs()

    assert [(job.func_name, job.queue_name, job.interval) for job in registered] == EXPECTED
    for job in registered:
        assert callable(job.func)
        # A tick still waiting when the next one comes is dropped: the next does the same work.
        assert job.job_options["ttl"] == job.interval and job.job_options["job_timeout"] == 120


def test_scheduler_started_by_a_worker_stops_once_the_worker_is_gone():
    orphan = GuardedCronScheduler(Redis.from_url("redis://127.0.0.1:1/0"), parent_pid=-1)
    with pytest.raises(StopRequested):
        orphan.enqueue_jobs()


@pytest.fixture
def clean_ticks(app):
    """The default queue and the tick locks, emptied before and after."""
    connection = redis_connection(app)
    keys = [LOCK_PREFIX + func for func, _, _ in EXPECTED]
    connection.delete(*keys)
    get_queue("default").empty()
    yield connection, keys
    connection.delete(*keys)
    get_queue("default").empty()


@needs_redis
def test_two_schedulers_enqueue_each_tick_once(app, clean_ticks):
    connection, keys = clean_ticks
    jobs = periodic_jobs(app.config)
    first, second = build_cron(connection, jobs), build_cron(connection, jobs)

    assert len(first.enqueue_jobs()) == len(EXPECTED)
    assert second.enqueue_jobs() == []

    queue = get_queue("default")
    assert sorted(job.func_name for job in queue.get_jobs()) == sorted(func for func, _, _ in EXPECTED)
    # The lock lapses just before the holder's next tick, so the holder keeps the job while it lives.
    assert 28_000 < connection.pttl(LOCK_PREFIX + "jobs.sync.sweep") <= 29_000
    assert first.enqueue_jobs() == [] and second.enqueue_jobs() == []  # nothing is due again within the tick

    connection.delete(*keys)  # the first scheduler stopped: its locks lapsed
    for job in second.get_jobs():
        job.next_enqueue_time = now()
    assert len(second.enqueue_jobs()) == len(EXPECTED)
    assert queue.count == 2 * len(EXPECTED)


@needs_redis
def test_worker_starts_the_cron_scheduler_beside_it(app, clean_ticks):
    process = start_cron(app)
    try:
        deadline = time.monotonic() + 30
        while get_queue("default").count < len(EXPECTED) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert sorted(job.func_name for job in get_queue("default").get_jobs()) == sorted(f for f, _, _ in EXPECTED)
    finally:
        process.terminate()
        process.join(10)
    assert process.exitcode is not None


CALLS: list[str] = []


def tick_sweep() -> None:
    CALLS.append("sweep")


def tick_hourly() -> None:
    CALLS.append("hourly")


def tick_broken() -> None:
    CALLS.append("broken")
    raise RuntimeError("a job failing must not stop the others")


class _Clock:
    def __init__(self, until: float) -> None:
        self.now, self.until = 0.0, until

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds
        if self.now > self.until:
            raise KeyboardInterrupt


def test_without_redis_the_loop_calls_each_job_when_due():
    CALLS.clear()
    here = "tests.jobs.test_scheduler"
    jobs = [
        Periodic(f"{here}.tick_sweep", "default", 30, 120),
        Periodic(f"{here}.tick_hourly", "default", 60, 120),
        Periodic(f"{here}.tick_broken", "default", 60, 120),
    ]
    clock = _Clock(until=125)

    with pytest.raises(KeyboardInterrupt):
        run_loop(jobs, clock=clock, sleep=clock.sleep)

    assert CALLS.count("sweep") == 5  # at 0, 30, 60, 90 and 120 s
    assert CALLS.count("hourly") == 3 and CALLS.count("broken") == 3


# --- incremental imports --------------------------------------------------------------------------------------------


@pytest.fixture
def connected(merchant, shopify_app):
    """A store whose catalog was fully imported; the sandbox answers any import the schedule starts in-process."""
    connection = ShopifyConnection(
        merchant=merchant, shop_domain=SHOP, auth_method=AuthMethod.ADMIN_TOKEN, access_token=TOKEN
    )
    db.session.add(connection)
    db.session.flush()
    return connection


def _run(merchant, *, finished_ago: timedelta | None, kind: str = "full", status: str = ImportStatus.SUCCEEDED):
    finished = utcnow() - finished_ago if finished_ago is not None else None
    run = ImportRun(
        merchant_id=merchant.id,
        kind=kind,
        status=status,
        started_at=utcnow() - timedelta(hours=1),
        finished_at=finished,
        high_water_mark=utcnow() - timedelta(hours=1) if status == ImportStatus.SUCCEEDED else None,
    )
    db.session.add(run)
    db.session.flush()
    return run


def _runs(merchant) -> int:
    return db.session.scalar(select(func.count()).select_from(ImportRun).where(ImportRun.merchant_id == merchant.id))


@pytest.fixture
def empty_shopify_queue(app):
    yield
    if REDIS_URL:
        get_queue("shopify").empty()  # the import it queued belongs to a rolled-back test


def test_incremental_import_starts_when_the_last_finished_long_enough_ago(merchant, connected, empty_shopify_queue):
    full = _run(merchant, finished_ago=timedelta(minutes=20))

    assert schedule_incremental_imports() == 1

    db.session.expire_all()
    started = db.session.scalar(select(ImportRun).where(ImportRun.id > full.id))
    assert started.kind == "incremental" and started.started_by_id is None
    assert started.since == full.high_water_mark - timedelta(minutes=5)
    assert schedule_incremental_imports() == 0  # that one is running or has only just finished


def test_no_incremental_import_before_it_is_due(merchant, connected):
    _run(merchant, finished_ago=timedelta(minutes=20))
    _run(merchant, finished_ago=timedelta(minutes=5), kind="incremental")
    assert schedule_incremental_imports() == 0
    assert _runs(merchant) == 2


def test_no_incremental_import_while_one_is_running(merchant, connected):
    _run(merchant, finished_ago=timedelta(minutes=40))
    _run(merchant, finished_ago=None, kind="incremental", status=ImportStatus.RUNNING)
    assert schedule_incremental_imports() == 0
    assert _runs(merchant) == 2


def test_no_incremental_import_without_a_successful_full_one_or_a_connection(merchant, other_merchant, connected):
    _run(merchant, finished_ago=timedelta(hours=2), status=ImportStatus.FAILED)
    db.session.add(
        ShopifyConnection(
            merchant=other_merchant,
            shop_domain="gone.myshopify.com",
            auth_method=AuthMethod.ADMIN_TOKEN,
            status=ConnectionStatus.DISCONNECTED,
        )
    )
    _run(other_merchant, finished_ago=timedelta(hours=2))
    db.session.flush()

    assert schedule_incremental_imports() == 0
    assert _runs(merchant) == 1 and _runs(other_merchant) == 1
