"""Fault injection: the next requests fail, throttle or time out as tests ask."""

from __future__ import annotations

from tests.sandbox.conftest import SHOP, RunningSandbox

QUERY = "{ shop { name } }"
ADJUST = """mutation($input: InventoryAdjustQuantitiesInput!) {
  inventoryAdjustQuantities(input: $input) @idempotent(key: "slow-1") { userErrors { code } } }"""


def test_next_requests_fail_with_5xx_then_recover(shopify_sandbox: RunningSandbox) -> None:
    shopify_sandbox.control("POST", "/faults", {"mode": "503", "count": 2})

    statuses = [shopify_sandbox.graphql(QUERY).status for _ in range(3)]

    assert statuses == [503, 503, 200]
    log = shopify_sandbox.control("GET", f"/requests?shop={SHOP}")["requests"]
    assert [e["fault"] for e in log] == ["503", "503", None]


def test_429_carries_retry_after(shopify_sandbox: RunningSandbox) -> None:
    shopify_sandbox.control("POST", "/faults", {"mode": "429"})

    response = shopify_sandbox.graphql(QUERY)

    assert response.status == 429
    assert response.headers["Retry-After"] == "2.0"


def test_forced_throttle_answers_http_200_with_throttled(shopify_sandbox: RunningSandbox) -> None:
    shopify_sandbox.control("POST", "/faults", {"mode": "throttled", "operation": "shop"})

    body = shopify_sandbox.graphql(QUERY).json()

    assert body["errors"][0]["extensions"]["code"] == "THROTTLED"
    assert "throttleStatus" in body["extensions"]["cost"]


def test_timeout_after_applying_leaves_the_change_recorded(shopify_sandbox: RunningSandbox) -> None:
    state = shopify_sandbox.sandbox.shop(SHOP)
    variant = next(v for v in state.variants if v.tracked and state.stock.is_active(v.idx, 0))
    before = state.stock.get(variant.idx, 0, "on_hand")
    change = {
        "inventoryItemId": variant.item_gid,
        "locationId": state.locations[0].gid,
        "delta": -1,
        "changeFromQuantity": None,
    }
    variables = {"input": {"name": "available", "reason": "correction", "changes": [change]}}
    shopify_sandbox.control(
        "POST",
        "/faults",
        {"mode": "timeout", "apply": True, "delay_ms": 1500, "operation": "inventoryAdjustQuantities"},
    )

    try:
        shopify_sandbox.graphql(ADJUST, variables, timeout=0.3)
    except TimeoutError:
        pass
    else:
        raise AssertionError("the request should have timed out")
    retry = shopify_sandbox.graphql(ADJUST, variables).json()

    assert retry["data"]["inventoryAdjustQuantities"]["userErrors"] == []
    assert state.stock.get(variant.idx, 0, "on_hand") == before - 1


def test_a_fault_with_a_probability_hits_about_that_share_of_requests(shopify_sandbox: RunningSandbox) -> None:
    shopify_sandbox.control("POST", "/faults", {"mode": "503", "count": 1000, "probability": 0.2, "seed": 7})

    statuses = [shopify_sandbox.graphql(QUERY).status for _ in range(200)]

    assert 20 <= statuses.count(503) <= 60
    assert statuses.count(200) == 200 - statuses.count(503)
