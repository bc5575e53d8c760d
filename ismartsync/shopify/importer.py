"""Reading the catalog out of Shopify: locations, bulk exports of variants and customers, incremental pages.

These functions only fetch and yield Shopify's own shapes; `services/shopify_store/catalog_import.py` stores them.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any, Protocol

from ismartsync.shopify.errors import ShopifyError

# Poll quickly at first (small shops finish in a moment), then back off to every few seconds.
POLL_SECONDS = (0.2, 3.0)
BULK_TIMEOUT_SECONDS = 3600


class GraphQLClient(Protocol):
    def query(self, operation_name: str, variables: dict[str, Any] | None = None) -> dict[str, Any]: ...

    def mutate(
        self,
        operation_name: str,
        variables: dict[str, Any],
        *,
        idempotency_key: str | None = None,
        payload: str,
    ) -> dict[str, Any]: ...

    def download_jsonl(self, url: str) -> Iterator[dict[str, Any]]: ...


class BulkOperationFailed(ShopifyError):
    """Shopify could not finish a bulk export."""


def _pages(client: GraphQLClient, operation: str, root: str, variables: dict[str, Any]) -> Iterator[dict[str, Any]]:
    after = None
    while True:
        connection = client.query(operation, {**variables, "after": after})[root]
        yield from connection["nodes"]
        if not connection["pageInfo"]["hasNextPage"]:
            return
        after = connection["pageInfo"]["endCursor"]


def fetch_locations(client: GraphQLClient) -> list[dict[str, Any]]:
    return list(_pages(client, "Locations", "locations", {"includeInactive": True}))


def run_bulk_export(
    client: GraphQLClient,
    operation: str,
    on_progress: Callable[[int], None] = lambda count: None,
    sleep: Callable[[float], None] = time.sleep,
) -> Iterator[dict[str, Any]]:
    """Start a bulk export, wait for it (reporting Shopify's object count), then stream its JSONL lines."""
    started = client.mutate(operation, {}, payload="bulkOperationRunQuery")
    operation_id = started["bulkOperation"]["id"]
    deadline = time.monotonic() + BULK_TIMEOUT_SECONDS
    wait, longest = POLL_SECONDS
    while True:
        status = client.query("BulkOperationStatus", {"id": operation_id})["bulkOperation"]
        on_progress(int(status.get("objectCount") or 0))
        if status["status"] == "COMPLETED":
            break
        if status["status"] in ("FAILED", "CANCELED", "EXPIRED"):
            raise BulkOperationFailed(f"Shopify's export stopped ({status['status']}, {status.get('errorCode')}).")
        if time.monotonic() > deadline:
            raise BulkOperationFailed("Shopify's export took over an hour.")
        sleep(wait)
        wait = min(wait * 1.5, longest)
    if not status.get("url"):
        return iter(())  # an empty shop has no result file
    return client.download_jsonl(status["url"])


def changed_variants(client: GraphQLClient, since_iso: str) -> Iterator[dict[str, Any]]:
    """Variants updated since `since_iso`, a page at a time (incremental runs)."""
    return _pages(client, "ProductVariantsPage", "productVariants", {"query": f"updated_at:>'{since_iso}'"})


def changed_customers(client: GraphQLClient, since_iso: str) -> Iterator[dict[str, Any]]:
    return _pages(client, "CustomersPage", "customers", {"query": f"updated_at:>'{since_iso}'"})


def on_hand_levels(client: GraphQLClient, item_ids: list[str]) -> Iterator[dict[str, Any]]:
    """Inventory levels of these items at every location that stocks them, however many, shaped like bulk lines
    (`item`, `location`, `quantities`)."""
    for start in range(0, len(item_ids), 50):
        nodes = client.query("VariantInventoryLevels", {"itemIds": item_ids[start : start + 50]})["nodes"]
        for item in nodes:
            if item:
                yield from _item_levels(client, item)


def _item_levels(client: GraphQLClient, item: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """One item's levels: the first page it came with, then the following pages."""
    connection = item.get("inventoryLevels") or {}
    while True:
        for level in connection.get("nodes") or []:
            yield {**level, "item": {"id": item["id"]}}
        page = connection.get("pageInfo") or {}
        if not page.get("hasNextPage"):
            return
        found = client.query("InventoryItemLevels", {"id": item["id"], "after": page["endCursor"]})["inventoryItem"]
        connection = (found or {}).get("inventoryLevels") or {}


# Single records, read again when a webhook says they changed.


def product_with_variants(client: GraphQLClient, product_id: str) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    """The product (None once deleted) and every variant of it, each shaped like a ProductVariantsPage node."""
    variants: list[dict[str, Any]] = []
    after = None
    while True:
        product = client.query("ProductWithVariants", {"id": product_id, "after": after})["product"]
        if product is None:
            return None, []
        page = product.pop("variants")
        variants += [{**node, "product": product} for node in page["nodes"]]
        if not page["pageInfo"]["hasNextPage"]:
            return product, variants
        after = page["pageInfo"]["endCursor"]


def inventory_items(client: GraphQLClient, item_ids: list[str]) -> dict[str, dict[str, Any] | None]:
    """Item gid → its node (`tracked`, levels), or None for an item Shopify no longer has; at most 50 ids."""
    nodes = client.query("VariantInventoryLevels", {"itemIds": item_ids})["nodes"]
    return dict(zip(item_ids, nodes, strict=True))


def customer(client: GraphQLClient, customer_id: str) -> dict[str, Any] | None:
    """A customer shaped like a CustomersPage node, or None once deleted."""
    return client.query("Customer", {"id": customer_id})["customer"]


def location_levels(client: GraphQLClient, location_id: str) -> Iterator[dict[str, Any]]:
    """Every inventory level at one location, shaped like bulk lines (`item`, `location`, `quantities`)."""
    after = None
    while True:
        data = client.query("LocationInventoryLevels", {"locationId": location_id, "after": after})
        connection = (data.get("location") or {}).get("inventoryLevels")
        if connection is None:
            return
        for level in connection["nodes"]:
            yield {**level, "location": {"id": location_id}}
        if not connection["pageInfo"]["hasNextPage"]:
            return
        after = connection["pageInfo"]["endCursor"]
