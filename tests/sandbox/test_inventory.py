"""Inventory writes follow Shopify's 2026-04+ rules: @idempotent, changeFromQuantity, stocked and tracked items."""

from __future__ import annotations

from typing import Any

from tests.sandbox.conftest import SHOP, RunningSandbox

ADJUST = """mutation Adjust($input: InventoryAdjustQuantitiesInput!) {
  inventoryAdjustQuantities(input: $input) @idempotent(key: "%s") {
    inventoryAdjustmentGroup { id reason referenceDocumentUri
      changes(quantityNames: ["available", "on_hand"]) { name delta quantityAfterChange } }
    userErrors { code field message } } }"""
SET = """mutation Set($input: InventorySetQuantitiesInput!) {
  inventorySetQuantities(input: $input) @idempotent(key: "%s") {
    inventoryAdjustmentGroup { changes { name delta quantityAfterChange } }
    userErrors { code field message } } }"""


def a_level(sandbox: RunningSandbox, *, tracked: bool = True) -> dict[str, Any]:
    """A stocked level of a tracked (or untracked) item at the first store, as the control API reports it."""
    levels = sandbox.control("GET", f"/shops/{SHOP}/inventory?limit=60")["levels"]
    return next(lv for lv in levels if lv["tracked"] == tracked and lv["active"] and lv["available"] >= 2)


def adjust_input(level: dict[str, Any], delta: int, **change: Any) -> dict[str, Any]:
    return {
        "name": "available",
        "reason": "correction",
        "referenceDocumentUri": "gid://ismartsync/Sale/1",
        "changes": [
            {
                "inventoryItemId": level["inventory_item_id"],
                "locationId": level["location_id"],
                "delta": delta,
                **change,
            }
        ],
    }


def on_hand(sandbox: RunningSandbox, level: dict[str, Any]) -> int:
    path = f"/shops/{SHOP}/inventory?inventory_item_id={level['inventory_item_id']}&location_id={level['location_id']}"
    return sandbox.control("GET", path)["levels"][0]["on_hand"]


def test_adjust_applies_delta_and_reports_both_quantities(shopify_sandbox: RunningSandbox) -> None:
    level = a_level(shopify_sandbox)

    body = shopify_sandbox.graphql(ADJUST % "k-1", {"input": adjust_input(level, -2, changeFromQuantity=None)}).json()

    result = body["data"]["inventoryAdjustQuantities"]
    assert result["userErrors"] == []
    assert result["inventoryAdjustmentGroup"]["referenceDocumentUri"] == "gid://ismartsync/Sale/1"
    changes = {c["name"]: c for c in result["inventoryAdjustmentGroup"]["changes"]}
    assert changes["available"] == {"name": "available", "delta": -2, "quantityAfterChange": level["available"] - 2}
    assert changes["on_hand"]["quantityAfterChange"] == level["on_hand"] - 2
    assert on_hand(shopify_sandbox, level) == level["on_hand"] - 2


def test_same_idempotency_key_twice_is_applied_once(shopify_sandbox: RunningSandbox) -> None:
    level = a_level(shopify_sandbox)
    variables = {"input": adjust_input(level, -1, changeFromQuantity=None)}

    first = shopify_sandbox.graphql(ADJUST % "sale-77", variables).json()["data"]
    second = shopify_sandbox.graphql(ADJUST % "sale-77", variables).json()["data"]

    assert first == second
    assert on_hand(shopify_sandbox, level) == level["on_hand"] - 1
    keys = shopify_sandbox.control("GET", f"/idempotency?shop={SHOP}")["keys"]
    assert [(k["key"], k["applied"], k["replays"]) for k in keys] == [("sale-77", True, 1)]


def test_same_key_with_other_arguments_is_a_mismatch(shopify_sandbox: RunningSandbox) -> None:
    level = a_level(shopify_sandbox)
    shopify_sandbox.graphql(ADJUST % "k-2", {"input": adjust_input(level, -1, changeFromQuantity=None)})

    body = shopify_sandbox.graphql(ADJUST % "k-2", {"input": adjust_input(level, -5, changeFromQuantity=None)}).json()

    assert body["data"]["inventoryAdjustQuantities"]["userErrors"][0]["code"] == "IDEMPOTENCY_KEY_PARAMETER_MISMATCH"
    assert on_hand(shopify_sandbox, level) == level["on_hand"] - 1


def test_adjust_without_change_from_quantity_is_rejected(shopify_sandbox: RunningSandbox) -> None:
    level = a_level(shopify_sandbox)

    body = shopify_sandbox.graphql(ADJUST % "k-3", {"input": adjust_input(level, -1)}).json()

    assert body["data"]["inventoryAdjustQuantities"] is None
    assert "changeFromQuantity" in body["errors"][0]["message"]
    assert on_hand(shopify_sandbox, level) == level["on_hand"]


