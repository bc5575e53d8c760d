"""Start an RQ worker for the app, with the periodic jobs' scheduler beside it: `python -m jobs.worker [--no-cron]
[queue ...]`."""

from __future__ import annotations

import importlib
import multiprocessing
import os
import pkgutil
import sys
from multiprocessing.process import BaseProcess

from flask import Flask
from rq import Worker
from rq.defaults import DEFAULT_LOGGING_DATE_FORMAT, DEFAULT_LOGGING_FORMAT
from sqlalchemy.orm import configure_mappers

import jobs
from ismartsync import create_app
from ismartsync.extensions import db
from ismartsync.fiscal.backends import shared_client
from ismartsync.queue import JOB_HEARTBEAT_SECONDS, QUEUES, redis_connection
from jobs.scheduler import GuardedScheduler, periodic_jobs, run_cron


class AppWorker(Worker):
    """RQ's worker, noting its running job's heartbeat every few seconds (so a killed worker's job is known dead in
    seconds: `ismartsync.queue.holder_gone`), with a scheduler child that does not outlive it."""

    def _start_scheduler(
        self,
        burst: bool = False,
        logging_level: str | None = "INFO",
        date_format: str = DEFAULT_LOGGING_DATE_FORMAT,
        log_format: str = DEFAULT_LOGGING_FORMAT,
    ) -> None:
        # RQ's own method, with GuardedScheduler in place of RQScheduler.
        self.scheduler = GuardedScheduler(
            self.queues,
            connection=self.connection,
            logging_level=logging_level if logging_level is not None else self.log.level,
            date_format=date_format,
            log_format=log_format,
            serializer=self.serializer,
        )
        self.scheduler.acquire_locks()
        if not self.scheduler.acquired_locks:
            return
        if not burst:
            self.scheduler.start()
            return
        try:
            self.scheduler.register_birth()
            self.scheduler.enqueue_scheduled_jobs()
        finally:
            self.scheduler.release_locks()
            self.scheduler.register_death()


def start_cron(app: Flask) -> BaseProcess:
    """The cron scheduler as a child process. Every worker starts one; the tick locks keep the periodic work single."""
    spawn = multiprocessing.get_context("spawn")  # a fresh interpreter: nothing of the parent's connections
    process = spawn.Process(
        target=run_cron,
        args=(app.config["REDIS_URL"], periodic_jobs(app.config), os.getpid()),
        name="ismartsync-cron",
        daemon=True,
    )
    process.start()
    return process


def warm_up() -> None:
    """Import every job module and configure the ORM once, in the worker, before it forks a work horse per job.

    Otherwise each horse pays for them again (SQLAlchemy's mapper configuration 0.15 s, the FBR client's TLS
    context and imports 0.2 s), which capped one worker at 3–4 FBR reports a second. The FBR client made here has
    never connected, so every horse starts with an empty pool of its own.
    """
    for module in pkgutil.iter_modules(jobs.__path__):
        importlib.import_module(f"jobs.{module.name}")
    configure_mappers()
    shared_client()


def main(argv: list[str]) -> None:
    with_cron = "--no-cron" not in argv
    queues = [name for name in argv if name != "--no-cron"] or list(QUEUES)
    app = create_app()
    with app.app_context():
        connection = redis_connection(app)
        if connection is None:
            sys.exit("ISMARTSYNC_REDIS_URL is not set: jobs run in-process, no worker is needed.")
        warm_up()
        cron = start_cron(app) if with_cron else None
        # The parent never touches the database, so forked work horses start with a clean pool.
        engines = list(db.engines.values())
        os.register_at_fork(after_in_child=lambda: [e.dispose(close=False) for e in engines] and None)
        try:
            AppWorker(queues, connection=connection, job_monitoring_interval=JOB_HEARTBEAT_SECONDS).work(
                with_scheduler=True
            )
        finally:
            if cron is not None:
                cron.terminate()
                cron.join(10)


if __name__ == "__main__":
    main(sys.argv[1:])
