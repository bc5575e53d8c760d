"""Parallel runs (pytest-xdist, `-n 2`): each worker gets a PostgreSQL database and a Redis database of its own.

The session fixture empties its database and the Redis database at the start, browser and worker-process tests
truncate every table, so two workers may never share either. Worker `gwN` (xdist sets `PYTEST_XDIST_WORKER`
before it imports any conftest) uses the database `<name>_gwN` (created if missing) and the Redis database
`<n> + N`, where `<name>` and `<n>` come from `ISMARTSYNC_TEST_DATABASE_URL` / `ISMARTSYNC_TEST_REDIS_URL`. A serial
run (`-n 0`, `-p no:xdist`) uses those URLs as they are. Every fixture and worker process started by the tests reads
the URLs from the environment, so rewriting the environment is enough; ports are always free ones (port 0).
"""

from __future__ import annotations

import re
from collections.abc import MutableMapping
from urllib.parse import urlsplit, urlunsplit

DATABASE_VAR = "ISMARTSYNC_TEST_DATABASE_URL"
REDIS_VAR = "ISMARTSYNC_TEST_REDIS_URL"
WORKER_VAR = "PYTEST_XDIST_WORKER"
MARK_VAR = "ISMARTSYNC_TEST_WORKER"  # set once the URLs are this worker's, so a second call changes nothing


def worker_index(worker: str) -> int:
    match = re.fullmatch(r"gw(\d+)", worker)
    if not match:
        raise ValueError(f"unexpected pytest-xdist worker id {worker!r}")
    return int(match.group(1))


def worker_database_url(url: str, worker: str) -> str:
    """`postgresql://…/ismartsync_test` → `postgresql://…/ismartsync_test_gw1` (the query string is kept)."""
    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    if not name:
        raise ValueError(f"{DATABASE_VAR} names no database: {url}")
    return urlunsplit(parts._replace(path=f"/{name}_{worker}"))


def worker_redis_url(url: str, worker: str) -> str:
    """`redis://host:6379/6` → `redis://host:6379/7` for gw1: the worker's index added to the database number."""
    parts = urlsplit(url)
    db = int(parts.path.lstrip("/") or 0)
    return urlunsplit(parts._replace(path=f"/{db + worker_index(worker)}"))


def isolate_worker(environ: MutableMapping[str, str]) -> None:
    """Point the test URLs in `environ` at this xdist worker's own databases (nothing outside a worker)."""
    worker = environ.get(WORKER_VAR)
    if not worker or environ.get(MARK_VAR) == worker:
        return
    if database := environ.get(DATABASE_VAR):
        environ[DATABASE_VAR] = worker_database_url(database, worker)
    if redis := environ.get(REDIS_VAR):
        environ[REDIS_VAR] = worker_redis_url(redis, worker)
    environ[MARK_VAR] = worker
