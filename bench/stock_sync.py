"""A burst of sales over 20 counters, pushed to a Shopify sandbox limited to 100 points/s by real RQ workers.

Per sale: the time from its commit until Shopify has applied every line (the batch's answer). Also: the API calls
made (pushes, and the re-reads that Shopify's echo webhooks cause), THROTTLED answers from Shopify, and how many
of those reached our code as failures (target 0). The app answers webhooks on a real port as in production.

Run with `make bench` (or `python -m bench.stock_sync --sales 1000`). Needs PostgreSQL and Redis:
ISMARTSYNC_BENCH_DATABASE_URL (default postgresql://postgres@127.0.0.1:5432/ismartsync_bench) and
ISMARTSYNC_BENCH_REDIS_URL (default redis://127.0.0.1:6379/9; flushed).
"""

from __future__ import annotations

import argparse
import logging
import os
import random
import statistics
import subprocess
import sys
import threading
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import Flask
from flask_migrate import upgrade
from redis import Redis
from werkzeug.serving import make_server

from bench.common import CLIENT_ID, CLIENT_SECRET, SHOP, TOKEN, control, free_port, start_sandbox
from ismartsync import create_app
from ismartsync.extensions import db
from ismartsync.models import (
    Branch,
    ImportRun,
    ImportStatus,
    Merchant,
    MovementKind,
    OutboxStatus,
    ShopifyConnection,
    ShopifyLocation,
    StockLevel,
    SyncBatch,
    SyncOutboxEntry,
    Variant,
    WebhookEvent,
)
from ismartsync.models.base import utcnow
from ismartsync.models.shopify import AuthMethod
from ismartsync.services.audit import Actor
from ismartsync.services.merchants import sign_up_owner
from ismartsync.services.shopify_store.locations import map_branch, start_import
from ismartsync.services.stock.ledger import record_movement

DEFAULT_DATABASE = "postgresql+psycopg://postgres@127.0.0.1:5432/ismartsync_bench"
APP_TOML = Path(__file__).resolve().parents[1] / "shopify.app.toml"
DEFAULT_REDIS = "redis://127.0.0.1:6379/9"
ENCRYPTION_KEY = "dGVzdC1vbmx5LWVuY3J5cHRpb24ta2V5LTMyYnl0ZSE="


def _fresh_database(url: str) -> None:
    parsed = sa.make_url(url)
    admin = sa.create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)')
        conn.exec_driver_sql(f'CREATE DATABASE "{parsed.database}"')
    admin.dispose()


def _config(database: str, redis: str, sandbox_url: str) -> dict[str, Any]:
    return {
        "SQLALCHEMY_DATABASE_URI": database,
        "REDIS_URL": redis,
        "SECRET_KEY": "bench",
        "ENCRYPTION_KEYS": ENCRYPTION_KEY,
        "LOG_FORMAT": "text",
        "TESTING": True,
        "SHOPIFY_API_BASE": f"{sandbox_url}/shops/{{shop}}",
        "SHOPIFY_CLIENT_ID": CLIENT_ID,
        "SHOPIFY_CLIENT_SECRET": CLIENT_SECRET,
    }


def _start_workers(count: int, database: str, redis: str, sandbox_url: str) -> list[subprocess.Popen[bytes]]:
    env = {
        **os.environ,
        "ISMARTSYNC_DATABASE_URL": database,
        "ISMARTSYNC_REDIS_URL": redis,
        "ISMARTSYNC_ENCRYPTION_KEYS": ENCRYPTION_KEY,
        "ISMARTSYNC_SECRET_KEY": "bench",
        "ISMARTSYNC_DEBUG": "1",
        "ISMARTSYNC_LOG_FORMAT": "text",
        "ISMARTSYNC_SHOPIFY_API_BASE": f"{sandbox_url}/shops/{{shop}}",
        "ISMARTSYNC_SHOPIFY_CLIENT_ID": CLIENT_ID,
        "ISMARTSYNC_SHOPIFY_CLIENT_SECRET": CLIENT_SECRET,
    }
    command = [sys.executable, "-m", "jobs.worker", "--no-cron", "shopify", "default"]
    return [
        subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for _ in range(count)
    ]


