"""Bulk operations run in the background and leave Shopify-shaped JSONL at a URL."""

from __future__ import annotations

import json
import time
from typing import Any

from tests.sandbox.conftest import SHOP, RunningSandbox, http
from tests.sandbox_fixtures import subscribe

RUN = """mutation($q: String!) { bulkOperationRunQuery(query: $q) {
  bulkOperation { id status } userErrors { code field message } } }"""
STATUS = """query($id: ID!) { bulkOperation(id: $id) { id status errorCode objectCount rootObjectCount url
  partialDataUrl } }"""
VARIANTS = """{ productVariants { edges { node { id sku barcode price product { id title status }
  inventoryItem { id tracked inventoryLevels { edges { node { location { id }
    quantities(names: ["available", "on_hand"]) { name quantity } } } } } } } } }"""


def run_bulk(sandbox: RunningSandbox, query: str) -> dict[str, Any]:
    started = sandbox.graphql(RUN, {"q": query}).json()["data"]["bulkOperationRunQuery"]
    assert started["userErrors"] == [], started
    assert started["bulkOperation"]["status"] == "CREATED"
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        op = sandbox.graphql(STATUS, {"id": started["bulkOperation"]["id"]}).json()["data"]["bulkOperation"]
        if op["status"] in ("COMPLETED", "FAILED", "CANCELED"):
            return op
        time.sleep(0.05)
    raise AssertionError("bulk operation did not finish")


def test_bulk_query_writes_jsonl_with_parent_ids(shopify_sandbox: RunningSandbox) -> None:
    op = run_bulk(shopify_sandbox, VARIANTS)

    assert op["status"] == "COMPLETED"
    download = http("GET", op["url"])
    lines = [json.loads(line) for line in download.body.decode().splitlines()]
    roots = [line for line in lines if "__parentId" not in line]
    children = [line for line in lines if "__parentId" in line]
    assert len(roots) == int(op["rootObjectCount"]) == 300
    assert len(lines) == int(op["objectCount"])
    assert roots[0]["id"].startswith("gid://shopify/ProductVariant/")
    assert "inventoryLevels" not in roots[0]["inventoryItem"]
    assert {c["__parentId"] for c in children} <= {r["id"] for r in roots}
    assert children[0]["quantities"][0]["name"] == "available"


def test_bulk_query_is_checked_like_shopify(shopify_sandbox: RunningSandbox) -> None:
    nested_without_id = "{ products { edges { node { title variants { edges { node { sku } } } } } } }"
    invalid = "{ productVariants { edges { node { colour } } } }"

    for query in (nested_without_id, invalid):
        body = shopify_sandbox.graphql(RUN, {"q": query}).json()["data"]["bulkOperationRunQuery"]
        assert body["bulkOperation"] is None
        assert body["userErrors"][0]["field"] == ["query"]


def test_current_bulk_operation_and_finish_webhook(make_shopify_sandbox, webhook_receiver) -> None:
    sandbox = make_shopify_sandbox()
    subscribe(sandbox, webhook_receiver.url, "BULK_OPERATIONS_FINISH")
    op = run_bulk(sandbox, "{ customers { edges { node { id firstName } } } }")
    current = sandbox.graphql("{ currentBulkOperation { id status } }").json()["data"]["currentBulkOperation"]

    assert current == {"id": op["id"], "status": "COMPLETED"}
    assert sandbox.sandbox.webhooks.wait_idle(5)
    payload = json.loads(webhook_receiver.calls[0]["body"])
    assert webhook_receiver.calls[0]["headers"]["X-Shopify-Topic"] == "bulk_operations/finish"
    assert payload["admin_graphql_api_id"] == op["id"] and payload["status"] == "completed"


def test_bulk_failure_can_be_injected(shopify_sandbox: RunningSandbox) -> None:
    shopify_sandbox.control("POST", "/faults", {"mode": "bulk_fail"})

    op = run_bulk(shopify_sandbox, VARIANTS.replace("productVariants", 'productVariants(query: "sku:K*")'))

    assert (op["status"], op["errorCode"], op["url"]) == ("FAILED", "INTERNAL_SERVER_ERROR", None)
    assert op["partialDataUrl"]
    assert shopify_sandbox.sandbox.shop(SHOP) is not None


def test_a_slow_bulk_operation_stays_running_and_moves_the_clock_on_each_poll(shopify_sandbox: RunningSandbox) -> None:
    shopify_sandbox.control("POST", "/bulk", {"running_polls": 3, "seconds_per_poll": 1200})
    started = shopify_sandbox.graphql(RUN, {"q": VARIANTS}).json()["data"]["bulkOperationRunQuery"]["bulkOperation"]
    clock = shopify_sandbox.control("GET", "/state")["clock_offset"]
    seen = []
    for _ in range(20):
        op = shopify_sandbox.graphql(STATUS, {"id": started["id"]}).json()["data"]["bulkOperation"]
        seen.append(op["status"])
        if op["status"] == "COMPLETED":
            break
        time.sleep(0.1)

    assert seen.count("COMPLETED") == 1 and len(seen) >= 4
    assert set(seen[:3]) <= {"CREATED", "RUNNING"}
    # Every read of the operation while it ran moved the clock on 20 minutes: an hour-long export in fast-forward.
    assert shopify_sandbox.control("GET", "/state")["clock_offset"] - clock == 1200 * (len(seen) - 1)


def test_a_bulk_operation_can_be_kept_running_for_a_while(shopify_sandbox: RunningSandbox) -> None:
    shopify_sandbox.control("POST", "/bulk", {"running_seconds": 0.6})
    started = time.monotonic()

    op = run_bulk(shopify_sandbox, VARIANTS)

    assert op["status"] == "COMPLETED" and time.monotonic() - started >= 0.6
