"""Webhooks: REST-shaped, HMAC-signed, at least once, to the app and to API-created subscriptions."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

from tests.sandbox.conftest import CLIENT_ID, CLIENT_SECRET, SHOP, TOKEN, Receiver, RunningSandbox

ADJUST = """mutation($input: InventoryAdjustQuantitiesInput!) {
  inventoryAdjustQuantities(input: $input) @idempotent(key: "hook-1") { userErrors { code message } } }"""


def started_with_receiver(make_shopify_sandbox: Any, receiver: Receiver, **app: Any) -> RunningSandbox:
    return make_shopify_sandbox(
        apps=[{"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "webhook_uri": receiver.url, **app}]
    )


def stocked_level(sandbox: RunningSandbox) -> dict[str, Any]:
    levels = sandbox.control("GET", f"/shops/{SHOP}/inventory?limit=30")["levels"]
    return next(lv for lv in levels if lv["tracked"] and lv["active"])


def topics(receiver: Receiver) -> list[str]:
    return [call["headers"]["X-Shopify-Topic"] for call in receiver.calls]


def test_the_apps_own_write_comes_back_as_a_signed_inventory_levels_update(make_shopify_sandbox, webhook_receiver):
    sandbox = started_with_receiver(make_shopify_sandbox, webhook_receiver)
    level = stocked_level(sandbox)
    change = {
        "inventoryItemId": level["inventory_item_id"],
        "locationId": level["location_id"],
        "delta": -1,
        "changeFromQuantity": None,
    }

    sandbox.graphql(ADJUST, {"input": {"name": "available", "reason": "correction", "changes": [change]}})

    assert sandbox.sandbox.webhooks.wait_idle(5)
    call = webhook_receiver.calls[0]
    headers = call["headers"]
    expected = base64.b64encode(hmac.new(CLIENT_SECRET.encode(), call["body"], hashlib.sha256).digest()).decode()
    assert headers["X-Shopify-Hmac-Sha256"] == expected
    assert headers["X-Shopify-Topic"] == "inventory_levels/update"
    assert headers["X-Shopify-Shop-Domain"] == SHOP
    assert headers["X-Shopify-Api-Version"] == "2026-07"
    assert headers["X-Shopify-Webhook-Id"] and headers["X-Shopify-Event-Id"] and headers["X-Shopify-Triggered-At"]
    payload = json.loads(call["body"])
    assert payload["inventory_item_id"] == int(level["inventory_item_id"].rsplit("/", 1)[1])
    assert payload["available"] == level["available"] - 1
    assert payload["admin_graphql_api_id"].startswith("gid://shopify/InventoryLevel/")
    assert payload["updated_at"].endswith("+05:00")


def test_failed_deliveries_are_retried(make_shopify_sandbox, webhook_receiver) -> None:
    sandbox = started_with_receiver(make_shopify_sandbox, webhook_receiver)
    webhook_receiver.answers = [500]
    level = stocked_level(sandbox)

    sandbox.control(
        "POST",
        f"/shops/{SHOP}/inventory",
        {"inventory_item_id": level["inventory_item_id"], "location_id": level["location_id"], "available": 9},
    )

    assert sandbox.sandbox.webhooks.wait_idle(5)
    assert len(webhook_receiver.calls) == 2
    ids = {c["headers"]["X-Shopify-Webhook-Id"] for c in webhook_receiver.calls}
    assert len(ids) == 1
    delivery = sandbox.control("GET", "/webhooks")["deliveries"][0]
    assert (delivery["status"], delivery["attempts"]) == ("delivered", 2)


def test_deliveries_can_be_duplicated_and_reordered(make_shopify_sandbox, webhook_receiver) -> None:
    sandbox = started_with_receiver(make_shopify_sandbox, webhook_receiver, webhook_topics=["inventory_levels/update"])
    level = stocked_level(sandbox)
    sandbox.control("POST", "/webhooks", {"paused": True, "duplicate": 1})
    for available in (10, 0):
        sandbox.control(
            "POST",
            f"/shops/{SHOP}/inventory",
            {
                "inventory_item_id": level["inventory_item_id"],
                "location_id": level["location_id"],
                "available": available,
            },
        )

    sent = sandbox.control("POST", "/webhooks/flush", {"order": "reverse"})["sent"]

    assert sent == 4
    ids = [c["headers"]["X-Shopify-Webhook-Id"] for c in webhook_receiver.calls]
    assert len(set(ids)) == 2 and ids[0] == ids[1]
    event_ids = [c["headers"]["X-Shopify-Event-Id"] for c in webhook_receiver.calls]
    deliveries = sandbox.control("GET", "/webhooks")["deliveries"]
    assert event_ids[-1] == deliveries[0]["event_id"]  # the first change arrives last


def test_uninstall_revokes_the_token_and_tells_the_app(make_shopify_sandbox, webhook_receiver) -> None:
    sandbox = started_with_receiver(make_shopify_sandbox, webhook_receiver)

    sandbox.control("POST", f"/shops/{SHOP}/uninstall", {"client_id": CLIENT_ID})

    assert sandbox.graphql("{ shop { name } }", token=TOKEN).status == 401
    assert sandbox.sandbox.webhooks.wait_idle(5)
    assert topics(webhook_receiver) == ["app/uninstalled"]
    assert json.loads(webhook_receiver.calls[0]["body"])["myshopify_domain"] == SHOP


def test_api_created_subscription_receives_its_topic(shopify_sandbox: RunningSandbox, webhook_receiver) -> None:
    create = """mutation($uri: String!) { webhookSubscriptionCreate(topic: ORDERS_CREATE,
      webhookSubscription: {uri: $uri, format: JSON}) {
        webhookSubscription { id topic uri } userErrors { message } } }"""
    created = shopify_sandbox.graphql(create, {"uri": webhook_receiver.url}).json()["data"]["webhookSubscriptionCreate"]
    variant = shopify_sandbox.sandbox.shop(SHOP).variants[0]

    order = shopify_sandbox.control(
        "POST", f"/shops/{SHOP}/orders", {"lines": [{"variant_id": variant.id, "quantity": 1}]}
    )

    assert created["webhookSubscription"]["topic"] == "ORDERS_CREATE"
    assert shopify_sandbox.sandbox.webhooks.wait_idle(5)
    assert topics(webhook_receiver) == ["orders/create"]
    payload = json.loads(webhook_receiver.calls[0]["body"])
    assert payload["admin_graphql_api_id"] == order["id"]
    assert payload["line_items"][0]["variant_id"] == variant.id
