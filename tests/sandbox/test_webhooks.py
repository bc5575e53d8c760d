"""Webhooks: REST-shaped, HMAC-signed, at least once, to the app and to API-created subscriptions."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

from tests.sandbox.conftest import CLIENT_ID, CLIENT_SECRET, SHOP, TOKEN, Receiver, RunningSandbox
from tests.sandbox_fixtures import subscribe

ADJUST = """mutation($input: InventoryAdjustQuantitiesInput!) {
  inventoryAdjustQuantities(input: $input) @idempotent(key: "hook-1") { userErrors { code message } } }"""


ALL_TOPICS = ("INVENTORY_LEVELS_UPDATE", "APP_UNINSTALLED", "ORDERS_CREATE", "PRODUCTS_UPDATE")


def started_with_receiver(
    make_shopify_sandbox: Any, receiver: Receiver, topics: tuple[str, ...] = ALL_TOPICS
) -> RunningSandbox:
    """A sandbox where TOKEN's app (the shop's custom app) has subscribed `receiver` to `topics` through the API."""
    sandbox = make_shopify_sandbox()
    subscribe(sandbox, receiver.url, *topics)
    return sandbox


def custom_app(sandbox: RunningSandbox) -> dict[str, str]:
    return next(a for a in sandbox.control("GET", "/state")["custom_apps"] if a["shop"] == SHOP)


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
    # Signed with the custom app's own API secret key, not with any other app's.
    secret = sandbox.custom_app_secret()
    assert secret != CLIENT_SECRET
    expected = base64.b64encode(hmac.new(secret.encode(), call["body"], hashlib.sha256).digest()).decode()
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
    sandbox = started_with_receiver(make_shopify_sandbox, webhook_receiver, ("INVENTORY_LEVELS_UPDATE",))
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

    sandbox.control("POST", f"/shops/{SHOP}/uninstall", {"client_id": custom_app(sandbox)["client_id"]})

    assert sandbox.graphql("{ shop { name } }", token=TOKEN).status == 401
    assert sandbox.subscriptions() == []  # an uninstalled app's subscriptions go with it
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


def test_an_app_that_subscribed_to_nothing_gets_nothing(shopify_sandbox: RunningSandbox, webhook_receiver) -> None:
    level = stocked_level(shopify_sandbox)
    variant = shopify_sandbox.sandbox.shop(SHOP).variants[0]

    shopify_sandbox.control(
        "POST",
        f"/shops/{SHOP}/inventory",
        {"inventory_item_id": level["inventory_item_id"], "location_id": level["location_id"], "available": 3},
    )
    shopify_sandbox.control("POST", f"/shops/{SHOP}/orders", {"lines": [{"variant_id": variant.id, "quantity": 1}]})

    assert shopify_sandbox.sandbox.webhooks.wait_idle(5)
    assert shopify_sandbox.control("GET", "/webhooks")["deliveries"] == []
    assert webhook_receiver.calls == []


def test_topics_declared_in_the_apps_toml_reach_every_install_signed_with_the_apps_secret(
    make_shopify_sandbox, webhook_receiver, tmp_path
) -> None:
    toml = tmp_path / "shopify.app.toml"
    toml.write_text(
        '[webhooks]\napi_version = "2026-07"\n[[webhooks.subscriptions]]\ntopics = ["inventory_levels/update"]\n'
        'uri = "/webhooks/shopify"\n'
    )
    base = webhook_receiver.url.removesuffix("/webhooks/shopify")
    sandbox = make_shopify_sandbox(
        app_url=base, apps=[{"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "app_toml": str(toml)}]
    )
    ours = sandbox.control("POST", "/tokens", {"shop": SHOP, "client_id": CLIENT_ID})["access_token"]
    level = stocked_level(sandbox)

    sandbox.control(
        "POST",
        f"/shops/{SHOP}/inventory",
        {"inventory_item_id": level["inventory_item_id"], "location_id": level["location_id"], "available": 4},
    )

    assert sandbox.sandbox.webhooks.wait_idle(5)
    assert topics(webhook_receiver) == ["inventory_levels/update"]  # once: for our app, not the custom app too
    call = webhook_receiver.calls[0]
    expected = base64.b64encode(hmac.new(CLIENT_SECRET.encode(), call["body"], hashlib.sha256).digest()).decode()
    assert call["headers"]["X-Shopify-Hmac-Sha256"] == expected
    listed = sandbox.graphql("{ webhookSubscriptions(first: 5) { nodes { id } } }", token=ours).json()
    assert listed["data"]["webhookSubscriptions"]["nodes"] == []  # app-specific ones are not shop-specific


def test_subscriptions_are_listed_deleted_and_refused_without_the_scope(make_shopify_sandbox, webhook_receiver):
    sandbox = make_shopify_sandbox(tokens=[{"token": TOKEN, "shop": SHOP, "scope": "read_products"}])
    (created,) = subscribe(sandbox, webhook_receiver.url, "PRODUCTS_UPDATE")
    refused = sandbox.graphql(
        """mutation { webhookSubscriptionCreate(topic: ORDERS_CREATE, webhookSubscription: {uri: "https://x.example/h"})
        { webhookSubscription { id } userErrors { field message } } }"""
    ).json()["data"]["webhookSubscriptionCreate"]
    again = sandbox.graphql(
        "mutation($uri: String!) { webhookSubscriptionCreate(topic: PRODUCTS_UPDATE, webhookSubscription: {uri: $uri})"
        " { webhookSubscription { id } userErrors { field message } } }",
        {"uri": webhook_receiver.url},
    ).json()["data"]["webhookSubscriptionCreate"]
    listed = sandbox.graphql("{ webhookSubscriptions(first: 5) { nodes { id topic uri } } }").json()["data"]

    assert refused["webhookSubscription"] is None and "read_orders" in refused["userErrors"][0]["message"]
    assert again["userErrors"][0]["message"] == "Address for this topic has already been taken"
    assert listed["webhookSubscriptions"]["nodes"] == [
        {"id": created, "topic": "PRODUCTS_UPDATE", "uri": webhook_receiver.url}
    ]
    delete = """mutation($id: ID!) {
      webhookSubscriptionDelete(id: $id) { deletedWebhookSubscriptionId userErrors { message } } }"""
    assert sandbox.graphql(delete, {"id": created}).json()["data"]["webhookSubscriptionDelete"] == {
        "deletedWebhookSubscriptionId": created,
        "userErrors": [],
    }
    gone = sandbox.graphql(delete, {"id": created}).json()["data"]["webhookSubscriptionDelete"]
    assert gone["userErrors"] == [{"message": "Webhook subscription does not exist"}]
    assert sandbox.subscriptions() == []


def test_the_current_installation_reports_the_tokens_scopes(make_shopify_sandbox) -> None:
    sandbox = make_shopify_sandbox(tokens=[{"token": TOKEN, "shop": SHOP, "scope": "read_products,write_inventory"}])

    answer = sandbox.graphql("{ currentAppInstallation { id accessScopes { handle } } }").json()["data"]

    handles = [s["handle"] for s in answer["currentAppInstallation"]["accessScopes"]]
    assert handles == ["read_products", "write_inventory"]
    assert answer["currentAppInstallation"]["id"].startswith("gid://shopify/AppInstallation/")
