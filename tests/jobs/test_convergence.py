"""Convergence: two-way stock sync under load, faults, duplicated and reordered webhooks and a killed worker.

Real PostgreSQL, real RQ worker processes, the app on a real port receiving the sandbox's signed webhooks. Random
local movements, Shopify-side edits and online orders run while a fifth of Shopify's answers fail (5xx, 429,
THROTTLED, timeouts after applying); halfway every worker is killed in the middle of a batch. After the queues drain
and one reconciliation, every mapped level must equal what the operations add up to, in iSmartSync and in Shopify.

This test commits for real (worker processes cannot see a test transaction) and empties the database afterwards.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from redis import Redis
from rq import Queue
from werkzeug.serving import make_server

from ismartsync import create_app
from ismartsync.extensions import db
from ismartsync.models import (
    BatchStatus,
    Branch,
    MovementKind,
    OutboxStatus,
    ReconciliationStatus,
    ShopifyLocation,
    StockLevel,
    SyncBatch,
    SyncOutboxEntry,
    Variant,
    WebhookEvent,
    WebhookStatus,
)
from ismartsync.services.audit import Actor
from ismartsync.services.shopify_store.locations import map_branch
from ismartsync.services.stock.ledger import ledger_sum, level_of, record_movement
from ismartsync.services.stock.reconciliation import start_reconciliation
from jobs import sync
from tests import factories
from tests.conftest import REDIS_URL, make_test_config
from tests.jobs.workers import (
    Workers,
    _transaction,  # noqa: F401 (worker processes must see what the test commits)
    needs_real_services,
    periodically,
    shopify_settings,
    wait_until,
)
from tests.sandbox_fixtures import CLIENT_ID, CLIENT_SECRET, SHOP, RunningSandbox
from tests.shopify.synced import connect_and_import, import_catalog

pytestmark = needs_real_services
SEED = 20261127
OPERATIONS = 200
WORKERS = 3
QUEUES = ("--no-cron", "shopify", "default")
DRAIN_TIMEOUT = 150
# About a fifth of Shopify's answers fail (1 - 0.94 * 0.96 * 0.97 * 0.97 * 0.95 * 0.96), in every way the client
# must survive; timeouts happen after Shopify applied the change.
FAULTS = [
    {"mode": "503", "probability": 0.06},
    {"mode": "502", "probability": 0.04},
    {"mode": "500", "probability": 0.03},
    {"mode": "429", "probability": 0.03},
    {"mode": "throttled", "probability": 0.05},
    {"mode": "timeout", "probability": 0.04, "apply": True, "delay_ms": 1500},
]


@pytest.fixture
def webhook_server(app: Flask, database_url: str) -> Iterator[str]:
    """The app on a real port, so the sandbox delivers its webhooks to us as Shopify would."""
    live = create_app(
        make_test_config(
            database_url,
            SERVER_NAME=None,
            SHOPIFY_CLIENT_ID=CLIENT_ID,
            SHOPIFY_CLIENT_SECRET=CLIENT_SECRET,
        )
    )
    server = make_server("127.0.0.1", 0, live, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()
    thread.join(timeout=10)
    with live.app_context():
        db.engine.dispose()


def _link_second_branch(merchant: Any, owner: Any, first: ShopifyLocation) -> Branch:
    second_location = db.session.scalars(
        sa.select(ShopifyLocation)
        .where(ShopifyLocation.merchant_id == merchant.id, ShopifyLocation.active, ShopifyLocation.id != first.id)
        .order_by(ShopifyLocation.id)
    ).first()
    branch = factories.BranchFactory(merchant=merchant, name="DHA", code="DHA")
    db.session.commit()
    map_branch(db.session, Actor(owner), branch, second_location)
    db.session.commit()
    return branch


def _pairs(owner: Any, branches: list[Branch], count: int, run_jobs: Any) -> list[tuple[Variant, Branch]]:
    """Tracked variants stocked at every branch, topped up by 30 each (through the sync, before any fault)."""
    stocked = [
        set(db.session.scalars(sa.select(StockLevel.variant_id).where(StockLevel.branch_id == b.id))) for b in branches
    ]
    chosen = db.session.scalars(
        sa.select(Variant)
        .where(Variant.id.in_(set.intersection(*stocked)), Variant.tracked.is_(True))
        .order_by(Variant.id)
        .limit(count)
    ).all()
    assert len(chosen) == count, "the seeded shop has too few items stocked at both locations"
    pairs = [(v, b) for v in chosen for b in branches]
    for variant, branch in pairs:
        record_movement(db.session, variant=variant, branch=branch, delta=30, kind=MovementKind.ADJUSTMENT)
    db.session.commit()
    run_jobs("shopify")
    return pairs


def _left(merchant_id: int, sandbox: RunningSandbox) -> str:
    """What is still on its way ("" once everything has drained)."""
    db.session.expire_all()
    unsent = db.session.scalar(
        sa.select(sa.func.count()).where(
            SyncOutboxEntry.merchant_id == merchant_id,
            SyncOutboxEntry.status.in_([OutboxStatus.PENDING, OutboxStatus.SENDING, OutboxStatus.FAILED]),
        )
    )
    open_batches = db.session.scalar(
        sa.select(sa.func.count()).where(
            SyncBatch.merchant_id == merchant_id, SyncBatch.status.in_([BatchStatus.SENDING, BatchStatus.RETRY])
        )
    )
    unprocessed = db.session.execute(
        sa.select(WebhookEvent.topic, WebhookEvent.status, WebhookEvent.attempts, WebhookEvent.error).where(
            WebhookEvent.status.not_in([WebhookStatus.PROCESSED, WebhookStatus.IGNORED])
        )
    ).all()
    db.session.commit()
    redis = Redis.from_url(REDIS_URL)
    # Jobs a killed worker was running stay "started" for their whole timeout: the rows they left say more.
    queued = sum(len(Queue(name, connection=redis)) for name in ("shopify", "default"))
    webhooks_idle = sandbox.control("POST", "/webhooks/wait", {"timeout": 0.1})["idle"]
    left = {
        "unsent entries": unsent,
        "open batches": open_batches,
        "unprocessed webhooks": "; ".join(f"{t} {s} x{a} {e[:120]}" for t, s, a, e in unprocessed),
        "queued jobs": queued,
        "webhooks in Shopify": int(not webhooks_idle),
    }
    return ", ".join(f"{name}: {count}" for name, count in left.items() if count)


def test_stock_converges_under_faults_duplicated_webhooks_and_a_killed_worker(
    committed, make_shopify_sandbox, use_sandbox, webhook_server, workers, run_jobs, database_url
):
    sandbox = make_shopify_sandbox(
        app_url=webhook_server,
        variants=120,
        apps=[
            {
                "client_id": CLIENT_ID,
                "client_secret": CLIENT_SECRET,
                "webhook_uri": f"{webhook_server}/webhooks/shopify",
            }
        ],
        webhooks={"retry_delays": [0.2, 0.5, 1, 2, 4, 8]},
    )
    use_sandbox(sandbox)
    merchant = factories.MerchantFactory()
    owner = factories.UserFactory(merchant=merchant, role=factories.roles_of(merchant)["Owner"], all_branches=True)
    gulberg = factories.BranchFactory(merchant=merchant, name="Gulberg", code="GUL")
    db.session.commit()
    synced = connect_and_import(sandbox, merchant, owner, gulberg, run_jobs)
    dha = _link_second_branch(merchant, owner, synced.location)
    import_catalog(owner, run_jobs, "full")  # opening stock at the second branch
    branches = [gulberg, dha]
    pairs = _pairs(owner, branches, 6, run_jobs)
    locations = {
        b.id: db.session.scalar(sa.select(ShopifyLocation).where(ShopifyLocation.branch_id == b.id)) for b in branches
    }
    expected = {(v.id, b.id): level_of(db.session, v, b) for v, b in pairs}
    for (variant, branch), quantity in zip(pairs, expected.values(), strict=True):
        assert _shopify_on_hand(sandbox, variant, locations[branch.id]) == quantity

    sandbox.control("POST", "/webhooks", {"duplicate": 1, "reorder": True})
    for i, fault in enumerate(FAULTS):
        sandbox.control("POST", "/faults", {**fault, "count": 100_000, "seed": SEED + i})
    pool = workers(**shopify_settings(sandbox), SYNC_STALE_SECONDS=4, SHOPIFY_TIMEOUT_SECONDS=1)
    pool.start(WORKERS, *QUEUES)
    rng = random.Random(SEED)

    for step in range(OPERATIONS):
        variant, branch = rng.choice(pairs)
        location = locations[branch.id]
        roll = rng.random()
        if roll < 0.6:
            kind, delta = rng.choice(
                [
                    (MovementKind.SALE, -1),
                    (MovementKind.SALE, -2),
                    (MovementKind.RETURN, 1),
                    (MovementKind.ADJUSTMENT, 3),
                ]
            )
            record_movement(db.session, variant=variant, branch=branch, delta=delta, kind=kind)
            db.session.commit()
            expected[(variant.id, branch.id)] += delta
        elif roll < 0.85:
            delta = rng.choice([-2, -1, 1, 2, 4])
            sandbox.control(
                "POST",
                f"/shops/{SHOP}/inventory",
                {
                    "inventory_item_id": variant.inventory_item_id.rsplit("/", 1)[1],
                    "location_id": location.shopify_id.rsplit("/", 1)[1],
                    "adjust_on_hand": delta,
                },
            )
            expected[(variant.id, branch.id)] += delta
        else:  # an online order commits stock in Shopify; on_hand (our level) is unchanged until fulfilment
            sandbox.control(
                "POST",
                f"/shops/{SHOP}/orders",
                {
                    "lines": [{"variant_id": variant.shopify_id.rsplit("/", 1)[1], "quantity": 1}],
                    "location_id": location.shopify_id.rsplit("/", 1)[1],
                },
            )
        if step == OPERATIONS // 2:
            _kill_workers_mid_batch(sandbox, pool)
        time.sleep(rng.random() * 0.06)

    # The faults stay on while the queues drain: the work mostly happens now. The sweeper every 3 s (30 in production).
    wait_until(lambda: _left(merchant.id, sandbox), DRAIN_TIMEOUT, every=periodically(3, sync.sweep))
    run = start_reconciliation(db.session, merchant.id, trigger="manual")
    db.session.commit()
    wait_until(lambda: _running(run.id), 60)

    db.session.expire_all()
    assert (run.status, run.drifted, run.busy) == (ReconciliationStatus.SUCCEEDED, 0, 0), run.error
    for variant, branch in pairs:
        key = (variant.id, branch.id)
        assert level_of(db.session, variant, branch) == expected[key], (variant.id, branch.name)
        assert ledger_sum(db.session, variant, branch) == expected[key]
        assert _shopify_on_hand(sandbox, variant, locations[branch.id]) == expected[key], (variant.id, branch.name)
    statuses = db.session.scalars(
        sa.select(SyncOutboxEntry.status).where(SyncOutboxEntry.merchant_id == merchant.id).distinct()
    ).all()
    assert set(statuses) == {OutboxStatus.APPLIED}
    # The killed worker's batch was taken over and sent again under its key; Shopify replayed it, not re-applied it.
    taken_over = db.session.scalars(
        sa.select(SyncBatch.idempotency_key).where(SyncBatch.merchant_id == merchant.id, SyncBatch.attempts > 1)
    ).all()
    keys = {k["key"]: k for k in sandbox.control("GET", f"/idempotency?shop={SHOP}")["keys"]}
    assert taken_over and any(keys[key]["replays"] for key in taken_over if key in keys)
    requests = sandbox.control("GET", f"/requests?shop={SHOP}")["requests"]
    faulted = [r["fault"] for r in requests if r["fault"] and r["fault"] != "slow"]
    print(f"convergence: {len(requests)} Shopify requests, {len(faulted)} faulted ({sorted(set(faulted))})")
    assert len(faulted) >= 0.1 * len(requests) and len(set(faulted)) >= 4  # the faults really happened


def _kill_workers_mid_batch(sandbox: RunningSandbox, pool: Workers) -> None:
    """Hold the next stock batch in Shopify for a while, kill every worker while it waits, start fresh ones.

    Shopify carries the held request out after the kill, so the batch is in Shopify while its worker is gone.
    """
    rule = sandbox.control("POST", "/faults", {"mode": "slow", "delay_ms": 3000, "operation": "InventoryAdjust"})["id"]

    def held() -> str:
        waiting = any(f["id"] == rule for f in sandbox.control("GET", "/faults")["faults"])
        return "the next batch to reach Shopify" if waiting else ""

    wait_until(held, 30)
    pool.kill_all()
    pool.start(WORKERS, *QUEUES)


def _running(reconciliation_id: int) -> str:
    from ismartsync.models import Reconciliation

    db.session.expire_all()
    run = db.session.get(Reconciliation, reconciliation_id)
    running = run.status == ReconciliationStatus.RUNNING
    db.session.commit()
    return "the reconciliation" if running else ""


def _shopify_on_hand(sandbox: RunningSandbox, variant: Variant, location: ShopifyLocation) -> int:
    rows = sandbox.control(
        "GET",
        f"/shops/{SHOP}/inventory?inventory_item_id={variant.inventory_item_id.rsplit('/', 1)[1]}"
        f"&location_id={location.shopify_id.rsplit('/', 1)[1]}",
    )["levels"]
    return int(rows[0]["on_hand"])
