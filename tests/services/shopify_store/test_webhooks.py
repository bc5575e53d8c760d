"""Stored deliveries: the sweeper finds the lost and the failed (not the hopeless), pruning keeps failures."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from ismartsync.extensions import db
from ismartsync.models import WebhookEvent, WebhookStatus
from ismartsync.models.base import utcnow
from ismartsync.services.shopify_store.webhooks import parse_triggered_at, prune_events, stale_event_ids

NOW = utcnow()


def event(name: str, status: WebhookStatus, *, age: timedelta, attempts: int = 0, merchant=None) -> WebhookEvent:
    row = WebhookEvent(
        merchant_id=merchant.id if merchant else None,
        shop_domain="zari-demo.myshopify.com",
        topic="products/update",
        webhook_id=name,
        payload="{}",
        status=status,
        attempts=attempts,
        received_at=NOW - age,
    )
    db.session.add(row)
    db.session.flush()
    return row


def test_stale_events_are_the_lost_and_the_failed_that_may_try_again(merchant):
    old = timedelta(minutes=30)
    lost = event("lost", WebhookStatus.RECEIVED, age=old, merchant=merchant)
    failed = event("failed", WebhookStatus.FAILED, age=old, attempts=3, merchant=merchant)
    event("hopeless", WebhookStatus.FAILED, age=old, attempts=8, merchant=merchant)
    event("just-in", WebhookStatus.RECEIVED, age=timedelta(seconds=5), merchant=merchant)
    event("done", WebhookStatus.PROCESSED, age=old, merchant=merchant)
    event("ignored", WebhookStatus.IGNORED, age=old)
    db.session.commit()

    found = stale_event_ids(db.session, older_than=NOW - timedelta(minutes=10))

    assert found == [lost.id, failed.id]
    assert stale_event_ids(db.session, older_than=NOW - timedelta(minutes=10), max_attempts=3) == [lost.id]


def test_pruning_deletes_old_processed_and_ignored_events_only(merchant):
    week = timedelta(days=7)
    event("old-done", WebhookStatus.PROCESSED, age=week + timedelta(hours=1), merchant=merchant)
    event("old-ignored", WebhookStatus.IGNORED, age=week + timedelta(hours=1))
    event("old-failed", WebhookStatus.FAILED, age=week + timedelta(hours=1), attempts=8, merchant=merchant)
    event("old-waiting", WebhookStatus.RECEIVED, age=week + timedelta(hours=1), merchant=merchant)
    event("recent", WebhookStatus.PROCESSED, age=timedelta(days=6), merchant=merchant)
    db.session.commit()

    assert prune_events(db.session, NOW - week) == 2
    db.session.commit()

    left = db.session.scalars(sa.select(WebhookEvent.webhook_id).order_by(WebhookEvent.id)).all()
    assert left == ["old-failed", "old-waiting", "recent"]


def test_triggered_at_is_read_as_utc_and_nonsense_is_none():
    assert parse_triggered_at("2026-11-27T10:15:30.123Z").utcoffset() == timedelta(0)
    assert parse_triggered_at("2026-11-27T15:15:30+05:00") == parse_triggered_at("2026-11-27T10:15:30Z")
    assert parse_triggered_at("yesterday") is None
    assert parse_triggered_at("2026-11-27T10:15:30") is None
    assert parse_triggered_at(None) is None
