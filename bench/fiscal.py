"""Fiscalisation throughput against the FBR sandbox (its own process, real HTTP), on PostgreSQL with real RQ workers.

1. The counter's inline attempt, one sale after another: its latency (what a cashier waits after "Complete sale")
   and how many sales a second one web process reports that way.
2. The fiscal queue: a backlog of pending reports drained by 1, 2 and 4 RQ workers: reports per second.
3. An FBR outage: sales made while FBR is down (each inline attempt after the first two skipped by the circuit, so
   the counter stops waiting), then FBR returns: the time until every one of them carries its FBR number.
Each report is checked: one FBR invoice per USIN, the number FBR recorded on our document.

Run with `make bench` (or `python -m bench.fiscal --sales 400`). Needs PostgreSQL and Redis:
ISMARTSYNC_BENCH_DATABASE_URL (default postgresql://postgres@127.0.0.1:5432/ismartsync_bench_fiscal; recreated)
and ISMARTSYNC_BENCH_REDIS_URL (default redis://127.0.0.1:6379/10; flushed).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time

from flask_migrate import upgrade
from redis import Redis
from sqlalchemy import func, select

from bench.common import create_database, fbr_control, percentile, postgres_url, start_fbr_sandbox
from ismartsync import create_app
from ismartsync.extensions import db
from ismartsync.models import Branch, Counter, FiscalDocument, Product, Tender, User, Variant
from ismartsync.pipelines.fbr_report import report_after_checkout
from ismartsync.services import cart as carts
from ismartsync.services.audit import Actor
from ismartsync.services.cash.registers import open_shift, start_register
from ismartsync.services.checkout import Payment, checkout_sale
from ismartsync.services.fiscal.documents import enqueue_report
from ismartsync.services.merchants import sign_up_owner

DEFAULT_DATABASE = "postgresql://postgres@127.0.0.1:5432/ismartsync_bench_fiscal"
DEFAULT_REDIS = "redis://127.0.0.1:6379/10"
ENCRYPTION_KEY = "dGVzdC1vbmx5LWVuY3J5cHRpb24ta2V5LTMyYnl0ZSE="
TOKEN = "bench-fbr-token"
POSIDS = [820001, 820002, 820003, 820004]


def _environment(database: str, redis: str, fbr_url: str) -> dict[str, str]:
    return {
        "ISMARTSYNC_DATABASE_URL": database,
        "ISMARTSYNC_REDIS_URL": redis,
        "ISMARTSYNC_FBR_API_BASE": fbr_url,
        "ISMARTSYNC_ENCRYPTION_KEYS": ENCRYPTION_KEY,
        "ISMARTSYNC_SECRET_KEY": "bench",
        "ISMARTSYNC_DEBUG": "1",
        "ISMARTSYNC_LOG_FORMAT": "text",
    }


def _seed() -> list[Actor]:
    """A merchant reporting to FBR with four counters, a cashier selling at each, and five items (stock untracked:
    the ledger is not what is measured here)."""
    owner = sign_up_owner(
        db.session,
        legal_name="Bench Textiles",
        brand_name="Bench",
        owner_name="Owner",
        email="o@b.pk",
        password="x" * 12,
    )
    merchant = owner.merchant
    merchant.ntn, merchant.fiscal_backend, merchant.fbr_token = "1234567-8", "ims_cloud", TOKEN
    merchant.default_pct_code = "62044200"
    branch = db.session.scalar(select(Branch).where(Branch.merchant_id == merchant.id))
    counters = [db.session.scalar(select(Counter).where(Counter.branch_id == branch.id))]
    counters += [Counter(merchant_id=merchant.id, branch=branch, name=f"Counter {n}") for n in (2, 3, 4)]
    db.session.add_all(counters)
    for counter, posid in zip(counters, POSIDS, strict=True):
        counter.fbr_enabled, counter.fbr_pos_id = True, posid
    product = Product(merchant_id=merchant.id, shopify_id="gid://shopify/Product/1", title="Lawn 3pc")
    variants = [
        Variant(
            merchant_id=merchant.id,
            product=product,
            shopify_id=f"gid://shopify/ProductVariant/{n}",
            sku=f"L-{n}",
            title=f"Size {n}",
            price_minor=250_000 + n * 10_000,
            tracked=False,
        )
        for n in range(5)
    ]
    db.session.add_all([product, *variants])
    db.session.flush()
    actors = []
    for n, counter in enumerate(counters):
        cashier = User(
            merchant=merchant, email=f"c{n}@b.pk", full_name=f"Cashier {n}", role=owner.role, all_branches=True
        )
        db.session.add(cashier)
        db.session.flush()
        start_register(db.session, Actor(owner), counter, 500_000)
        open_shift(db.session, Actor(cashier, counter_id=counter.id), counter)
        actors.append(Actor(cashier, branch_id=branch.id, counter_id=counter.id))
    db.session.commit()
    return actors


def _sell(actors: list[Actor], count: int) -> list[int]:
    """`count` five-line cash sales spread over the counters; the ids of their pending fiscal documents."""
    variants = list(db.session.scalars(select(Variant).order_by(Variant.id)))
    documents = []
    for n in range(count):
        actor = actors[n % len(actors)]
        counter = db.session.get(Counter, actor.counter_id)
        cart = carts.open_cart(db.session, actor, counter)
        for variant in variants:
            carts.add_variant(db.session, cart, variant)
        done = checkout_sale(db.session, actor, counter, cart.uuid, [Payment(Tender.CASH, cart.payable_minor)])
        db.session.commit()
        documents.append(done.fiscal_document_id)
    return documents


def _open(ids: list[int]) -> int:
    db.session.expire_all()
    return int(
        db.session.scalar(select(func.count()).where(FiscalDocument.id.in_(ids), FiscalDocument.status != "reported"))
        or 0
    )


def _inline(ids: list[int]) -> None:
    latencies = []
    started = time.perf_counter()
    for document_id in ids:
        t0 = time.perf_counter()
        report_after_checkout(db.session, document_id)
        latencies.append((time.perf_counter() - t0) * 1000)
    wall = time.perf_counter() - started
    print(
        f"  inline attempt after checkout     n={len(ids)}  p50 {statistics.median(latencies):.1f}  "
        f"p95 {percentile(latencies, 0.95):.1f}  max {max(latencies):.1f} ms   {len(ids) / wall:.0f} reports/s, "
        f"one process ({_open(ids)} left open)"
    )


def _workers(count: int, environment: dict[str, str]) -> list[subprocess.Popen[bytes]]:
    env = {**os.environ, **environment}
    return [
        subprocess.Popen(
            [sys.executable, "-m", "jobs.worker", "--no-cron", "fiscal"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(count)
    ]


def _drain(ids: list[int], timeout: float = 300) -> float:
    started = time.perf_counter()
    while _open(ids) and time.perf_counter() - started < timeout:
        time.sleep(0.05)
    return time.perf_counter() - started


def _queue(ids: list[int], workers: int, environment: dict[str, str]) -> None:
    processes = _workers(workers, environment)
    time.sleep(2.0)  # let them start and register
    for document_id in ids:
        enqueue_report(db.session, document_id)
    db.session.commit()  # enqueued after the commit, as a sweep would
    elapsed = _drain(ids)
    for process in processes:
        process.terminate()
    for process in processes:
        process.wait(10)
    left = _open(ids)
    print(
        f"  fiscal queue, {workers} worker(s)            {len(ids)} reports in {elapsed:.2f} s = "
        f"{len(ids) / elapsed:.0f} reports/s ({left} left open)"
    )


def _outage(actors: list[Actor], count: int, fbr_url: str, environment: dict[str, str]) -> None:
    from jobs.fiscal import sweep

    fbr_control(fbr_url, "POST", "/faults", {"mode": "down", "count": 1_000_000})
    ids = _sell(actors, count)
    waits = []
    for document_id in ids:
        t0 = time.perf_counter()
        report_after_checkout(db.session, document_id)
        waits.append((time.perf_counter() - t0) * 1000)
    offline = int(
        db.session.scalar(select(func.count()).where(FiscalDocument.id.in_(ids), FiscalDocument.offline_issued)) or 0
    )
    print(
        f"  FBR down: {count} sales               the counter waited p50 {statistics.median(waits):.1f}  "
        f"p95 {percentile(waits, 0.95):.1f}  max {max(waits):.1f} ms; {offline} marked offline-issued"
    )
    fbr_control(fbr_url, "DELETE", "/faults")
    processes = _workers(2, environment)
    time.sleep(2.0)
    sweep()  # the next tick of the periodic sweeper (every 15 s in production)
    elapsed = _drain(ids)
    for process in processes:
        process.terminate()
    for process in processes:
        process.wait(10)
    print(
        f"  FBR back: every one reported      {elapsed:.2f} s after the sweep's tick, 2 workers "
        f"({_open(ids)} left open)"
    )


def _check(fbr_url: str) -> None:
    invoices = fbr_control(fbr_url, "GET", "/invoices")["invoices"]
    usins = [i["USIN"] for i in invoices]
    numbers = {(i["POSID"], i["USIN"]): i["InvoiceNumber"] for i in invoices}
    ours = db.session.execute(select(FiscalDocument.pos_id, FiscalDocument.usin, FiscalDocument.fbr_number)).all()
    mismatched = [u for p, u, n in ours if numbers.get((p, u)) != n]
    print(
        f"  check: {len(invoices)} FBR invoices, {len(usins) - len(set(usins))} USINs recorded twice, "
        f"{len(mismatched)} of our {len(ours)} documents without FBR's number"
    )
    if mismatched or len(usins) != len(set(usins)):
        raise SystemExit("FAILED: our documents and FBR's records disagree")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.fiscal", description=__doc__.splitlines()[0])
    parser.add_argument("--sales", type=int, default=400, help="pending reports drained by the queue per run")
    args = parser.parse_args(argv)
    database = postgres_url(os.environ.get("ISMARTSYNC_BENCH_DATABASE_URL", DEFAULT_DATABASE))
    redis_url = os.environ.get("ISMARTSYNC_BENCH_REDIS_URL", DEFAULT_REDIS)
    create_database(database, drop=True)
    Redis.from_url(redis_url).flushdb()
    fbr, fbr_url = start_fbr_sandbox(TOKEN, POSIDS)
    environment = _environment(database, redis_url, fbr_url)
    os.environ.update(environment)
    app = create_app({"SQLALCHEMY_DATABASE_URI": database, "REDIS_URL": redis_url, "FBR_API_BASE": fbr_url})
    try:
        with app.app_context():
            upgrade()
            actors = _seed()
            print(f"Fiscalisation against the FBR sandbox ({fbr_url}), PostgreSQL, RQ on Redis; {os.cpu_count()} CPUs")
            _inline(_sell(actors, 100))
            for workers in (1, 2, 4):
                _queue(_sell(actors, args.sales), workers, environment)
            _outage(actors, 100, fbr_url, environment)
            _check(fbr_url)
    finally:
        fbr.terminate()
        fbr.wait(10)


if __name__ == "__main__":
    main()
