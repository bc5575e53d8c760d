"""A store's webhook subscriptions against the sandbox, which subscribes no one by itself: our connect creates what
the sync needs, the daily check recreates what went missing and removes what we no longer need, a store whose
webhooks we cannot verify gets none (and no deliveries), and a refused topic is recorded, not fatal."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from ismartsync.extensions import db
from ismartsync.models import ShopifyConnection, SubscriptionStatus, WebhookSubscription
from ismartsync.models.base import utcnow
from ismartsync.services.shopify_store.subscriptions import SYNC_TOPICS
from jobs.shopify import schedule_subscription_checks
from tests.sandbox_fixtures import CLIENT_ID, SHOP, TOKEN, subscribe
from tests.shopify.synced import connect

ADDRESS_PATH = "/webhooks/shopify"


@pytest.fixture
def store(start_sandbox, use_sandbox, webhook_receiver):
    """A sandbox whose app URL is the receiver's: the address our subscriptions name."""
    running = start_sandbox(variants=20, app_url=webhook_receiver.url.removesuffix(ADDRESS_PATH))
    use_sandbox(running)
    return running


def _rows(merchant) -> dict[str, WebhookSubscription]:
    db.session.expire_all()
    rows = db.session.scalars(sa.select(WebhookSubscription).where(WebhookSubscription.merchant_id == merchant.id))
    return {row.topic: row for row in rows}


def _ours(store, receiver) -> dict[str, int]:
    return {s["topic"]: s["id"] for s in store.subscriptions() if s["uri"] == receiver.url}


def _change_stock(store) -> None:
    level = next(
        lv
        for lv in store.control("GET", f"/shops/{SHOP}/inventory?limit=30")["levels"]
        if lv["tracked"] and lv["active"]
    )
    store.control(
        "POST",
        f"/shops/{SHOP}/inventory",
        {"inventory_item_id": level["inventory_item_id"], "location_id": level["location_id"], "adjust_on_hand": 1},
    )


def test_connect_subscribes_every_topic_and_a_change_in_shopify_then_reaches_us(
    store, webhook_receiver, owner, merchant, run_jobs
):
    connect(store, owner, run_jobs)

    assert sorted(_ours(store, webhook_receiver)) == sorted(SYNC_TOPICS)
    rows = _rows(merchant)
    assert sorted(rows) == sorted(SYNC_TOPICS)
    assert {row.status for row in rows.values()} == {SubscriptionStatus.ACTIVE}
    assert {row.callback_url for row in rows.values()} == {webhook_receiver.url}
    assert all(row.shopify_id.startswith("gid://shopify/WebhookSubscription/") for row in rows.values())
    assert all(row.created_at and row.checked_at for row in rows.values())

    _change_stock(store)
    assert store.control("POST", "/webhooks/wait", {"timeout": 10})["idle"]
    assert [c["headers"]["X-Shopify-Topic"] for c in webhook_receiver.calls] == ["inventory_levels/update"]


def test_a_connection_with_no_subscriptions_receives_no_webhooks(store, webhook_receiver, owner, merchant, run_jobs):
    # A pasted token without its app's secret: nothing can be verified, so nothing is subscribed.
    db.session.add(
        ShopifyConnection(merchant=merchant, shop_domain=SHOP, auth_method="admin_token", access_token=TOKEN)
    )
    db.session.commit()
    store.control("POST", "/tokens", {"shop": SHOP, "client_id": CLIENT_ID})  # our app is installed there too
    schedule_subscription_checks()
    run_jobs("default", "shopify")

    _change_stock(store)
    store.control("POST", f"/shops/{SHOP}/products", {"title": "Lawn kurta"})

    assert store.control("POST", "/webhooks/wait", {"timeout": 10})["idle"]
    assert store.subscriptions() == []
    assert store.control("GET", "/webhooks")["deliveries"] == []
    assert webhook_receiver.calls == []
    rows = _rows(merchant)
    assert sorted(rows) == sorted(SYNC_TOPICS)
    assert {row.status for row in rows.values()} == {SubscriptionStatus.UNVERIFIABLE}


