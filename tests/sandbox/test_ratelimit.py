"""The cost-based leaky bucket: THROTTLED with HTTP 200 when short, refilled at the restore rate."""

from __future__ import annotations

import time

from tests.sandbox.conftest import SHOP, RunningSandbox

QUERY = "{ productVariants(first: 50) { nodes { id sku } } }"  # requested cost 2 + 50 = 52


def test_throttled_when_the_bucket_is_short_and_restored_over_time(shopify_sandbox: RunningSandbox) -> None:
    shopify_sandbox.control("POST", "/rate-limit", {"shop": SHOP, "maximum_available": 100, "restore_rate": 10})

    first = shopify_sandbox.graphql(QUERY).json()
    second = shopify_sandbox.graphql(QUERY)

    assert first["extensions"]["cost"]["requestedQueryCost"] == 52
    assert first["extensions"]["cost"]["throttleStatus"]["maximumAvailable"] == 100.0
    assert second.status == 200
    throttled = second.json()
    assert "data" not in throttled
    assert throttled["errors"][0]["extensions"]["code"] == "THROTTLED"
    status = throttled["extensions"]["cost"]["throttleStatus"]
    assert status["currentlyAvailable"] < 52 and status["restoreRate"] == 10.0
    time.sleep((52 - status["currentlyAvailable"]) / 10 + 0.2)
    assert "data" in shopify_sandbox.graphql(QUERY).json()
    summary = shopify_sandbox.control("GET", f"/requests?shop={SHOP}")["summary"]
    assert summary["throttled"] == 1


def test_unused_requested_cost_is_refunded(shopify_sandbox: RunningSandbox) -> None:
    body = shopify_sandbox.graphql('{ productVariants(first: 200, query: "sku:no-such-sku") { nodes { id } } }').json()

    cost = body["extensions"]["cost"]
    assert cost["requestedQueryCost"] == 202
    assert cost["actualQueryCost"] == 2
    assert cost["throttleStatus"]["currentlyAvailable"] >= 1997


def test_a_query_over_1000_points_is_refused(shopify_sandbox: RunningSandbox) -> None:
    query = "{ products(first: 50) { nodes { id variants(first: 250) { nodes { id } } } } }"

    body = shopify_sandbox.graphql(query).json()

    assert body["errors"][0]["extensions"]["code"] == "MAX_COST_EXCEEDED"
    assert body["errors"][0]["extensions"]["maxCost"] == 1000
