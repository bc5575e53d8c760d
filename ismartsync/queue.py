"""Background jobs: enqueue after the commit, on RQ when Redis is configured, else in-process (right after the
commit, or on a background thread with JOBS_IN_BACKGROUND, as the demo does so a sale never waits on Shopify).

Jobs are named by dotted path (`"jobs.email.deliver_email"`), so `jobs` depends on `ismartsync`
and never the reverse. A job enqueued inside a transaction that rolls back is never run.
"""

from __future__ import annotations

import importlib
import logging
import queue as queue_module
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from flask import Flask, current_app
from flask_sqlalchemy.session import Session as FlaskSession
from redis import Redis
from rq import Queue, Retry, get_current_job
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus
from sqlalchemy import event
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)

QUEUES = ("fiscal", "shopify", "email", "reports", "default")
_PENDING_KEY = "ismartsync_pending_jobs"
# How long a unique job's "waiting in the queue" mark lives at most: a job lost between its dequeue and its start
# (a killed worker) blocks its next enqueue no longer than this.
UNIQUE_MARK_SECONDS = 60
# A worker notes its running job's heartbeat this often (`jobs/worker.py`); a job silent for DEAD_AFTER_SECONDS has
# lost its worker (killed, or its machine gone).
JOB_HEARTBEAT_SECONDS = 5
DEAD_AFTER_SECONDS = 3 * JOB_HEARTBEAT_SECONDS
_HOLDER_KEY = "ismartsync:held-by:"
# A success clears the failed jobs of the same call that came before it, if it is seen within this long.
SUCCESS_MEMORY_SECONDS = 86400
_SUCCEEDED_KEY = "ismartsync:succeeded:"


@dataclass(frozen=True)
class PendingJob:
    func: str
    args: tuple[Any, ...]
    queue: str
    timeout: int
    retries: int
    unique: bool = False
    urgent: bool = False
    kwargs: dict[str, Any] = field(default_factory=dict)


def enqueue_after_commit(
    session: Session,
    func: str,
    *args: Any,
    queue: str = "default",
    timeout: int = 120,
    retries: int = 3,
    unique: bool = False,
    urgent: bool = False,
) -> None:
    """Run `func(*args)` once `session` commits, once however often it is asked; nothing if it rolls back.

    `unique`: not enqueued again while the same call waits in the queue (it has not started yet), so a burst of
    sales asks for one push; the `jobs.job` decorator releases the mark when the job starts. `urgent`: to the front
    of its queue (a stock push must not wait behind a thousand webhook re-reads).
    """
    if queue not in QUEUES:
        raise ValueError(f"unknown queue {queue!r}")
    session.connection()  # begin the transaction now, so its rollback (even with no writes) drops the job
    pending = session.info.setdefault(_PENDING_KEY, [])
    job = PendingJob(func, args, queue, timeout, retries, unique, urgent)
    if job not in pending:  # a sale of five lines asks for one push, not five
        pending.append(job)


def redis_connection(app: Flask | None = None) -> Redis | None:
    app = app or current_app
    url = app.config.get("REDIS_URL")
    if not url:
        return None
    conn = app.extensions.get("ismartsync_redis")
    if conn is None:
        conn = app.extensions["ismartsync_redis"] = Redis.from_url(url, socket_timeout=5, socket_connect_timeout=2)
    return conn


def get_queue(name: str, app: Flask | None = None) -> Queue:
    conn = redis_connection(app)
    if conn is None:
        raise RuntimeError("no Redis configured")
    return Queue(name, connection=conn)


def resolve(func: str) -> Any:
    module, _, name = func.rpartition(".")
    return getattr(importlib.import_module(module), name)


def call_key(func: str, args: Any) -> str:
    """One call of a job function, as a string: `jobs.sync.push_stock:7`."""
    return f"{func}:{':'.join(map(str, args))}"


def queued_key(func: str, args: tuple[Any, ...]) -> str:
    """The Redis key marking a unique job as waiting in its queue."""
    return f"ismartsync:queued:{call_key(func, args)}"


def release_queued(app: Flask, func: str, args: tuple[Any, ...]) -> None:
    """A unique job has started: the next request for it must enqueue it again."""
    conn = redis_connection(app)
    if conn is not None:
        try:
            conn.delete(queued_key(func, args))
        except Exception:  # the mark expires by itself
            log.warning("could not release the queued mark of %s", func)


def note_success(app: Flask, func: str, args: tuple[Any, ...], started_at: float) -> None:
    """A job started at `started_at` (a Unix time) succeeded: earlier failures of the same call are moot."""
    conn = redis_connection(app)
    if conn is None:
        return
    try:
        conn.set(_SUCCEEDED_KEY + call_key(func, args), started_at, ex=SUCCESS_MEMORY_SECONDS)
    except Exception:  # the failure stays listed a while longer
        log.warning("could not note the success of %s", func)


