"""Real `python -m jobs.worker` processes for the fault tests, and a database they can see.

Worker processes cannot see a test's rolled-back transaction, so a module using them imports `_transaction` (which
turns that off) and `committed` (every table and the Redis database emptied after the test) from here.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from redis import Redis

from ismartsync.extensions import db
from tests.conftest import DATABASE_URL, REDIS_URL, TEST_ENCRYPTION_KEY
from tests.sandbox_fixtures import CLIENT_ID, CLIENT_SECRET, RunningSandbox

ROOT = Path(__file__).resolve().parents[2]
needs_real_services = pytest.mark.skipif(
    not (DATABASE_URL and REDIS_URL),
    reason="needs ISMARTSYNC_TEST_DATABASE_URL and ISMARTSYNC_TEST_REDIS_URL: real workers need real services",
)


@pytest.fixture(autouse=True)
def _transaction() -> Iterator[None]:
    """Replaces the rolled-back transaction: worker processes must see what the test commits."""
    yield


@pytest.fixture
def committed(app: Flask) -> Iterator[Flask]:
    """The app's context for the test; every table and the Redis database are emptied afterwards."""
    with app.app_context():
        try:
            yield app
        finally:
            db.session.rollback()
            names = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
            db.session.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
            db.session.commit()
            db.session.remove()
            Redis.from_url(REDIS_URL).flushdb()


def descendants(pid: int) -> list[int]:
    """Every process below `pid` (RQ's work horses run in process groups of their own)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, stack = [], [pid]
    while stack:
        for child in children.get(stack.pop(), []):
            found.append(child)
            stack.append(child)
    return found


def alive(pid: int) -> bool:
    """True while `pid` runs (a zombie, dead but not yet reaped, counts as gone)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


class Workers:
    """`python -m jobs.worker` processes; a kill takes their work horses too, in the middle of whatever they do."""

    def __init__(self, env: dict[str, str]) -> None:
        self.env = env
        self.processes: list[subprocess.Popen[bytes]] = []

    def start(self, count: int, *arguments: str) -> list[subprocess.Popen[bytes]]:
        """`count` workers, each started as `python -m jobs.worker <arguments>` (e.g. "--no-cron", "shopify")."""
        started = [
            subprocess.Popen(
                [sys.executable, "-m", "jobs.worker", *arguments],
                cwd=ROOT,
                env=self.env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            for _ in range(count)
        ]
        self.processes.extend(started)
        return started

    def kill(self, process: subprocess.Popen[bytes], *, children: bool = True) -> None:
        """SIGKILL the worker (and with `children` everything below it), as an out-of-memory killer would."""
        for pid in [process.pid, *(descendants(process.pid) if children else [])]:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        process.wait(timeout=10)
        self.processes.remove(process)

    def kill_all(self) -> None:
        for process in list(self.processes):
            self.kill(process)


def worker_env(database_url: str, **settings: object) -> dict[str, str]:
    """The environment of a worker process: our database and Redis, plus `settings` as ISMARTSYNC_* variables."""
    base = {
        "DATABASE_URL": database_url,
        "REDIS_URL": REDIS_URL or "",
        "ENCRYPTION_KEYS": TEST_ENCRYPTION_KEY,
        "SECRET_KEY": "test-secret",
        "DEBUG": "1",
        "LOG_FORMAT": "text",
    }
    return {**os.environ, **{f"ISMARTSYNC_{name}": str(value) for name, value in {**base, **settings}.items()}}


def shopify_settings(sandbox: RunningSandbox) -> dict[str, str]:
    """A worker's settings for talking to the Shopify sandbox as our app."""
    return {
        "SHOPIFY_API_BASE": f"{sandbox.url}/shops/{{shop}}",
        "SHOPIFY_CLIENT_ID": CLIENT_ID,
        "SHOPIFY_CLIENT_SECRET": CLIENT_SECRET,
    }


@pytest.fixture
def workers(database_url: str) -> Iterator[Callable[..., Workers]]:
    """`workers(**settings)`: a pool of worker processes with those settings; every one is killed after the test."""
    started: list[Workers] = []

    def make(**settings: object) -> Workers:
        pool = Workers(worker_env(database_url, **settings))
        started.append(pool)
        return pool

    yield make
    for pool in started:
        pool.kill_all()


def periodically(seconds: float, tick: Callable[[], object]) -> Callable[[], None]:
    """`tick`, at most once per `seconds` however often it is asked: a periodic job (a sweeper) run by the test."""
    last = [0.0]

    def maybe() -> None:
        if time.monotonic() - last[0] >= seconds:
            last[0] = time.monotonic()
            tick()

    return maybe


def wait_until(waiting: Callable[[], str], timeout: float, every: Callable[[], None] = lambda: None) -> float:
    """Until `waiting()` says nothing is left (an empty string); the seconds it took. It says what was left at the
    timeout."""
    started = time.monotonic()
    left = "?"
    while time.monotonic() - started < timeout:
        every()
        left = waiting()
        if not left:
            return time.monotonic() - started
        time.sleep(0.2)
    raise AssertionError(f"still waiting after {timeout} s for {left}")
