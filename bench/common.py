"""What the benchmarks share: the Shopify and FBR sandboxes as processes of their own, on free ports; timing."""

from __future__ import annotations

import json
import logging
import math
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from flask import Flask, before_render_template, template_rendered
from sqlalchemy import event
from werkzeug.test import TestResponse

SHOP = "zari-demo.myshopify.com"
TOKEN = "shpat_bench_token"
CLIENT_ID = "ismartsync-demo"
CLIENT_SECRET = "ismartsync-demo-secret"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve_module(module: str, args: list[str], ready_path: str) -> tuple[subprocess.Popen[bytes], str]:
    """`python -m <module> --port <free port> <args>`, once `ready_path` answers; returns the process and its URL."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", module, "--port", str(port), *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(600):
        try:
            urllib.request.urlopen(f"{url}{ready_path}", timeout=1).close()
            return process, url
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit(f"{module} did not start")


def _call(url: str, method: str, data: Any = None) -> Any:
    body = json.dumps(data).encode() if data is not None else None
    request = urllib.request.Request(url, data=body, method=method, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def start_sandbox(
    variants: int, *, config: dict[str, Any] | None = None, app_url: str = "http://127.0.0.1:5000"
) -> tuple[subprocess.Popen[bytes], str]:
    """A Shopify sandbox process with our bench token (and `config` merged over it); returns it and its URL."""
    path = os.path.join(tempfile.mkdtemp(), "sandbox.json")
    with open(path, "w") as file:
        tokens = [{"token": TOKEN, "shop": SHOP, "client_id": CLIENT_ID}]
        json.dump({"tokens": tokens, "bulk_delay_seconds": 0, **(config or {})}, file)
    args = ["--variants", str(variants), "--app-url", app_url, "--config", path]
    return _serve_module("sandbox.shopify", args, "/sandbox/control/state")


def control(url: str, method: str, path: str, data: Any = None) -> Any:
    """Call the Shopify sandbox's control API."""
    return _call(f"{url}/sandbox/control{path}", method, data)


def start_fbr_sandbox(token: str, posids: list[int]) -> tuple[subprocess.Popen[bytes], str]:
    """An FBR sandbox process that knows `token` for `posids`; returns it and its URL."""
    return _serve_module("sandbox.fbr", ["--token", ",".join(map(str, posids)) + f":{token}"], "/control/state")


def fbr_control(url: str, method: str, path: str, data: Any = None) -> Any:
    """Call the FBR sandbox's control API."""
    return _call(f"{url}/control{path}", method, data)


def in_process_app(url: str, **config: Any) -> Flask:
    """The app on the bench database, requests served in this process, without Redis; quiet logs."""
    from ismartsync import create_app

    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": "bench",
            "REDIS_URL": None,
            "RATELIMIT_STORAGE_URI": "memory://",
            "LOG_FORMAT": "text",
            **config,
        }
    )
    logging.getLogger("ismartsync").setLevel(logging.WARNING)
    return app


def postgres_url(url: str) -> str:
    """The URL with SQLAlchemy's psycopg 3 driver named (a plain postgresql:// would look for psycopg2)."""
    return url.replace("postgresql://", "postgresql+psycopg://", 1)


