"""Sandbox configuration: the defaults, and merging a caller's overrides into them."""

from __future__ import annotations

import copy
import tomllib
from pathlib import Path
from typing import Any

WEBHOOK_TOPICS: tuple[str, ...] = (
    "app/uninstalled",
    "bulk_operations/finish",
    "customers/create",
    "customers/update",
    "customers/delete",
    "fulfillments/create",
    "fulfillment_orders/moved",
    "fulfillment_orders/placed_on_hold",
    "fulfillment_orders/hold_released",
    "fulfillment_orders/cancelled",
    "inventory_items/create",
    "inventory_items/update",
    "inventory_items/delete",
    "inventory_levels/connect",
    "inventory_levels/update",
    "inventory_levels/disconnect",
    "locations/create",
    "locations/update",
    "locations/delete",
    "orders/create",
    "orders/updated",
    "orders/fulfilled",
    "orders/partially_fulfilled",
    "orders/cancelled",
    "orders/paid",
    "refunds/create",
    "products/create",
    "products/update",
    "products/delete",
)

APP_SCOPES = (
    "read_products,read_inventory,write_inventory,read_locations,read_orders,write_orders,read_customers,"
    "read_merchant_managed_fulfillment_orders,write_merchant_managed_fulfillment_orders"
)

DEFAULTS: dict[str, Any] = {
    "app_url": "http://127.0.0.1:5000",
    "public_url": None,
    "seed": 20261127,
    "variants": 300,
    "shops": [
        {"domain": "zari-demo.myshopify.com", "name": "Zari Demo", "variants": None, "kind": "apparel"},
        {"domain": "noor-footwear.myshopify.com", "name": "Noor Footwear", "variants": 60, "kind": "footwear"},
        # A chain on Shopify Plus: 30 stores, more than a page of 10 inventory levels per item.
        {
            "domain": "sitara-stores.myshopify.com",
            "name": "Sitara Stores",
            "variants": 40,
            "kind": "apparel",
            "locations": 30,
        },
    ],
    "apps": [
        {
            "client_id": "ismartsync-demo",
            "client_secret": "ismartsync-demo-secret",
            "name": "iSmartSync",
            "scopes": APP_SCOPES,
            "grant_scopes": None,
            "redirect_urls": None,
            "launch_url": "{app_url}/shopify/install",
            "app_toml": None,
            "client_credentials": True,
            "protected_customer_data": True,
            "auto_approve": False,
        }
    ],
    "tokens": [],
    "api_versions": ["2026-01", "2026-04", "2026-07", "2026-10"],
    "rate_limit": {"maximum_available": 2000.0, "restore_rate": 100.0},
    "max_query_cost": 1000,
    "bulk_delay_seconds": 0.2,
    # Slow bulk operations (a large shop's export): see bulk.py. 0 = finish as soon as the file is written.
    "bulk": {"running_seconds": 0, "running_polls": 0, "seconds_per_poll": 0},
    "webhooks": {"enabled": True, "retry_delays": [1, 2, 4, 8, 16, 32, 64, 128], "timeout_seconds": 5.0},
    "ttl": {
        "code": 600,
        "access_token": 3600,
        "refresh_token": 7_776_000,
        "client_credentials": 86_399,
        "online": 86_399,
    },
}


def _merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def _expand(value: Any, app_url: str) -> Any:
    if isinstance(value, str):
        return value.replace("{app_url}", app_url.rstrip("/"))
    if isinstance(value, list):
        return [_expand(v, app_url) for v in value]
    if isinstance(value, dict):
        return {k: _expand(v, app_url) for k, v in value.items()}
    return value


def declared_webhooks(path: str | Path | None, app_url: str) -> list[dict[str, Any]]:
    """The app-specific subscriptions an app's `shopify.app.toml` declares (`[[webhooks.subscriptions]]`, and
    `compliance_topics` within them), as Shopify keeps them for every shop the app is installed on. A relative
    `uri` is resolved against the app URL, as Shopify resolves it against `application_url`."""
    if not path:
        return []
    with open(path, "rb") as file:
        webhooks = tomllib.load(file).get("webhooks") or {}
    version = str(webhooks.get("api_version") or "2026-07")
    declared = []
    for entry in webhooks.get("subscriptions") or []:
        uri = str(entry.get("uri") or "")
        if uri.startswith("/"):
            uri = app_url.rstrip("/") + uri
        topics = [*(entry.get("topics") or []), *(entry.get("compliance_topics") or [])]
        declared.append(
            {
                "topics": topics,
                "uri": uri,
                "api_version": version,
                "include_fields": list(entry.get("include_fields") or []),
                "filter": entry.get("filter"),
            }
        )
    return declared


def load_config(overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """The defaults with `overrides` merged in (nested dicts merge, lists replace); each app gets every key.

    An app subscribes to nothing by itself: only what its `app_toml` declares, or what it creates through
    `webhookSubscriptionCreate`, is delivered (as at Shopify)."""
    config = _merge(copy.deepcopy(DEFAULTS), overrides or {})
    app_defaults = DEFAULTS["apps"][0]
    config["apps"] = [{**app_defaults, "client_secret": None, **app} for app in config["apps"]]
    for app in config["apps"]:
        if not app.get("client_id") or not app.get("client_secret"):
            raise ValueError("every sandbox app needs a client_id and a client_secret")
    config = _expand(config, config["app_url"])
    for app in config["apps"]:
        app["declared_webhooks"] = declared_webhooks(app.get("app_toml"), config["app_url"])
    return config
