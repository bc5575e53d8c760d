"""Bulk exports through the client: start, poll, and stream the JSONL result line by line."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from ismartsync.shopify.client import ShopifyClient
from ismartsync.shopify.errors import ShopifyError
from tests.sandbox_fixtures import SHOP, TOKEN, RunningSandbox, Sleeps

VARIANT, LEVEL = "gid://shopify/ProductVariant/", "gid://shopify/InventoryLevel/"


def finished(client: ShopifyClient, operation: str) -> dict[str, Any]:
    """Start the bulk `operation` and poll it until Shopify says it is over."""
    started = client.mutate(operation, {}, payload="bulkOperationRunQuery")["bulkOperation"]
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        op = client.query("BulkOperationStatus", {"id": started["id"]})["bulkOperation"]
        if op["status"] in ("COMPLETED", "FAILED", "CANCELED"):
            return op
        time.sleep(0.05)
    raise AssertionError(f"{operation} did not finish")


def test_variant_export_streams_variants_and_levels(shopify_sandbox: RunningSandbox, make_client) -> None:
    client = make_client(shopify_sandbox)
    op = finished(client, "BulkVariantsQuery")

    lines = client.download_jsonl(op["url"])
    first = next(lines)
    rest = list(lines)

    assert isinstance(lines, Iterator) and op["status"] == "COMPLETED"
    everything = [first, *rest]
    variants = [line for line in everything if line["id"].startswith(VARIANT)]
    levels = [line for line in everything if line["id"].startswith(LEVEL)]
    assert len(everything) == int(op["objectCount"]) == len(variants) + len(levels)
    assert len(variants) == int(op["rootObjectCount"]) == 300
    items = {v["inventoryItem"]["id"] for v in variants}
    assert levels and all(level["item"]["id"] in items for level in levels)
    assert all(level["location"]["id"].startswith("gid://shopify/Location/") for level in levels)
    assert {q["name"] for q in levels[0]["quantities"]} == {"on_hand", "available"}
    assert variants[0]["product"]["title"] and "inventoryLevels" not in variants[0]["inventoryItem"]


def test_customer_export_holds_every_customer(shopify_sandbox: RunningSandbox, make_client) -> None:
    client = make_client(shopify_sandbox)
    customers = len(shopify_sandbox.sandbox.shop(SHOP).customers)

    op = finished(client, "BulkCustomersQuery")
    lines = list(client.download_jsonl(op["url"]))

    assert len(lines) == customers == int(op["rootObjectCount"])
    assert all(line["id"].startswith("gid://shopify/Customer/") for line in lines)


def test_download_is_retried_when_the_file_server_fails(shopify_sandbox: RunningSandbox, make_client) -> None:
    sleeps = Sleeps()
    client = make_client(shopify_sandbox, sleep=sleeps)
    op = finished(client, "BulkCustomersQuery")
    shopify_sandbox.control("POST", "/faults", {"mode": "503", "target": "bulk", "count": 2})

    lines = list(client.download_jsonl(op["url"]))

    assert len(lines) == int(op["objectCount"]) and len(sleeps) == 2


def test_download_sends_no_token_and_reads_lines_split_across_chunks() -> None:
    seen: list[httpx.Request] = []
    body = (
        b'{"id": "gid://shopify/Customer/1", "note": "' + b"x" * 300_000 + b'"}\n\n{"id": "gid://shopify/Customer/2"}'
    )

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, stream=httpx.ByteStream(body))

    client = ShopifyClient(SHOP, TOKEN, api_base_template="https://{shop}", redis=None)
    client._http = httpx.Client(transport=httpx.MockTransport(answer))
    with client:
        lines = list(client.download_jsonl("https://storage.example/bulk/1.jsonl?signature=abc"))

    assert [line["id"] for line in lines] == ["gid://shopify/Customer/1", "gid://shopify/Customer/2"]
    assert len(lines[0]["note"]) == 300_000
    assert "X-Shopify-Access-Token" not in seen[0].headers


def test_an_expired_result_url_is_an_error(shopify_sandbox: RunningSandbox, make_client) -> None:
    client = make_client(shopify_sandbox)

    with pytest.raises(ShopifyError, match="HTTP 404"):
        list(client.download_jsonl(f"{shopify_sandbox.url}/sandbox/bulk/999-nope.jsonl"))
