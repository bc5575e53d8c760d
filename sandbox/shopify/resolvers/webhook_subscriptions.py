"""Shop-specific webhook subscriptions created through the API (webhookSubscriptionCreate / Delete / queries)."""

from __future__ import annotations

from typing import Any

from graphql import GraphQLResolveInfo

from sandbox.shopify.auth import has_scope
from sandbox.shopify.config import WEBHOOK_TOPICS
from sandbox.shopify.models import gid, iso
from sandbox.shopify.registry import Ctx, connection, fields, resolves
from sandbox.shopify.resolvers.common import user_error
from sandbox.shopify.search import Listing
from sandbox.shopify.webhooks import Subscription

TOPIC_BY_ENUM = {t.upper().replace("/", "_"): t for t in WEBHOOK_TOPICS}


def topic_name(enum: str) -> str:
    if enum in TOPIC_BY_ENUM:
        return TOPIC_BY_ENUM[enum]
    head, _, tail = enum.lower().partition("_")
    return f"{head}/{tail}"


# What a token must hold to subscribe to a topic's resource (Shopify checks it at create).
TOPIC_SCOPES = {
    "products": ("read_products",),
    "inventory_items": ("read_inventory", "read_products"),
    "inventory_levels": ("read_inventory",),
    "locations": ("read_locations",),
    "orders": ("read_orders",),
    "fulfillments": ("read_fulfillments", "read_orders"),
    "fulfillment_orders": (
        "read_merchant_managed_fulfillment_orders",
        "read_assigned_fulfillment_orders",
        "read_third_party_fulfillment_orders",
    ),
    "refunds": ("read_orders",),
    "customers": ("read_customers",),
}


def _mine(ctx: Ctx) -> list[Subscription]:
    return [s for s in ctx.sandbox.subscriptions.get(ctx.shop.domain, []) if s.client_id == ctx.client_id]


@resolves("Mutation", "webhookSubscriptionCreate")
def create(_: Any, info: GraphQLResolveInfo, topic: str, webhookSubscription: dict[str, Any]) -> dict[str, Any]:
    ctx: Ctx = info.context
    spec = webhookSubscription
    uri = spec.get("uri") or spec.get("callbackUrl")
    field = ["webhookSubscription", "uri" if "uri" in spec else "callbackUrl"]
    if not uri:
        return {"webhookSubscription": None, "userErrors": [user_error("Address can't be blank", field)]}
    if not uri.startswith(("https://", "http://", "pubsub://", "arn:aws:events:")):
        return {"webhookSubscription": None, "userErrors": [user_error("Address is invalid", field)]}
    name = topic_name(topic)
    needed = TOPIC_SCOPES.get(name.partition("/")[0], ())
    if needed and not any(has_scope(ctx.scopes, scope) for scope in needed):
        wanted = " or ".join(f"`{scope}`" for scope in needed)
        return {
            "webhookSubscription": None,
            "userErrors": [
                user_error(f"Access denied for topic {topic}. Required access: {wanted} access scope.", ["topic"])
            ],
        }
    if any(s.topic == name and s.uri == uri for s in _mine(ctx)):
        return {
            "webhookSubscription": None,
            "userErrors": [user_error("Address for this topic has already been taken", field)],
        }
    sub = Subscription(
        ctx.shop.next_id("WebhookSubscription"),
        ctx.shop.domain,
        ctx.client_id,
        name,
        uri,
        ctx.version if ctx.version != "unstable" else "2026-07",
        ctx.now(),
        spec.get("format") or "JSON",
        list(spec.get("includeFields") or []),
        spec.get("filter"),
        spec.get("name"),
    )
    ctx.sandbox.subscriptions.setdefault(ctx.shop.domain, []).append(sub)
    ctx.shop.remember(sub)
    return {"webhookSubscription": sub, "userErrors": []}


@resolves("Mutation", "webhookSubscriptionDelete")
def delete(_: Any, info: GraphQLResolveInfo, id: str) -> dict[str, Any]:
    ctx: Ctx = info.context
    sub = next((s for s in _mine(ctx) if gid("WebhookSubscription", s.id) == id), None)
    if sub is None:
        return {
            "deletedWebhookSubscriptionId": None,
            "userErrors": [user_error("Webhook subscription does not exist", ["id"])],
        }
    ctx.sandbox.subscriptions[ctx.shop.domain].remove(sub)
    ctx.shop.index.get("WebhookSubscription", {}).pop(sub.id, None)
    return {"deletedWebhookSubscriptionId": id, "userErrors": []}


@connection("QueryRoot", "webhookSubscriptions")
def list_subscriptions(_: Any, ctx: Ctx, args: dict[str, Any]) -> Listing:
    topics = {topic_name(t) for t in args.get("topics") or []}
    uri = args.get("uri") or args.get("callbackUrl")
    return Listing(
        _mine(ctx),
        lambda s: s.id,
        lambda s: (not topics or s.topic in topics) and (uri is None or s.uri == uri),
        bool(args.get("reverse")),
    )


@resolves("QueryRoot", "webhookSubscription")
def resolve_subscription(_: Any, info: GraphQLResolveInfo, id: str) -> Subscription | None:
    return next((s for s in _mine(info.context) if gid("WebhookSubscription", s.id) == id), None)


fields(
    "WebhookSubscription",
    {
        "id": lambda s: gid("WebhookSubscription", s.id),
        "legacyResourceId": lambda s: str(s.id),
        "topic": lambda s: s.topic.upper().replace("/", "_"),
        "uri": lambda s: s.uri,
        "callbackUrl": lambda s: s.uri,
        "endpoint": lambda s: {"__typename": "WebhookHttpEndpoint", "callbackUrl": s.uri},
        "format": lambda s: s.format,
        "includeFields": lambda s: s.include_fields,
        "filter": lambda s: s.filter,
        "name": lambda s: s.name,
        "createdAt": lambda s: iso(s.created_at),
        "updatedAt": lambda s: iso(s.created_at),
        "metafieldNamespaces": lambda s: [],
        "metafields": lambda s: [],
        "apiVersion": lambda s: {"handle": s.api_version, "displayName": s.api_version, "supported": True},
    },
)
