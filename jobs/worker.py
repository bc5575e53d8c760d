"""Start an RQ worker for the app: `python -m jobs.worker [queue ...]`."""

from __future__ import annotations

import os
import sys

from rq import Worker

from ismartsync import create_app
from ismartsync.extensions import db
from ismartsync.queue import QUEUES, redis_connection


def main(argv: list[str]) -> None:
    app = create_app()
    with app.app_context():
        connection = redis_connection(app)
        if connection is None:
            sys.exit("ISMARTSYNC_REDIS_URL is not set: jobs run in-process, no worker is needed.")
        # The parent never touches the database, so forked work horses start with a clean pool.
        engines = list(db.engines.values())
        os.register_at_fork(after_in_child=lambda: [e.dispose(close=False) for e in engines] and None)
        Worker(argv or list(QUEUES), connection=connection).work(with_scheduler=True)


if __name__ == "__main__":
    main(sys.argv[1:])