def _serve(app: Flask, port: int) -> Any:
    server = make_server("127.0.0.1", port, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def _wait(predicate: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise SystemExit(f"timed out waiting for {what}")


def _setup(app: Flask, sandbox_url: str) -> tuple[int, list[tuple[int, int]]]:
    """A merchant with the bench shop imported and two branches linked to locations; returns sale targets."""
    with app.app_context():
        upgrade()
        owner = sign_up_owner(
            db.session,
            legal_name="Bench Ltd",
            brand_name="Bench",
            owner_name="Bench Owner",
            email="bench@example.com",
            password="bench-password-1",
        )
        merchant = db.session.get(Merchant, owner.merchant_id)
        db.session.add(
            ShopifyConnection(
                # TOKEN is our app's (bench/common.py): an install of our app, its webhooks declared in the toml.
                merchant=merchant, shop_domain=SHOP, auth_method=AuthMethod.OAUTH, access_token=TOKEN
            )
        )
        db.session.commit()
        run = start_import(db.session, Actor(owner), "full")
        db.session.commit()
        _wait(lambda: _import_done(run.id), 300, "the first import")
        locations = db.session.scalars(
            sa.select(ShopifyLocation)
            .where(ShopifyLocation.merchant_id == merchant.id, ShopifyLocation.active)
            .order_by(ShopifyLocation.id)
        ).all()[:2]
        branches = [db.session.scalar(sa.select(Branch).where(Branch.merchant_id == merchant.id))]
        branches.append(Branch(merchant=merchant, name="Second branch", code="TWO"))
        db.session.add(branches[1])
        db.session.commit()
        for branch, location in zip(branches, locations, strict=True):
            map_branch(db.session, Actor(owner), branch, location)
        db.session.commit()
        run = start_import(db.session, Actor(owner), "full")
        db.session.commit()
        _wait(lambda: _import_done(run.id), 300, "the import with opening stock")
        targets = [
            (variant_id, branch_id)
            for variant_id, branch_id in db.session.execute(
                sa.select(StockLevel.variant_id, StockLevel.branch_id)
                .join(Variant, Variant.id == StockLevel.variant_id)
                .where(StockLevel.merchant_id == merchant.id, Variant.tracked.is_(True))
            )
        ]
        return merchant.id, targets


def _import_done(run_id: int) -> bool:
    db.session.expire_all()
    run = db.session.get(ImportRun, run_id)
    db.session.commit()
    if run.status == ImportStatus.FAILED:
        raise SystemExit(f"import failed: {run.error}")
    return run.status == ImportStatus.SUCCEEDED


def _counter(app: Flask, number: int, sales: int, targets: list[tuple[int, int]], done: dict[str, datetime]) -> None:
    """One counter selling `sales` times, 1 to 3 lines each, as fast as it can."""
    rng = random.Random(number)
    branch_id = targets[number % len(targets)][1]
    mine = [t for t in targets if t[1] == branch_id]
    with app.app_context():
        branch = db.session.get(Branch, branch_id)
        for n in range(sales):
            reference = f"gid://ismartsync/Sale/{number}-{n}"
            for variant_id, _ in rng.sample(mine, rng.randint(1, 3)):
                record_movement(
                    db.session,
                    variant=db.session.get(Variant, variant_id),
                    branch=branch,
                    delta=-1,
                    kind=MovementKind.SALE,
                    reference=reference,
                )
            db.session.commit()
            done[reference] = utcnow()
        db.session.remove()


def _all_applied(merchant_id: int) -> bool:
    db.session.expire_all()
    waiting = db.session.scalar(
        sa.select(sa.func.count()).where(
            SyncOutboxEntry.merchant_id == merchant_id,
            SyncOutboxEntry.status.in_([OutboxStatus.PENDING, OutboxStatus.SENDING]),
        )
    )
    db.session.commit()
    return not waiting


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sales", type=int, default=1000)
    parser.add_argument("--counters", type=int, default=20)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--variants", type=int, default=2000)
    parser.add_argument(
        "--no-webhooks", action="store_true", help="Shopify sends no webhooks (how fast the push alone is)"
    )
    args = parser.parse_args()
    logging.getLogger("ismartsync").setLevel(logging.WARNING)
    database = os.environ.get("ISMARTSYNC_BENCH_DATABASE_URL") or DEFAULT_DATABASE
    database = database.replace("postgresql://", "postgresql+psycopg://", 1)
    redis = os.environ.get("ISMARTSYNC_BENCH_REDIS_URL") or DEFAULT_REDIS
    _fresh_database(database)
    Redis.from_url(redis).flushdb()
    port = free_port()
    app_url = f"http://127.0.0.1:{port}"
    sandbox, sandbox_url = start_sandbox(
        args.variants,
        config={
            "rate_limit": {"maximum_available": 2000, "restore_rate": 100},
            "apps": [
                {
                    "client_id": CLIENT_ID,
                    "client_secret": CLIENT_SECRET,
                    # Our app's webhooks are those shopify.app.toml declares (delivered to app_url/webhooks/shopify).
                    "app_toml": None if args.no_webhooks else str(APP_TOML),
                }
            ],
        },
        app_url=app_url,
    )
    app = create_app(_config(database, redis, sandbox_url))
    server = _serve(app, port)
    workers = _start_workers(args.workers, database, redis, sandbox_url)
    try:
        merchant_id, targets = _setup(app, sandbox_url)
        control(sandbox_url, "DELETE", "/requests")
        done: dict[str, datetime] = {}
        per_counter = args.sales // args.counters
        started = time.perf_counter()
        threads = [
            threading.Thread(target=_counter, args=(app, n, per_counter, targets, done)) for n in range(args.counters)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        selling = time.perf_counter() - started
        with app.app_context():
            _wait(lambda: _all_applied(merchant_id), 600, "every sale to reach Shopify")
            drained = time.perf_counter() - started
            applied = dict(
                db.session.execute(
                    sa.select(SyncOutboxEntry.reference, sa.func.max(SyncOutboxEntry.applied_at))
                    .where(SyncOutboxEntry.merchant_id == merchant_id)
                    .group_by(SyncOutboxEntry.reference)
                ).all()
            )
            batches = db.session.execute(
                sa.select(sa.func.count(), sa.func.sum(SyncBatch.changes), sa.func.max(SyncBatch.attempts)).where(
                    SyncBatch.merchant_id == merchant_id
                )
            ).one()
            surfaced = db.session.scalar(
                sa.select(sa.func.count()).where(
                    SyncBatch.merchant_id == merchant_id, SyncBatch.error.contains("THROTTLED")
                )
            ) + db.session.scalar(sa.select(sa.func.count()).where(WebhookEvent.error.contains("THROTTLED")))
        _wait(lambda: control(sandbox_url, "POST", "/webhooks/wait", {"timeout": 1})["idle"], 120, "webhooks")
        time.sleep(3)  # the echo re-reads the last webhooks asked for
        latencies = [(applied[ref] - at).total_seconds() for ref, at in done.items() if applied.get(ref)]
        summary = control(sandbox_url, "GET", f"/requests?shop={SHOP}")["summary"]
        print(
            f"stock sync burst: {len(done)} sales ({args.counters} counters, {args.workers} workers, "
            f"sandbox at 100 points/s, {'no webhooks' if args.no_webhooks else 'webhooks on'}): "
            f"selling took {selling:.1f} s, all in Shopify after {drained:.1f} s"
        )
        print(
            f"  time until Shopify has the sale: p50 {statistics.median(latencies):.2f} s, "
            f"p95 {_percentile(latencies, 0.95):.2f} s, max {max(latencies):.2f} s"
        )
        print(
            f"  batches: {batches[0]} carrying {batches[1]} item changes (most attempts per batch: {batches[2]}); "
            f"API calls: {summary['total']} {summary['by_operation']}"
        )
        print(f"  THROTTLED answers from Shopify: {summary['throttled']}; THROTTLED surfaced as failures: {surfaced}")
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            worker.wait(timeout=10)
        server.shutdown()
        sandbox.terminate()
        sandbox.wait(timeout=10)


if __name__ == "__main__":
    main()
