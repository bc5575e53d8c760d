"""Reading orders on the wire: which orders changed (ids and `updatedAt` only), one order whole with its lines and
fulfilment orders, and the order a fulfilment order belongs to. What is kept of them is decided in
`services/online_orders/intake.py`; `pipelines/order_sync.py` drives the reads."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from ismartsync.shopify.importer import GraphQLClient

# The window Shopify's read_orders scope reads (older orders need read_all_orders): a first sync takes what it allows.
FIRST_SYNC_DAYS = 60


def search_time(moment: datetime) -> str:
    """A moment as Shopify's search syntax takes it, quoted: '2026-05-01T00:00:00Z'."""
    return "'" + moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") + "'"


def changed_since_query(since: datetime) -> str:
    return f"updated_at:>={search_time(since)}"


def created_since_query(since: datetime) -> str:
    return f"created_at:>={search_time(since)}"


def changed_orders(client: GraphQLClient, query: str) -> Iterator[dict[str, Any]]:
    """`{id, updatedAt}` of every order the search finds, oldest change first, page by page (250 a page)."""
    after = None
    while True:
        connection = client.query("OrdersChanged", {"query": query, "after": after})["orders"]
        yield from connection["nodes"]
        if not connection["pageInfo"]["hasNextPage"]:
            return
        after = connection["pageInfo"]["endCursor"]


def order(client: GraphQLClient, order_id: str) -> dict[str, Any] | None:
    """The order whole (the `Order` operation's shape), or None when Shopify does not show it (deleted, or older
    than the scope reads)."""
    return client.query("Order", {"id": order_id})["order"]


def order_of_fulfilment_order(client: GraphQLClient, fulfilment_order_id: str) -> str | None:
    """The GID of the order a fulfilment order belongs to; None when Shopify does not know the fulfilment order."""
    found = client.query("FulfillmentOrderOwner", {"id": fulfilment_order_id})["fulfillmentOrder"]
    return str(found["orderId"]) if found and found.get("orderId") else None


def move_fulfilment_order(client: GraphQLClient, fulfilment_order_id: str, location_id: str) -> dict[str, Any]:
    """Ask Shopify to assign what remains of a fulfilment order to another location; its answer (the moved
    fulfilment order). Raises ShopifyUserError when Shopify refuses the move."""
    return client.mutate(
        "FulfillmentOrderMove",
        {"id": fulfilment_order_id, "newLocationId": location_id},
        payload="fulfillmentOrderMove",
    )


def cancel_order(client: GraphQLClient, order_id: str, reason: str, staff_note: str) -> str:
    """Ask Shopify to cancel the order, restocking what it committed and refunding nothing; the id of the job doing
    it ("" when Shopify did it at once). Refusals raise ShopifyUserError (already cancelled, something shipped)."""
    variables = {"orderId": order_id, "reason": reason, "staffNote": staff_note or None}
    answer = client.mutate("OrderCancel", variables, payload="orderCancel")
    return str((answer.get("job") or {}).get("id") or "")