def test_adjust_without_idempotent_directive_is_rejected_from_2026_04(shopify_sandbox: RunningSandbox) -> None:
    level = a_level(shopify_sandbox)
    bare = ADJUST.replace(' @idempotent(key: "%s")', "")
    variables = {"input": adjust_input(level, -1, changeFromQuantity=None)}

    refused = shopify_sandbox.graphql(bare, variables).json()
    accepted = shopify_sandbox.graphql(bare, variables, version="2026-01").json()

    assert refused["errors"][0]["extensions"]["code"] == "IDEMPOTENCY_KEY_REQUIRED"
    assert accepted["data"]["inventoryAdjustQuantities"]["userErrors"] == []
    assert on_hand(shopify_sandbox, level) == level["on_hand"] - 1


def test_compare_and_set_with_stale_quantity_fails(shopify_sandbox: RunningSandbox) -> None:
    level = a_level(shopify_sandbox)
    quantity = {"inventoryItemId": level["inventory_item_id"], "locationId": level["location_id"], "quantity": 40}
    stale = {
        "name": "available",
        "reason": "cycle_count_available",
        "quantities": [{**quantity, "changeFromQuantity": level["available"] + 1}],
    }
    fresh = {**stale, "quantities": [{**quantity, "changeFromQuantity": level["available"]}]}

    refused = shopify_sandbox.graphql(SET % "count-1", {"input": stale}).json()["data"]["inventorySetQuantities"]
    applied = shopify_sandbox.graphql(SET % "count-2", {"input": fresh}).json()["data"]["inventorySetQuantities"]

    assert refused["userErrors"][0]["code"] == "CHANGE_FROM_QUANTITY_STALE"
    assert refused["userErrors"][0]["field"] == ["input", "quantities", "0", "changeFromQuantity"]
    assert applied["userErrors"] == []
    available = shopify_sandbox.control(
        "GET",
        f"/shops/{SHOP}/inventory?inventory_item_id={level['inventory_item_id']}&location_id={level['location_id']}",
    )
    assert available["levels"][0]["available"] == 40


def test_item_not_stocked_at_location_and_untracked_items_are_refused(shopify_sandbox: RunningSandbox) -> None:
    state = shopify_sandbox.sandbox.shop(SHOP)
    store = state.locations[1]
    unstocked = next(v for v in state.variants if v.tracked and not state.stock.is_active(v.idx, store.idx))
    untracked_variant = next(v for v in state.variants if not v.tracked and state.stock.is_active(v.idx, 0))
    changes = [
        {"inventoryItemId": unstocked.item_gid, "locationId": store.gid, "delta": 1, "changeFromQuantity": None},
        {
            "inventoryItemId": untracked_variant.item_gid,
            "locationId": state.locations[0].gid,
            "delta": 1,
            "changeFromQuantity": None,
        },
    ]
    body = shopify_sandbox.graphql(
        ADJUST % "k-4", {"input": {"name": "available", "reason": "received", "changes": changes}}
    ).json()

    errors = body["data"]["inventoryAdjustQuantities"]["userErrors"]
    assert [e["code"] for e in errors] == ["ITEM_NOT_STOCKED_AT_LOCATION", "INVALID_INVENTORY_ITEM"]
    activate = """mutation($item: ID!, $loc: ID!) { inventoryActivate(inventoryItemId: $item, locationId: $loc,
      available: 3) { inventoryLevel { quantities(names: ["available"]) { quantity } } userErrors { message } } }"""
    activated = shopify_sandbox.graphql(activate, {"item": unstocked.item_gid, "loc": store.gid}).json()
    assert activated["data"]["inventoryActivate"]["inventoryLevel"]["quantities"] == [{"quantity": 3}]


def test_more_than_250_changes_are_refused(shopify_sandbox: RunningSandbox) -> None:
    level = a_level(shopify_sandbox)
    payload = adjust_input(level, 1, changeFromQuantity=None)
    payload["changes"] = payload["changes"] * 251

    body = shopify_sandbox.graphql(ADJUST % "k-5", {"input": payload}).json()

    assert body["errors"][0]["extensions"]["code"] == "MAX_INPUT_SIZE_EXCEEDED"


def test_move_between_states_keeps_on_hand(shopify_sandbox: RunningSandbox) -> None:
    level = a_level(shopify_sandbox)
    move = """mutation($input: InventoryMoveQuantitiesInput!) { inventoryMoveQuantities(input: $input)
      @idempotent(key: "move-1") { inventoryAdjustmentGroup { changes { name delta } } userErrors { code } } }"""
    terminal = {"locationId": level["location_id"], "changeFromQuantity": None}
    payload = {
        "reason": "damaged",
        "referenceDocumentUri": "gid://ismartsync/Damage/7",
        "changes": [
            {
                "inventoryItemId": level["inventory_item_id"],
                "quantity": 1,
                "from": {**terminal, "name": "available"},
                "to": {**terminal, "name": "damaged", "ledgerDocumentUri": "gid://ismartsync/DamageLedger/7"},
            }
        ],
    }

    body = shopify_sandbox.graphql(move, {"input": payload}).json()["data"]["inventoryMoveQuantities"]

    assert body["userErrors"] == []
    assert on_hand(shopify_sandbox, level) == level["on_hand"]
    after = shopify_sandbox.control(
        "GET",
        f"/shops/{SHOP}/inventory?inventory_item_id={level['inventory_item_id']}&location_id={level['location_id']}",
    )["levels"][0]
    assert (after["available"], after["damaged"]) == (level["available"] - 1, 1)