def test_the_daily_check_recreates_a_subscription_deleted_in_shopify(
    store, webhook_receiver, owner, merchant, run_jobs
):
    connect(store, owner, run_jobs)
    before = _ours(store, webhook_receiver)
    with store.sandbox.lock:  # gone in Shopify (deleted by someone, or dropped after failed deliveries)
        subs = store.sandbox.subscriptions[SHOP]
        subs.remove(next(s for s in subs if s.topic == "inventory_levels/update"))

    assert schedule_subscription_checks() == 0  # checked less than a day ago
    for row in _rows(merchant).values():
        row.checked_at = utcnow() - timedelta(hours=25)
    db.session.commit()
    assert schedule_subscription_checks() == 1
    run_jobs("shopify")

    after = _ours(store, webhook_receiver)
    assert sorted(after) == sorted(SYNC_TOPICS)
    assert after["inventory_levels/update"] != before["inventory_levels/update"]
    assert {t: i for t, i in after.items() if t != "inventory_levels/update"} == {
        t: i for t, i in before.items() if t != "inventory_levels/update"
    }
    row = _rows(merchant)["inventory_levels/update"]
    assert row.shopify_id == f"gid://shopify/WebhookSubscription/{after['inventory_levels/update']}"
    _change_stock(store)
    assert store.control("POST", "/webhooks/wait", {"timeout": 10})["idle"]
    assert [c["headers"]["X-Shopify-Topic"] for c in webhook_receiver.calls] == ["inventory_levels/update"]


def test_a_reconnect_removes_what_the_sync_no_longer_needs(store, webhook_receiver, owner, merchant, run_jobs):
    connect(store, owner, run_jobs)
    (extra,) = subscribe(store, webhook_receiver.url, "ORDERS_PAID")  # ours, but no handler wants it
    subscribe(store, "https://other-system.example.com/hooks", "ORDERS_PAID")  # someone else's: left alone

    connect(store, owner, run_jobs)

    assert "orders/paid" not in _ours(store, webhook_receiver)
    assert sorted(_ours(store, webhook_receiver)) == sorted(SYNC_TOPICS)
    assert [s["uri"] for s in store.subscriptions() if s["topic"] == "orders/paid"] == [
        "https://other-system.example.com/hooks"
    ]
    assert extra not in {s["id"] for s in store.subscriptions()}


def test_a_topic_shopify_refuses_is_recorded_and_the_others_are_created(
    start_sandbox, use_sandbox, webhook_receiver, owner, merchant, run_jobs
):
    narrow = (  # no read_customers
        "read_products,read_inventory,write_inventory,read_locations,read_orders,"
        "read_merchant_managed_fulfillment_orders"
    )
    running = start_sandbox(
        variants=20,
        app_url=webhook_receiver.url.removesuffix(ADDRESS_PATH),
        tokens=[{"token": TOKEN, "shop": SHOP, "scope": narrow}],
    )
    use_sandbox(running)

    connect(running, owner, run_jobs)

    rows = _rows(merchant)
    refused = {t for t, row in rows.items() if row.status == SubscriptionStatus.FAILED}
    assert refused == {"customers/create", "customers/update", "customers/delete"}
    assert "read_customers" in rows["customers/create"].last_error
    assert sorted(_ours(running, webhook_receiver)) == sorted(set(SYNC_TOPICS) - refused)


def test_an_install_of_our_app_relies_on_its_declared_webhooks(store, merchant, owner, run_jobs, app):
    from jobs.shopify import check_webhook_subscriptions

    db.session.add(ShopifyConnection(merchant=merchant, shop_domain=SHOP, auth_method="oauth", access_token="x"))
    db.session.commit()

    check_webhook_subscriptions(merchant.id)

    assert store.subscriptions() == []  # nothing created per shop: shopify.app.toml covers every install
    assert {row.status for row in _rows(merchant).values()} == {SubscriptionStatus.DECLARED}
