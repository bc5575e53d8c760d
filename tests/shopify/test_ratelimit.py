"""The cost bucket: bursts and concurrent workers stay inside Shopify's rate limit instead of being THROTTLED."""

from __future__ import annotations

import threading
import time

from redis import Redis

from ismartsync.shopify.client import ShopifyClient
from tests.sandbox_fixtures import SHOP, RunningSandbox, Sleeps, requests_log

PAGE = {"first": 10}  # ProductVariantsPage of 10 variants: 42 points in the sandbox (2 + 10 × 4)
PAGE_COST = 42


def _small_bucket(sandbox: RunningSandbox) -> None:
    sandbox.control("POST", "/rate-limit", {"shop": SHOP, "maximum_available": 100, "restore_rate": 50})


def _throttled(sandbox: RunningSandbox) -> int:
    return sum(1 for entry in requests_log(sandbox) if entry.get("throttled"))


def test_a_burst_waits_for_the_bucket_instead_of_being_throttled(shopify_sandbox: RunningSandbox, make_client) -> None:
    _small_bucket(shopify_sandbox)
    client: ShopifyClient = make_client(shopify_sandbox)
    started = time.monotonic()

    pages = [client.query("ProductVariantsPage", PAGE) for _ in range(6)]

    elapsed = time.monotonic() - started
    assert all(len(p["productVariants"]["nodes"]) == 10 for p in pages)
    assert _throttled(shopify_sandbox) == 0
    assert elapsed >= (6 * PAGE_COST - 100) / 50 * 0.9  # it paced itself at the restore rate
    snapshot = client.bucket.snapshot()
    assert snapshot is not None and (snapshot["maximum"], snapshot["rate"]) == (100, 50)


def test_two_workers_sharing_the_bucket_stay_within_it(
    shopify_sandbox: RunningSandbox, make_client, shared_redis: Redis | None
) -> None:
    _small_bucket(shopify_sandbox)
    workers = [make_client(shopify_sandbox), make_client(shopify_sandbox)]  # separate connections, one bucket
    failures: list[Exception] = []

    def work(client: ShopifyClient) -> None:
        try:
            for _ in range(4):
                client.query("ProductVariantsPage", PAGE)
        except Exception as exc:  # reported below: nothing may reach the caller
            failures.append(exc)

    threads = [threading.Thread(target=work, args=(client,)) for client in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert failures == []
    assert len(requests_log(shopify_sandbox)) == 8
    assert _throttled(shopify_sandbox) == 0
    if shared_redis is not None:  # the state lives in Redis, where workers in other processes see it too
        assert shared_redis.exists(f"ismartsync:shopify:{{{SHOP}}}:bucket")


def test_after_throttled_it_waits_for_the_restore_rate(shopify_sandbox: RunningSandbox, make_client) -> None:
    _small_bucket(shopify_sandbox)
    sleeps = Sleeps()
    client = make_client(shopify_sandbox, sleep=sleeps)
    client.query("ProductVariantsPage", PAGE)  # the client now knows the bucket and the page's cost
    shopify_sandbox.control("POST", "/rate-limit", {"shop": SHOP, "currently_available": 0})  # another app drew it

    client.query("ProductVariantsPage", PAGE)

    assert _throttled(shopify_sandbox) == 1  # one surprise, then it waited instead of asking again at once
    assert len(requests_log(shopify_sandbox)) == 3
    assert 0.5 <= sleeps[0] <= PAGE_COST / 50 + 0.25  # (requested - available) / restoreRate + jitter


def test_without_redis_the_client_paces_itself_in_process(
    shopify_sandbox: RunningSandbox, make_client, shopify_log
) -> None:
    _small_bucket(shopify_sandbox)
    gone = Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.2)  # nothing listens there
    client = make_client(shopify_sandbox, redis=gone)

    pages = [client.query("ProductVariantsPage", PAGE) for _ in range(4)]

    assert len(pages) == 4 and _throttled(shopify_sandbox) == 0
    warnings = [r for r in shopify_log if r.levelname == "WARNING"]
    assert len(warnings) == 1 and "Redis is unavailable" in warnings[0].getMessage()
