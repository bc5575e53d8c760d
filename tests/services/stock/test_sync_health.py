"""The sync health figures for one merchant: the outbox by status, the last push and error, retrying batches, the
rate limit, webhook deliveries and the store's subscriptions — never another merchant's."""

from __future__ import annotations

from datetime import timedelta

import pytest

from ismartsync.extensions import db
from ismartsync.models import (
    BatchStatus,
    OutboxStatus,
    SubscriptionStatus,
    WebhookStatus,
)
from ismartsync.models.base import utcnow
from ismartsync.models.shopify import ConnectionStatus
from ismartsync.services.shopify_store.subscriptions import record_state
from ismartsync.services.stock.sync_health import SHOWN, summary
from ismartsync.shopify.bucket import ThrottleStatus, cost_bucket, forget
from tests import factories
from tests.shopify.fixtures import store_of
from tests.sync_health import outbox_entry, sync_batch, webhook_deliveries

SHOP = "health-service.myshopify.com"  # a shop of its own: the cost bucket is shared by the whole process


def test_the_outbox_is_counted_by_status_with_its_oldest_waiting_change(merchant, other_merchant, variant, branch):
    outbox_entry(variant, branch, OutboxStatus.PENDING, age=timedelta(minutes=7))
    outbox_entry(variant, branch, OutboxStatus.PENDING, age=timedelta(minutes=1))
    outbox_entry(variant, branch, OutboxStatus.SENDING)
    outbox_entry(variant, branch, OutboxStatus.APPLIED, age=timedelta(hours=1))  # history, not counted
    skipped = outbox_entry(variant, branch, OutboxStatus.SKIPPED, error="Not tracked in Shopify")
    theirs = factories.VariantFactory(product__merchant=other_merchant)
    outbox_entry(theirs, factories.BranchFactory(merchant=other_merchant), OutboxStatus.PENDING, age=timedelta(days=1))

    health = summary(db.session, merchant.id, None)

    assert (health.pending, health.sending, health.failed, health.skipped) == (2, 1, 0, 1)
    assert timedelta(minutes=7) <= health.oldest_pending_age < timedelta(minutes=8)
    assert health.skipped_entries == [skipped] and health.failed_entries == []


def test_the_latest_failures_are_listed_and_all_of_them_counted(merchant, variant, branch):
    rows = [outbox_entry(variant, branch, OutboxStatus.FAILED, error=f"refused {n}") for n in range(SHOWN + 3)]

    health = summary(db.session, merchant.id, None)

    assert health.failed == SHOWN + 3
    assert health.failed_entries == rows[::-1][:SHOWN]


def test_the_last_push_the_last_error_and_the_batches_waiting_to_go_again(merchant):
    now = utcnow()
    sync_batch(merchant, BatchStatus.APPLIED, finished_at=now - timedelta(minutes=9))
    sync_batch(merchant, BatchStatus.APPLIED, finished_at=now - timedelta(minutes=3))
    sync_batch(merchant, BatchStatus.FAILED, error="Refused long ago", finished_at=now - timedelta(hours=2))
    later = sync_batch(merchant, BatchStatus.RETRY, error="No answer", sent_at=now - timedelta(minutes=1),
                  next_attempt_at=now + timedelta(minutes=10))  # fmt: skip
    sooner = sync_batch(merchant, BatchStatus.RETRY, error="No answer", sent_at=now - timedelta(minutes=5),
                   next_attempt_at=now + timedelta(minutes=2))  # fmt: skip

    health = summary(db.session, merchant.id, None)

    assert health.last_push_at == now - timedelta(minutes=3)
    assert (health.last_error, health.last_error_at) == ("No answer", now - timedelta(minutes=1))
    assert health.retrying == [sooner, later]


def test_webhook_deliveries_waiting_failed_and_the_last_received(merchant, other_merchant):
    statuses = [WebhookStatus.RECEIVED, WebhookStatus.RECEIVED, WebhookStatus.FAILED, WebhookStatus.PROCESSED]
    received = webhook_deliveries(merchant, other_merchant, SHOP, "products/update", statuses)

    health = summary(db.session, merchant.id, None)

    assert (health.webhooks_waiting, health.webhooks_failed, health.last_webhook_at) == (2, 1, received)


def test_the_rate_limit_is_what_shopify_last_reported_for_a_connected_store(merchant, shared_redis):
    assert summary(db.session, merchant.id, shared_redis).throttle is None  # no store
    store_of(merchant, SHOP)
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
    connection = store_of(merchant, SHOP, client_secret=secret)
    for topic in ("products/update", "inventory_levels/update"):
        record_state(db.session, connection, topic, SubscriptionStatus.ACTIVE, now=utcnow())

    health = summary(db.session, merchant.id, None)

    assert [s.topic for s in health.subscriptions] == ["inventory_levels/update", "products/update"]
    assert health.webhooks_verifiable is verifiable
    connection.status = ConnectionStatus.DISCONNECTED
    gone = summary(db.session, merchant.id, None)
    assert (gone.subscriptions, gone.webhooks_verifiable) == ([], None)
