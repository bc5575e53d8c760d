"""Shop-specific webhook subscriptions on the wire: list, create and delete them, and topic names both ways
(`inventory_levels/update` ↔ `INVENTORY_LEVELS_UPDATE`). What to subscribe is decided in
`services/shopify_store/subscriptions.py`; `pipelines/webhook_subscriptions.py` drives the calls."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol


class GraphQLClient(Protocol):
    def query(self, operation_name: str, variables: dict[str, Any] | None = None) -> dict[str, Any]: ...

    def mutate(self, operation_name: str, variables: dict[str, Any], *, payload: str) -> dict[str, Any]: ...


@dataclass(frozen=True)
class RemoteSubscription:
    """One subscription as Shopify lists it."""

    id: str
    topic: str  # "inventory_levels/update"
    uri: str


def topic_enum(topic: str) -> str:
    """`inventory_levels/update` → `INVENTORY_LEVELS_UPDATE` (Shopify's WebhookSubscriptionTopic)."""
    return topic.upper().replace("/", "_")


def topic_name(enum: str, known: tuple[str, ...] | frozenset[str] = ()) -> str:
    """`INVENTORY_LEVELS_UPDATE` → `inventory_levels/update`: a known topic when one matches (a resource name may
    hold an underscore, the event too), else the last underscore taken for the slash."""
    for topic in known:
        if topic_enum(topic) == enum:
            return topic
    head, _, tail = enum.lower().rpartition("_")
    return f"{head}/{tail}" if head else tail


def list_subscriptions(client: GraphQLClient, known: tuple[str, ...] = ()) -> list[RemoteSubscription]:
    """Every shop-specific subscription this app holds on the shop (pages of 100)."""
    found: list[RemoteSubscription] = []
    after = None
    while True:
        page = client.query("WebhookSubscriptions", {"after": after})["webhookSubscriptions"]
        for node in page["nodes"]:
            found.append(RemoteSubscription(node["id"], topic_name(node["topic"], known), node.get("uri") or ""))
        if not page["pageInfo"]["hasNextPage"]:
            return found
        after = page["pageInfo"]["endCursor"]


def create_subscription(client: GraphQLClient, topic: str, uri: str) -> str:
    """Subscribe to `topic` at `uri`; the new subscription's id (ShopifyUserError if Shopify refuses)."""
    result = client.mutate(
        "WebhookSubscriptionCreate", {"topic": topic_enum(topic), "uri": uri}, payload="webhookSubscriptionCreate"
    )
    return str(result["webhookSubscription"]["id"])


def delete_subscription(client: GraphQLClient, subscription_id: str) -> None:
    """Remove one subscription (ShopifyUserError if Shopify does not know it)."""
    client.mutate("WebhookSubscriptionDelete", {"id": subscription_id}, payload="webhookSubscriptionDelete")
