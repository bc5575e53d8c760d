"""Start an RQ worker for the app, with the periodic jobs' scheduler beside it: `python -m jobs.worker [--no-cron]
[queue ...]`."""

from __future__ import annotations

import multiprocessing
import os
import sys
from multiprocessing.process import BaseProcess

from flask import Flask
from rq import Worker

from ismartsync import create_app
from ismartsync.extensions import db
from ismartsync.queue import QUEUES, redis_connection
from jobs.scheduler import periodic_jobs, run_cron


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


def main(argv: list[str]) -> None:
    with_cron = "--no-cron" not in argv
    queues = [name for name in argv if name != "--no-cron"] or list(QUEUES)
    app = create_app()
    with app.app_context():
        connection = redis_connection(app)
        if connection is None:
            sys.exit("ISMARTSYNC_REDIS_URL is not set: jobs run in-process, no worker is needed.")
        cron = start_cron(app) if with_cron else None
        # The parent never touches the database, so forked work horses start with a clean pool.
        engines = list(db.engines.values())
        os.register_at_fork(after_in_child=lambda: [e.dispose(close=False) for e in engines] and None)
        try:
            Worker(queues, connection=connection).work(with_scheduler=True)
        finally:
            if cron is not None:
                cron.terminate()
                cron.join(10)


if __name__ == "__main__":
    main(sys.argv[1:])