def forget_superseded_failures(conn: Redis) -> int:
    """Remove from every queue's failed jobs those whose call succeeded since the failed job's last sign of life
    (its end, or its worker's last heartbeat when the worker was killed): what it failed to do has been done.
    Failures of calls that never succeeded since stay for a person to look at. Returns how many were removed."""
    forgotten = 0
    for name in QUEUES:
        registry = Queue(name, connection=conn).failed_job_registry
        job_ids = registry.get_job_ids()
        for start in range(0, len(job_ids), 500):
            found = [job for job in Job.fetch_many(job_ids[start : start + 500], connection=conn) if job]
            keys = [_SUCCEEDED_KEY + call_key(job.func_name, job.args) for job in found]
            for job, succeeded_at in zip(found, conn.mget(keys) if keys else [], strict=True):
                if succeeded_at is not None and float(succeeded_at) > _last_sign_of_life(job):
                    registry.remove(job, delete_job=True)
                    forgotten += 1
    return forgotten


def _last_sign_of_life(job: Job) -> float:
    moments = [job.ended_at, job.last_heartbeat, job.started_at, job.enqueued_at]
    return max((moment.replace(tzinfo=moment.tzinfo or UTC).timestamp() for moment in moments if moment), default=0.0)


def note_holder(app: Flask, thing: str, seconds: int) -> None:
    """The running RQ job holds `thing` (a batch it is sending) for at most `seconds`: noted, so that another job can
    tell when it died (`holder_gone`). Nothing outside a job, or without Redis."""
    conn, job = redis_connection(app), get_current_job()
    if conn is None or job is None:
        return
    try:
        conn.set(_HOLDER_KEY + thing, job.id, ex=seconds)
    except Exception:  # then only the holder's time limit frees the thing
        log.warning("could not note who holds %s", thing)


def holder_gone(app: Flask, thing: str) -> bool:
    """True when the RQ job that holds `thing` is known dead: it ended, or its worker stopped beating (killed).
    False while it may be alive, and whenever nobody knows (no Redis, not held by a job)."""
    conn = redis_connection(app)
    if conn is None:
        return False
    try:
        job_id = conn.get(_HOLDER_KEY + thing)
        if job_id is None:
            return False
        job = Job.fetch(job_id.decode(), connection=conn)
        if job.get_status(refresh=False) != JobStatus.STARTED:
            return True
        beat = job.last_heartbeat or job.started_at
        return beat is None or (datetime.now(UTC) - beat).total_seconds() > DEAD_AFTER_SECONDS
    except NoSuchJobError:
        return True
    except Exception:
        log.warning("could not tell whether the holder of %s is alive", thing)
        return False


def _dispatch(app: Flask, jobs: list[PendingJob]) -> None:
    conn = redis_connection(app)
    for job in jobs:
        if conn is not None:
            try:
                if job.unique and not conn.set(queued_key(job.func, job.args), 1, nx=True, ex=UNIQUE_MARK_SECONDS):
                    continue  # the same call is already waiting in the queue
                Queue(job.queue, connection=conn).enqueue(
                    job.func,
                    *job.args,
                    job_timeout=job.timeout,
                    at_front=job.urgent,
                    retry=Retry(max=job.retries, interval=[5, 30, 120][: job.retries]) if job.retries else None,
                )
                continue
            except Exception:
                # Redis is down: the row that asked for the job is committed, and the sweeper of each
                # area (email outbox, sync outbox, fiscal queue) picks it up again later.
                log.exception("could not enqueue %s; left for the sweeper", job.func)
                continue
        if app.config.get("JOBS_IN_BACKGROUND"):
            _background(app).put(job)
        else:
            _run_inline(app, job)


def _background(app: Flask) -> queue_module.Queue[PendingJob]:
    """The demo's stand-in for a worker: one thread of this process runs the jobs in order, after the request."""
    jobs = app.extensions.get("ismartsync_background_jobs")
    if jobs is None:
        jobs = app.extensions["ismartsync_background_jobs"] = queue_module.Queue()

        def work() -> None:
            while True:
                _run_inline(app, jobs.get())

        threading.Thread(target=work, name="in-process-jobs", daemon=True).start()
    return jobs


def _run_inline(app: Flask, job: PendingJob) -> None:
    # A fresh app context gives the job its own database session, as a worker would have.
    with app.app_context():
        try:
            resolve(job.func)(*job.args)
        except Exception:
            log.exception("in-process job %s failed", job.func)


@event.listens_for(FlaskSession, "after_commit")
def _after_commit(session: Session) -> None:
    jobs = session.info.pop(_PENDING_KEY, None)
    if jobs:
        _dispatch(current_app._get_current_object(), jobs)  # type: ignore[attr-defined]


@event.listens_for(FlaskSession, "after_soft_rollback")
def _after_rollback(session: Session, previous_transaction: Any) -> None:
    # Any rollback of the session's own outermost transaction drops its jobs, even one that wrote nothing.
    if previous_transaction.parent is None:
        session.info.pop(_PENDING_KEY, None)