def test_the_control_api_adjusts_on_hand_by_a_delta(shopify_sandbox: RunningSandbox) -> None:
    level = shopify_sandbox.control("GET", f"/shops/{SHOP}/inventory?limit=1")["levels"][0]
    target = {"inventory_item_id": level["inventory_item_id"], "location_id": level["location_id"]}

    after = shopify_sandbox.control("POST", f"/shops/{SHOP}/inventory", {**target, "adjust_on_hand": -3})

    assert after["on_hand"] == level["on_hand"] - 3
    assert after["available"] == level["available"] - 3


def test_a_key_whose_attempt_was_refused_answers_previous_attempt_failed(shopify_sandbox: RunningSandbox) -> None:
    level = a_level(shopify_sandbox)
    stale = {"input": adjust_input(level, -1, changeFromQuantity=level["available"] + 9)}

    refused = shopify_sandbox.graphql(ADJUST % "k-9", stale).json()["data"]["inventoryAdjustQuantities"]
    again = shopify_sandbox.graphql(ADJUST % "k-9", stale).json()["data"]["inventoryAdjustQuantities"]

    assert refused["userErrors"][0]["code"] == "CHANGE_FROM_QUANTITY_STALE"
    assert again["userErrors"] == [
        {
            "code": "IDEMPOTENCY_PREVIOUS_ATTEMPT_FAILED",
            "field": None,
            "message": "A previous request with this idempotency key failed. Retry with a new idempotency key.",
        }
    ]
    assert on_hand(shopify_sandbox, level) == level["on_hand"]


def test_an_attempt_that_fails_inside_shopify_answers_500_and_its_key_is_spent(shopify_sandbox: RunningSandbox) -> None:
    level = a_level(shopify_sandbox)
    variables = {"input": adjust_input(level, -1, changeFromQuantity=None)}
    shopify_sandbox.control("POST", "/faults", {"mode": "attempt_failed", "operation": "inventoryAdjustQuantities"})

    failed = shopify_sandbox.graphql(ADJUST % "k-10", variables)
    again = shopify_sandbox.graphql(ADJUST % "k-10", variables).json()["data"]["inventoryAdjustQuantities"]
    fresh = shopify_sandbox.graphql(ADJUST % "k-11", variables).json()["data"]["inventoryAdjustQuantities"]

    assert failed.status == 500
    assert again["userErrors"][0]["code"] == "IDEMPOTENCY_PREVIOUS_ATTEMPT_FAILED"
    assert fresh["userErrors"] == []
    assert on_hand(shopify_sandbox, level) == level["on_hand"] - 1  # applied once, under the new key
    keys = {k["key"]: k for k in shopify_sandbox.control("GET", f"/idempotency?shop={SHOP}")["keys"]}
    assert (keys["k-10"]["failed"], keys["k-10"]["applied"], keys["k-11"]["applied"]) == (True, False, True)


def test_a_key_still_in_progress_answers_concurrent_request(shopify_sandbox: RunningSandbox) -> None:
    level = a_level(shopify_sandbox)
    variables = {"input": adjust_input(level, -1, changeFromQuantity=None)}
    shopify_sandbox.control("POST", "/faults", {"mode": "idempotency_in_progress", "operation": "Adjust"})

    busy = shopify_sandbox.graphql(ADJUST % "k-12", variables).json()["data"]["inventoryAdjustQuantities"]
    later = shopify_sandbox.graphql(ADJUST % "k-12", variables).json()["data"]["inventoryAdjustQuantities"]

    assert busy["userErrors"][0]["code"] == "IDEMPOTENCY_CONCURRENT_REQUEST"
    assert later["userErrors"] == []
    assert on_hand(shopify_sandbox, level) == level["on_hand"] - 1


def test_an_idempotency_key_in_a_variable_is_refused(shopify_sandbox: RunningSandbox) -> None:
    """Shopify's schema allows `@idempotent(key: $key)`; whether its runtime does is unverified, so the sandbox
    refuses it (the app inlines the key)."""
    level = a_level(shopify_sandbox)
    document = ADJUST.replace("Adjust($input", "Adjust($key: String!, $input").replace('"%s"', "$key")
    variables = {"key": "k-13", "input": adjust_input(level, -1, changeFromQuantity=None)}

    body = shopify_sandbox.graphql(document, variables).json()

    assert body["errors"][0]["extensions"]["code"] == "BAD_REQUEST"
    assert "literal" in body["errors"][0]["message"]
    assert on_hand(shopify_sandbox, level) == level["on_hand"]
