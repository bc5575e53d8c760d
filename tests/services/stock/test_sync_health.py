"""The sync health figures for one merchant: the outbox by status, the last push and error, retrying batches, the
rate limit, webhook deliveries and the store's subscriptions — never another merchant's."""

from __future__ import annotations

from datetime import timedelta
from itertools import count

import pytest

from ismartsync.extensions import db
from ismartsync.models import (
    BatchStatus,
    OutboxStatus,
    ShopifyConnection,
    SubscriptionStatus,
    SyncBatch,
    SyncOutboxEntry,
    WebhookEvent,
    WebhookStatus,
)
from ismartsync.models.base import utcnow
from ismartsync.models.shopify import AuthMethod, ConnectionStatus
from ismartsync.services.shopify_store.subscriptions import record_state
from ismartsync.services.stock.sync_health import SHOWN, summary
from ismartsync.shopify.bucket import ThrottleStatus, cost_bucket, forget
from tests import factories

SHOP = "health-service.myshopify.com"  # a shop of its own: the cost bucket is shared by the whole process
_keys = count()


def entry(variant, branch, status: str, *, age: timedelta = timedelta(), error: str = "") -> SyncOutboxEntry:
    row = SyncOutboxEntry(
        merchant_id=variant.merchant_id,
        variant_id=variant.id,
        branch_id=branch.id,
        inventory_item_id=variant.inventory_item_id,
        location_id="gid://shopify/Location/1",
        kind="sale",
        delta=-1,
        quantity_after=9,
        status=status,
        error=error,
        created_at=utcnow() - age,
    )
    db.session.add(row)
    db.session.flush()
    return row


def batch(merchant, status: str, **values) -> SyncBatch:
    row = SyncBatch(
        merchant_id=merchant.id,
        operation="InventoryAdjust",
        reason="correction",
        reference="gid://ismartsync/Sale/1",
        idempotency_key=f"key-{next(_keys)}",
        status=status,
        **values,
    )
    db.session.add(row)
    db.session.flush()
    return row


def store(merchant, **values) -> ShopifyConnection:
    connection = ShopifyConnection(
        merchant=merchant, shop_domain=SHOP, auth_method=AuthMethod.ADMIN_TOKEN, access_token="shpat_x", **values
    )
    db.session.add(connection)
    db.session.flush()
    return connection


def test_the_outbox_is_counted_by_status_with_its_oldest_waiting_change(merchant, other_merchant, variant, branch):
    entry(variant, branch, OutboxStatus.PENDING, age=timedelta(minutes=7))
    entry(variant, branch, OutboxStatus.PENDING, age=timedelta(minutes=1))
    entry(variant, branch, OutboxStatus.SENDING)
    entry(variant, branch, OutboxStatus.APPLIED, age=timedelta(hours=1))  # history, not counted
    skipped = entry(variant, branch, OutboxStatus.SKIPPED, error="Not tracked in Shopify")
    theirs = factories.VariantFactory(product__merchant=other_merchant)
    entry(theirs, factories.BranchFactory(merchant=other_merchant), OutboxStatus.PENDING, age=timedelta(days=1))

    health = summary(db.session, merchant.id, None)

    assert (health.pending, health.sending, health.failed, health.skipped) == (2, 1, 0, 1)
    assert timedelta(minutes=7) <= health.oldest_pending_age < timedelta(minutes=8)
    assert health.skipped_entries == [skipped] and health.failed_entries == []


def test_the_latest_failures_are_listed_and_all_of_them_counted(merchant, variant, branch):
    rows = [entry(variant, branch, OutboxStatus.FAILED, error=f"refused {n}") for n in range(SHOWN + 3)]

    health = summary(db.session, merchant.id, None)

    assert health.failed == SHOWN + 3
    assert health.failed_entries == rows[::-1][:SHOWN]


def test_the_last_push_the_last_error_and_the_batches_waiting_to_go_again(merchant):
    now = utcnow()
    batch(merchant, BatchStatus.APPLIED, finished_at=now - timedelta(minutes=9))
    batch(merchant, BatchStatus.APPLIED, finished_at=now - timedelta(minutes=3))
    batch(merchant, BatchStatus.FAILED, error="Refused long ago", finished_at=now - timedelta(hours=2))
    later = batch(merchant, BatchStatus.RETRY, error="No answer", sent_at=now - timedelta(minutes=1),
                  next_attempt_at=now + timedelta(minutes=10))  # fmt: skip
    sooner = batch(merchant, BatchStatus.RETRY, error="No answer", sent_at=now - timedelta(minutes=5),
                   next_attempt_at=now + timedelta(minutes=2))  # fmt: skip

    health = summary(db.session, merchant.id, None)

    assert health.last_push_at == now - timedelta(minutes=3)
    assert (health.last_error, health.last_error_at) == ("No answer", now - timedelta(minutes=1))
    assert health.retrying == [sooner, later]


def test_webhook_deliveries_waiting_failed_and_the_last_received(merchant, other_merchant):
    received = utcnow() - timedelta(minutes=2)
    statuses = [WebhookStatus.RECEIVED, WebhookStatus.RECEIVED, WebhookStatus.FAILED, WebhookStatus.PROCESSED]
    for n, status in enumerate(statuses):
        db.session.add(WebhookEvent(merchant_id=merchant.id, shop_domain=SHOP, topic="products/update",
                                    webhook_id=f"hook-{n}", payload="{}", status=status,
                                    received_at=received - timedelta(minutes=n)))  # fmt: skip
    db.session.add(WebhookEvent(merchant_id=other_merchant.id, shop_domain="theirs.myshopify.com",
                                topic="products/update", webhook_id="theirs", payload="{}"))  # fmt: skip
    db.session.flush()

    health = summary(db.session, merchant.id, None)

    assert (health.webhooks_waiting, health.webhooks_failed, health.last_webhook_at) == (2, 1, received)


def test_the_rate_limit_is_what_shopify_last_reported_for_a_connected_store(merchant, shared_redis):
    assert summary(db.session, merchant.id, shared_redis).throttle is None  # no store
    store(merchant)
    bucket = cost_bucket(SHOP, shared_redis)
    try:
        assert summary(db.session, merchant.id, shared_redis).throttle is None  # not reported yet
        bucket.settle(bucket.acquire(10), ThrottleStatus(available=1500.0, maximum=2000.0, restore_rate=100.0))
        throttle = summary(db.session, merchant.id, shared_redis).throttle
    finally:
        forget(SHOP, shared_redis)
    assert (throttle.maximum, throttle.restore_rate) == (2000.0, 100.0)
    assert 1500.0 <= throttle.available <= 2000.0  # restored since, at 100 a second


@pytest.mark.parametrize(("secret", "verifiable"), [("shpss_secret", True), (None, False)])
def test_a_connected_stores_subscriptions_by_topic_and_whether_it_can_verify(merchant, secret, verifiable):
    connection = store(merchant, client_secret=secret)
    for topic in ("products/update", "inventory_levels/update"):
        record_state(db.session, connection, topic, SubscriptionStatus.ACTIVE, now=utcnow())

    health = summary(db.session, merchant.id, None)

    assert [s.topic for s in health.subscriptions] == ["inventory_levels/update", "products/update"]
    assert health.webhooks_verifiable is verifiable
    connection.status = ConnectionStatus.DISCONNECTED
    gone = summary(db.session, merchant.id, None)
    assert (gone.subscriptions, gone.webhooks_verifiable) == ([], None)
