"""Posting a webhook to our endpoint signed as Shopify signs it (base64 HMAC-SHA256 of the raw body)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

from tests.sandbox_fixtures import CLIENT_SECRET, SHOP

PRODUCT_BODY = json.dumps(
    {"id": 8123456001, "title": "Lawn kurta", "admin_graphql_api_id": "gid://shopify/Product/8123456001"}
)


def signature(body: bytes, secret: str = CLIENT_SECRET) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def deliver(
    client: Any,
    body: str = PRODUCT_BODY,
    *,
    topic: str = "products/update",
    shop: str = SHOP,
    webhook_id: str = "wh-1",
    secret: str = CLIENT_SECRET,
    **headers: str | None,
) -> Any:
    """POST one delivery; `headers` add to or replace Shopify's (None leaves one out)."""
    raw = body.encode()
    sent = {
        "X-Shopify-Topic": topic,
        "X-Shopify-Shop-Domain": shop,
        "X-Shopify-Hmac-Sha256": signature(raw, secret),
        "X-Shopify-Webhook-Id": webhook_id,
        "X-Shopify-Event-Id": "ev-1",
        "X-Shopify-Triggered-At": "2026-11-27T10:15:30.123Z",
        "X-Shopify-API-Version": "2026-07",
        **headers,
    }
    sent = {k: v for k, v in sent.items() if v is not None}
    return client.post("/webhooks/shopify", data=raw, headers=sent, content_type="application/json")
