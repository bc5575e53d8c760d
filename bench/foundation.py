"""Server-side timings of the foundation screens: PIN sign-in, dashboard, roles matrix, audit log.

Run with `make bench`. Uses PostgreSQL when ISMARTSYNC_BENCH_DATABASE_URL is set, else a temporary SQLite file.
"""

from __future__ import annotations

import os
import re
import statistics
import tempfile
import time
from collections.abc import Callable

from flask.testing import FlaskClient
from flask_migrate import upgrade
from sqlalchemy import select

from ismartsync import create_app
from ismartsync.cli import DEMO_PASSWORD, DEMO_STAFF, seed_demo
from ismartsync.extensions import db
from ismartsync.models import User

CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


def _timed(label: str, runs: int, call: Callable[[], int], expect: int = 200) -> None:
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        status = call()
        samples.append((time.perf_counter() - started) * 1000)
        assert status == expect, f"{label}: HTTP {status}, expected {expect}"
    _report(label, sorted(samples))


def _report(label: str, samples: list[float]) -> None:
    p95 = samples[max(0, int(len(samples) * 0.95) - 1)]
    print(f"{label:<34} n={len(samples):<4} p50={statistics.median(samples):7.2f} ms  p95={p95:7.2f} ms")


def _token(client: FlaskClient, path: str) -> str:
    match = CSRF_RE.search(client.get(path).get_data(as_text=True))
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def main() -> None:
    url = os.environ.get("ISMARTSYNC_BENCH_DATABASE_URL") or f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite3"
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "LOG_FORMAT": "text"})
    app.logger.disabled = True
    import logging

    logging.getLogger("ismartsync").setLevel(logging.WARNING)
    with app.app_context():
        upgrade()
        seed_demo()
        cashier = db.session.scalar(select(User).where(User.email == DEMO_STAFF[2][2]))
        counter = cashier.branches[0].counters[0]
        counter_id, cashier_id = counter.id, cashier.id
    client = app.test_client()
    credentials = {"email": DEMO_STAFF[1][2], "password": DEMO_PASSWORD, "csrf_token": _token(client, "/sign-in")}
    assert client.post("/sign-in", data=credentials).status_code == 303, "manager sign-in failed"
    token = _token(client, "/")  # signing in starts a new session, with a new CSRF token
    paired = client.post(f"/device/pair/{counter_id}", data={"csrf_token": token, "label": "Bench"})
    assert paired.status_code == 303, "pairing failed"
    print(f"database: {url.split(':')[0]}")
    _timed("dashboard GET", 200, lambda: client.get("/").status_code)
    _timed("roles matrix GET", 50, lambda: client.get("/roles").status_code)
    _timed("audit log GET", 50, lambda: client.get("/audit").status_code)
    _timed("PIN pad GET", 100, lambda: client.get("/device/pin").status_code)
    pin_url = f"/device/pin/{cashier_id}"

    def pin_sign_in() -> int:
        # Each PIN sign-in starts a new session, so the tablet's next form carries a new token (not timed).
        data = {"csrf_token": _token(client, pin_url), "pin": DEMO_STAFF[2][3]}
        started = time.perf_counter()
        status = client.post(pin_url, data=data).status_code
        pin_times.append((time.perf_counter() - started) * 1000)
        return status

    pin_times: list[float] = []
    for _ in range(30):
        assert pin_sign_in() == 303, "PIN sign-in failed"
    _report("PIN sign-in POST (argon2 verify)", sorted(pin_times))


if __name__ == "__main__":
    main()
