"""Queue housekeeping: failed jobs made moot by a later success of the same call are forgotten."""

from __future__ import annotations

import logging

from flask import current_app

from ismartsync.queue import forget_superseded_failures, redis_connection
from jobs import job

log = logging.getLogger(__name__)


@job
def forget_recovered_failures() -> None:
    """Every minute: what an operator reads as failed (`/healthz`, RQ's dashboards) is what has not recovered."""
    conn = redis_connection(current_app)
    forgotten = forget_superseded_failures(conn) if conn is not None else 0
    if forgotten:
        log.info("forgot failed jobs a later success made moot", extra={"fields": {"jobs": forgotten}})
