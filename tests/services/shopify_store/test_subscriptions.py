"""Our record of a store's webhook subscriptions: the topics the sync needs, one row per connection and topic,
deliveries noted on them, and which stores are due for their daily check."""

from __future__ import annotations

import tomllib
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from ismartsync.extensions import db
from ismartsync.models import SubscriptionStatus, WebhookSubscription
from ismartsync.models.base import utcnow
from ismartsync.models.shopify import ConnectionStatus
from ismartsync.pipelines.webhooks import HANDLERS
from ismartsync.services.shopify_store.subscriptions import (
    SYNC_TOPICS,
    UNVERIFIABLE,
    due_checks,
    last_checked,
    note_delivery,
    record_declared,
    record_state,
    record_unverifiable,
    subscriptions_of,
    topic_label,
    webhook_address,
)
from tests import factories
from tests.shopify.fixtures import store_of

HOOKS = "https://app.ismartsync.pk/webhooks/shopify"


def test_the_topics_we_subscribe_are_those_our_handlers_use_and_our_app_declares():
    toml = tomllib.loads((Path(__file__).resolve().parents[3] / "shopify.app.toml").read_text())
    declared = [t for entry in toml["webhooks"]["subscriptions"] for t in entry.get("topics", [])]

    assert sorted(SYNC_TOPICS) == sorted(declared) == sorted(set(HANDLERS) - {"bulk_operations/finish"})
    assert toml["webhooks"]["api_version"] == "2026-07"
    compliance = [t for entry in toml["webhooks"]["subscriptions"] for t in entry.get("compliance_topics", [])]
    assert sorted(compliance) == ["customers/data_request", "customers/redact", "shop/redact"]


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        ({"BASE_URL": "https://app.ismartsync.pk/"}, HOOKS),
        (
            {"BASE_URL": "https://app.ismartsync.pk", "SHOPIFY_WEBHOOK_URL": "https://hooks.example.pk/in"},
            "https://hooks.example.pk/in",
        ),
        ({"BASE_URL": "https://app.ismartsync.pk", "SHOPIFY_WEBHOOK_URL": ""}, HOOKS),
    ],
)
def test_webhooks_go_to_the_configured_address_else_under_the_base_url(config, expected):
    assert webhook_address(config) == expected


def test_a_topic_has_one_row_whose_status_each_check_replaces(merchant):
    connection = store_of(merchant)
    created_at = utcnow() - timedelta(days=2)
    record_state(
        db.session,
        connection,
        "products/update",
        SubscriptionStatus.ACTIVE,
        now=created_at,
        shopify_id="gid://shopify/WebhookSubscription/7",
        callback_url=HOOKS,
        created=True,
    )
    now = utcnow()

    row = record_state(db.session, connection, "products/update", SubscriptionStatus.FAILED, now=now, error="x" * 3000)

    rows = db.session.scalars(sa.select(WebhookSubscription).where(WebhookSubscription.connection_id == connection.id))
    assert list(rows) == [row]
    assert (row.status, row.checked_at, row.created_at) == (SubscriptionStatus.FAILED, now, created_at)
    assert (row.shopify_id, row.callback_url) == ("gid://shopify/WebhookSubscription/7", HOOKS)  # kept when not told
    assert len(row.last_error) == 2000 and row.merchant_id == merchant.id


def test_an_install_is_declared_for_every_topic_and_a_store_without_its_secret_is_unverifiable(merchant):
    connection = store_of(merchant)
    now = utcnow()
    record_declared(db.session, connection, HOOKS, now)
    assert {(r.status, r.shopify_id, r.callback_url) for r in subscriptions_of(db.session, connection).values()} == {
        (SubscriptionStatus.DECLARED, "", HOOKS)
    }

    record_unverifiable(db.session, connection, now)

    rows = subscriptions_of(db.session, connection)
    assert sorted(rows) == sorted(SYNC_TOPICS)
    assert {(r.status, r.last_error) for r in rows.values()} == {(SubscriptionStatus.UNVERIFIABLE, UNVERIFIABLE)}


def test_a_delivery_is_noted_on_its_topic_of_its_merchant_only(merchant, other_merchant):
    ours, theirs = store_of(merchant), store_of(other_merchant, "noor-footwear.myshopify.com")
    for connection in (ours, theirs):
        for topic in ("inventory_levels/update", "products/update"):
            record_state(db.session, connection, topic, SubscriptionStatus.ACTIVE, now=utcnow())
    at = utcnow()

    note_delivery(db.session, merchant.id, "inventory_levels/update", at)

    db.session.expire_all()
    assert subscriptions_of(db.session, ours)["inventory_levels/update"].last_delivery_at == at
    assert subscriptions_of(db.session, ours)["products/update"].last_delivery_at is None
    assert subscriptions_of(db.session, theirs)["inventory_levels/update"].last_delivery_at is None


def test_a_store_is_due_for_its_check_when_any_topic_was_checked_a_day_ago_or_never(merchant):
    now = utcnow()
    fresh, stale, never = (
        store_of(factories.MerchantFactory(), f"shop-{n}.myshopify.com") for n in ("fresh", "stale", "never")
    )
    gone = store_of(merchant, "gone.myshopify.com", status=ConnectionStatus.DISCONNECTED)
    for connection in (fresh, stale, gone):
        record_declared(db.session, connection, HOOKS, now - timedelta(hours=1))
    record_state(db.session, stale, "products/delete", SubscriptionStatus.ACTIVE, now=now - timedelta(hours=25))

    due = due_checks(db.session, now)

    assert set(due) & {fresh.merchant_id, stale.merchant_id, never.merchant_id, gone.merchant_id} == {
        stale.merchant_id,
        never.merchant_id,
    }


def test_the_health_screen_names_a_topic_and_the_oldest_check(merchant):
    assert topic_label("inventory_levels/update") == "Inventory levels: update"
    assert topic_label("app/uninstalled") == "App: uninstalled"
    connection = store_of(merchant)
    now = utcnow()
    older = record_state(
        db.session, connection, "products/create", SubscriptionStatus.ACTIVE, now=now - timedelta(hours=3)
    )
    newer = record_state(db.session, connection, "products/update", SubscriptionStatus.ACTIVE, now=now)
    unchecked = WebhookSubscription(topic="products/delete", checked_at=None)
    assert last_checked([newer, unchecked, older]) == now - timedelta(hours=3)
    assert last_checked([unchecked]) is None