def create_database(url: str, *, drop: bool = False) -> bool:
    """Create the URL's PostgreSQL database if it is missing (after dropping it, with `drop`); True if created."""
    parsed = sa.make_url(url)
    admin = sa.create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            if drop:
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)')
            exists = conn.scalar(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": parsed.database})
            if not exists:
                conn.exec_driver_sql(f'CREATE DATABASE "{parsed.database}"')
            return not exists
    finally:
        admin.dispose()


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile: the smallest value with at least `share` of the values at or below it."""
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, math.ceil(share * len(ordered)) - 1))]


# Timing requests in-process, and reporting figures beside their budgets


@dataclass(frozen=True)
class Sample:
    ms: float  # around the test client's call
    app_ms: float  # what the app's own request log says
    queries: int  # SQL statements the request sent
    sql_ms: float  # spent executing them (driver and database; COMMIT and the pool's pre-ping not included)
    render_ms: float  # spent in Jinja
    tag: str = ""


@dataclass
class Series:
    samples: list[Sample] = field(default_factory=list)

    def p95(self) -> float:
        return percentile([s.ms for s in self.samples], 0.95)

    def figures(self) -> str:
        ms = [s.ms for s in self.samples]
        app_p95 = percentile([s.app_ms for s in self.samples], 0.95)
        return f"n={len(ms)}  p50 {statistics.median(ms):5.1f}  p95 {self.p95():5.1f}  max {max(ms):6.1f} ms  " + (
            f"(app log p95 {app_p95:.1f})"
        )

    def split(self) -> str:
        """Where the median request spends its time."""

        def median(values: list[float]) -> float:
            return statistics.median(values)

        queries = [s.queries for s in self.samples]
        sql = median([s.sql_ms for s in self.samples])
        render = median([s.render_ms for s in self.samples])
        rest = median([s.ms - s.sql_ms - s.render_ms for s in self.samples])
        return (
            f"median split: SQL {sql:.1f} ms in {median(queries):.0f} statements [{min(queries)}–{max(queries)}], "
            f"Jinja {render:.1f} ms, the rest {rest:.1f} ms (Flask, auth, forms, ORM, COMMIT, test client)"
        )

    def slowest(self, count: int) -> str:
        by_tag: dict[str, list[float]] = {}
        for sample in self.samples:
            by_tag.setdefault(sample.tag, []).append(sample.ms)
        ranked = sorted(by_tag.items(), key=lambda item: -statistics.median(item[1]))[:count]
        return ", ".join(f"“{tag}” {statistics.median(ms):.1f}" for tag, ms in ranked)


class Probe:
    """Times a request and what it spends on SQL and in Jinja, and keeps the duration the app's request log records."""

    def __init__(self, app: Flask, engine: sa.Engine) -> None:
        self.queries, self.sql_ms, self.render_ms = 0, 0.0, 0.0
        self._sql_started = self._render_started = 0.0
        self.logged: list[float] = []
        event.listen(engine, "before_cursor_execute", self._before_sql)
        event.listen(engine, "after_cursor_execute", self._after_sql)
        before_render_template.connect(self._before_render, app)
        template_rendered.connect(self._after_render, app)
        logger = logging.getLogger("ismartsync.request")
        logger.handlers[:] = [_Keep(self.logged)]
        logger.setLevel(logging.INFO)
        logger.propagate = False

    def _before_sql(self, *args: object) -> None:
        self.queries += 1
        self._sql_started = time.perf_counter()

    def _after_sql(self, *args: object) -> None:
        self.sql_ms += (time.perf_counter() - self._sql_started) * 1000

    def _before_render(self, *args: object, **kwargs: object) -> None:
        self._render_started = time.perf_counter()

    def _after_render(self, *args: object, **kwargs: object) -> None:
        self.render_ms += (time.perf_counter() - self._render_started) * 1000

    def time(self, call: Callable[[], TestResponse], expect: int, tag: str = "") -> tuple[Sample, TestResponse]:
        before = (self.queries, self.sql_ms, self.render_ms, len(self.logged))
        started = time.perf_counter()
        response = call()
        elapsed = (time.perf_counter() - started) * 1000
        if response.status_code != expect:
            raise SystemExit(f"HTTP {response.status_code}, expected {expect}: {response.get_data(as_text=True)[:400]}")
        app_ms = self.logged[-1] if len(self.logged) > before[3] else math.nan
        sample = Sample(
            elapsed, app_ms, self.queries - before[0], self.sql_ms - before[1], self.render_ms - before[2], tag
        )
        return sample, response


class _Keep(logging.Handler):
    def __init__(self, into: list[float]) -> None:
        super().__init__()
        self.into = into

    def emit(self, record: logging.LogRecord) -> None:
        self.into.append(getattr(record, "fields", {}).get("duration_ms", math.nan))


def round_trips(engine: sa.Engine) -> str:
    """What one statement and one commit cost here, for reading the splits."""
    with engine.connect() as conn:
        selects, commits = [], []
        for _ in range(200):
            started = time.perf_counter()
            conn.exec_driver_sql("SELECT 1")
            selects.append((time.perf_counter() - started) * 1000)
        conn.commit()
        for _ in range(100):
            started = time.perf_counter()
            conn.exec_driver_sql("UPDATE bench_counter_seed SET seeded_at = seeded_at")
            conn.commit()
            commits.append((time.perf_counter() - started) * 1000)
    return (
        f"this machine: SELECT 1 round trip {statistics.median(selects):.2f} ms, "
        f"one-row UPDATE + COMMIT {statistics.median(commits):.2f} ms (medians)"
    )


class Report:
    """Figures in aligned columns with the budget beside each; remembers what was missed for the closing line."""

    def __init__(self) -> None:
        self.missed: list[str] = []

    def row(self, label: str, figures: str, budget: str = "", ok: bool | None = None) -> None:
        verdict = "" if ok is None else ("ok" if ok else "OVER BUDGET")
        if ok is False:
            self.missed.append(label)
        print(f"  {label:<32} {figures:<64} {budget:<14} {verdict}".rstrip())

    def note(self, text: str) -> None:
        print(f"  {'':<32} {text}")

    def check(self, label: str, held: bool, detail: str) -> None:
        """An invariant rather than a budget: FAILED when it does not hold."""
        if not held:
            self.missed.append(f"{label} (FAILED)")
        print(f"  {label:<32} {detail:<64} {'':<14} {'ok' if held else 'FAILED'}".rstrip())

    def summary(self) -> str:
        return f"missed: {', '.join(self.missed)}" if self.missed else "every budget kept, every check held"
