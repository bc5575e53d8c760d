"""The periodic jobs, and what runs them: `python -m jobs.scheduler`.

With Redis, RQ's cron scheduler enqueues them. Every worker starts one (`jobs.worker`), so a lock per job and tick
(SET NX PX) lets exactly one of them enqueue each tick. Without Redis (the demo) a plain loop calls the same job
functions in this process.
"""

from __future__ import annotations

import contextlib
import logging
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from redis import Redis
from rq.cron import CronJob, CronScheduler
from rq.exceptions import StopRequested
from rq.scheduler import RQScheduler
from rq.utils import now

from ismartsync import create_app
from ismartsync.queue import resolve

log = logging.getLogger(__name__)

LOCK_PREFIX = "ismartsync:cron:"
# A tick's lock lapses this long before the scheduler that took it ticks again, so that one keeps the job and the
# others take it over only once it has stopped.
LOCK_MARGIN_MS = 1000
# A scheduler started by a worker notices within this long that the worker is gone, and stops.
PARENT_CHECK_SECONDS = 5


@dataclass(frozen=True)
class Periodic:
    """A job function called without arguments every `every` seconds, on `queue`."""

    func: str
    queue: str
    every: int
    timeout: int


def periodic_jobs(config: Mapping[str, Any]) -> list[Periodic]:
    """What runs on a schedule. Each only reads the database and queues the real work (pushes, reconciliations and
    imports go to "shopify", FBR reports to "fiscal"), or tidies the queues, so they wait on "default", where a long
    import never holds them up."""
    return [
        Periodic("jobs.sync.sweep", "default", int(config["SYNC_SWEEP_SECONDS"]), timeout=120),
        Periodic("jobs.sync.schedule_reconciliations", "default", 60, timeout=120),
        Periodic("jobs.shopify.schedule_incremental_imports", "default", 60, timeout=120),
        Periodic("jobs.shopify.schedule_subscription_checks", "default", 3600, timeout=120),
        Periodic("jobs.shopify.schedule_order_syncs", "default", 60, timeout=120),
        Periodic("jobs.fiscal.sweep", "default", int(config.get("FISCAL_SWEEP_SECONDS") or 15), timeout=120),
        Periodic("jobs.queues.forget_recovered_failures", "default", 60, timeout=120),
        Periodic("jobs.fulfilment.sweep", "default", 30, timeout=120),
    ]


def claim_tick(connection: Redis, name: str, every: int, owner: str) -> bool:
    """Take this tick of a periodic job: true for one scheduler per interval, whichever asks first."""
    ttl_ms = max(every * 1000 - LOCK_MARGIN_MS, 1000)
    return bool(connection.set(LOCK_PREFIX + name, owner, nx=True, px=ttl_ms))


class GuardedCronScheduler(CronScheduler):
    """RQ's cron scheduler, which every worker runs: a job is enqueued only by the scheduler that claims its tick."""

    def __init__(self, connection: Redis, *, parent_pid: int | None = None, **kwargs: Any) -> None:
        super().__init__(connection, **kwargs)
        self.parent_pid = parent_pid

    def enqueue_jobs(self) -> list[CronJob]:
        if self.parent_pid is not None and os.getppid() != self.parent_pid:
            raise StopRequested()  # our worker is gone: leave the ticks to the schedulers of the others
        enqueue_time = now()
        enqueued = []
        for job in self._cron_jobs:
            if not job.should_run():
                continue
            if claim_tick(self.connection, job.name, job.interval or 60, self.name):
                job.enqueue(self.connection)
                enqueued.append(job)
            job.set_enqueue_time(enqueue_time)  # ours or another scheduler's, this tick is done
        return enqueued

    def calculate_sleep_interval(self) -> float:
        return min(super().calculate_sleep_interval(), PARENT_CHECK_SECONDS)


class GuardedScheduler(RQScheduler):
    """RQ's scheduler of delayed jobs and retries, which a worker forks beside it: it stops, releasing its locks for
    the other workers' schedulers, once its worker is gone (killed with SIGKILL, it could not stop it)."""

    parent_pid: int | None = None

    def start(self) -> Any:
        self.parent_pid = os.getpid()  # the worker, about to fork us
        return super().start()

    def heartbeat(self) -> None:
        if self.parent_pid is not None and os.getppid() != self.parent_pid:
            self.request_stop()  # the next turn of the loop releases the locks and ends this process
            return
        super().heartbeat()


def build_cron(connection: Redis, jobs: list[Periodic], *, parent_pid: int | None = None) -> GuardedCronScheduler:
    """A cron scheduler with the periodic jobs registered; a tick left waiting longer than its interval expires."""
    scheduler = GuardedCronScheduler(connection, parent_pid=parent_pid)
    for job in jobs:
        scheduler.register(
            resolve(job.func), job.queue, interval=job.every, job_timeout=job.timeout, ttl=job.every, result_ttl=60
        )
    return scheduler


def run_cron(redis_url: str, jobs: list[Periodic], parent_pid: int | None = None) -> None:
    """Run the cron scheduler until it is stopped (SIGTERM, Ctrl+C) or, as a worker's child, its worker is gone."""
    build_cron(Redis.from_url(redis_url), jobs, parent_pid=parent_pid).start()


def run_loop(
    jobs: list[Periodic], *, clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep
) -> None:
    """Without Redis: call each job in this process when it is due, one after another, until interrupted."""
    due = dict.fromkeys((job.func for job in jobs), 0.0)
    while True:
        for job in jobs:
            if clock() < due[job.func]:
                continue
            due[job.func] = clock() + job.every
            try:
                resolve(job.func)()
            except Exception:
                log.exception("periodic job %s failed", job.func)
        sleep(max(0.0, min(due.values()) - clock()))


def main() -> None:
    app = create_app()
    jobs = periodic_jobs(app.config)
    if app.config.get("REDIS_URL"):
        run_cron(app.config["REDIS_URL"], jobs)
        return
    log.info("no Redis: running the periodic jobs in this process")
    with app.app_context(), contextlib.suppress(KeyboardInterrupt):  # Ctrl+C in the demo
        run_loop(jobs)


if __name__ == "__main__":
    main()
