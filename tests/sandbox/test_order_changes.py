"""After an online order is placed: COD and card gateways, fulfillmentOrderMove, holds, orderCancel, refundCreate
with restock, the admin's own actions, and the webhooks of each, through real GraphQL over HTTP."""

from __future__ import annotations

import json
from typing import Any

from tests.sandbox.conftest import SHOP, Receiver, RunningSandbox
from tests.sandbox_fixtures import subscribe

FOS = """query($id: ID!) { order(id: $id) { displayFinancialStatus displayFulfillmentStatus paymentGatewayNames
  cancelledAt fulfillable
  fulfillmentOrders(first: 10) { nodes { id status assignedLocation { location { id } }
    supportedActions { action } fulfillmentHolds { id reason reasonNotes handle heldByRequestingApp }
    lineItems(first: 10) { nodes { id totalQuantity remainingQuantity lineItem { id } } } } } } }"""
MOVE = """mutation($id: ID!, $to: ID!, $items: [FulfillmentOrderLineItemInput!]) {
  fulfillmentOrderMove(id: $id, newLocationId: $to, fulfillmentOrderLineItems: $items) {
    movedFulfillmentOrder { id status assignedLocation { location { id } } }
    originalFulfillmentOrder { id status assignedLocation { location { id } } }
    userErrors { field message } } }"""
HOLD = """mutation($id: ID!, $hold: FulfillmentOrderHoldInput!) {
  fulfillmentOrderHold(id: $id, fulfillmentHold: $hold) {
  fulfillmentHold { id reason reasonNotes handle } fulfillmentOrder { id status supportedActions { action } }
  remainingFulfillmentOrder { id status } userErrors { code field message } } }"""
RELEASE = """mutation($id: ID!) { fulfillmentOrderReleaseHold(id: $id) {
  fulfillmentOrder { id status supportedActions { action } fulfillmentHolds { id } }
  userErrors { code field message } } }"""
SHIP = """mutation($f: FulfillmentInput!) { fulfillmentCreate(fulfillment: $f) {
  fulfillment { id status } userErrors { field message } } }"""
CANCEL = """mutation($id: ID!, $restock: Boolean!) {
  orderCancel(orderId: $id, reason: CUSTOMER, restock: $restock, refundMethod: {originalPaymentMethodsRefund: true},
              staffNote: "Customer cancelled on WhatsApp") {
    job { id done } orderCancelUserErrors { code field message } } }"""
JOB = """query($id: ID!) { job(id: $id) { id done } }"""
REFUND = """mutation($input: RefundInput!) { refundCreate(input: $input) @idempotent(key: "KEY") {
  refund { id totalRefundedSet { shopMoney { amount } } refundLineItems(first: 5) { nodes { quantity restockType
    restocked location { id } lineItem { id } } } }
  order { displayFinancialStatus displayFulfillmentStatus lineItems(first: 5) { nodes { currentQuantity
    refundableQuantity } } }
  userErrors { field message } } }"""
TOPICS = (
    "ORDERS_CREATE",
    "ORDERS_UPDATED",
    "ORDERS_CANCELLED",
    "ORDERS_FULFILLED",
    "FULFILLMENTS_CREATE",
    "FULFILLMENT_ORDERS_MOVED",
    "FULFILLMENT_ORDERS_PLACED_ON_HOLD",
    "FULFILLMENT_ORDERS_HOLD_RELEASED",
    "FULFILLMENT_ORDERS_CANCELLED",
    "REFUNDS_CREATE",
    "INVENTORY_LEVELS_UPDATE",
)


def gql(sandbox: RunningSandbox, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
    answer = sandbox.graphql(query, variables)
    assert answer.status == 200, answer.body
    body = answer.json()
    assert "errors" not in body, body
    return body["data"]


def level(sandbox: RunningSandbox, variant_id: str, location_id: str) -> dict[str, int]:
    found = sandbox.control("GET", f"/shops/{SHOP}/inventory?variant_id={variant_id}&location_id={location_id}")
    lv = found["levels"][0]
    return {k: lv[k] for k in ("available", "committed", "on_hand")}


def stocked_twice(sandbox: RunningSandbox) -> tuple[str, str, str]:
    """A tracked variant stocked at two locations, 10 on hand at each (nothing committed), and the two locations."""
    state = sandbox.sandbox.shop(SHOP)
    variant = next(v for v in state.variants if v.tracked and v.sku)
    a, b = state.locations[0].gid, state.locations[1].gid
    for loc in (a, b):
        sandbox.control(
            "POST", f"/shops/{SHOP}/inventory", {"variant_id": variant.gid, "location_id": loc, "on_hand": 10}
        )
        assert level(sandbox, variant.gid, loc)["committed"] == 0
    return variant.gid, a, b


def place(sandbox: RunningSandbox, variant: str, location: str, quantity: int = 3, payment: str = "cod") -> dict:
    return sandbox.control(
        "POST",
        f"/shops/{SHOP}/orders",
        {"lines": [{"variant_id": variant, "quantity": quantity}], "location_id": location, "payment": payment},
    )


def fos(sandbox: RunningSandbox, order_id: str) -> dict[str, Any]:
    return gql(sandbox, FOS, {"id": order_id})["order"]


def actions(fo: dict[str, Any]) -> set[str]:
    return {a["action"] for a in fo["supportedActions"]}


def received(receiver: Receiver) -> list[tuple[str, dict[str, Any]]]:
    return [(c["headers"]["X-Shopify-Topic"], json.loads(c["body"])) for c in receiver.calls]


def test_cod_and_card_orders_commit_stock_with_their_gateways(shopify_sandbox: RunningSandbox) -> None:
    variant, a, _ = stocked_twice(shopify_sandbox)

    cod = place(shopify_sandbox, variant, a, 2, "cod")
    card = place(shopify_sandbox, variant, a, 1, "card")

    assert (cod["gateway"], cod["financial_status"]) == ("Cash on Delivery (COD)", "PENDING")
    assert (card["financial_status"], card["paid"]) == ("PAID", card["paid"]) and card["paid"] > 0
    assert level(shopify_sandbox, variant, a) == {"available": 7, "committed": 3, "on_hand": 10}
    order = fos(shopify_sandbox, cod["id"])
    assert order["paymentGatewayNames"] == ["Cash on Delivery (COD)"]
    assert order["displayFinancialStatus"] == "PENDING"
    assert fos(shopify_sandbox, card["id"])["displayFinancialStatus"] == "PAID"
    bad = http_post(shopify_sandbox, f"/shops/{SHOP}/orders", {"lines": [{"variant_id": variant}], "payment": "cash"})
    assert bad == 400


def http_post(sandbox: RunningSandbox, path: str, data: dict[str, Any]) -> int:
    from tests.sandbox.conftest import http

    return http("POST", f"{sandbox.url}/sandbox/control{path}", data).status


def test_move_whole_fulfillment_order_moves_committed_stock(make_shopify_sandbox, webhook_receiver) -> None:
    sandbox = make_shopify_sandbox()
    subscribe(sandbox, webhook_receiver.url, "FULFILLMENT_ORDERS_MOVED", "INVENTORY_LEVELS_UPDATE")
    variant, a, b = stocked_twice(sandbox)
    order = place(sandbox, variant, a, 3)
    fo = fos(sandbox, order["id"])["fulfillmentOrders"]["nodes"][0]
    assert actions(fo) >= {"CREATE_FULFILLMENT", "MOVE", "HOLD"}
    sandbox.sandbox.webhooks.wait_idle(5)
    webhook_receiver.calls.clear()

    result = gql(sandbox, MOVE, {"id": fo["id"], "to": b})["fulfillmentOrderMove"]

    assert result["userErrors"] == []
    assert result["movedFulfillmentOrder"]["id"] == fo["id"]  # nothing shipped yet: reassigned in place
    assert result["movedFulfillmentOrder"]["assignedLocation"]["location"]["id"] == b
    assert level(sandbox, variant, a) == {"available": 10, "committed": 0, "on_hand": 10}
    assert level(sandbox, variant, b) == {"available": 7, "committed": 3, "on_hand": 10}
    assert sandbox.sandbox.webhooks.wait_idle(5)
    hooks = received(webhook_receiver)
    moved = next(p for t, p in hooks if t == "fulfillment_orders/moved")
    assert moved["source_location"] == {"id": a} and moved["destination_location_id"] == b
    assert moved["original_fulfillment_order"]["id"] == fo["id"]
    updates = sorted(p["available"] for t, p in hooks if t == "inventory_levels/update")
    assert updates == [7, 10]


def test_partial_move_splits_and_bad_moves_are_refused(shopify_sandbox: RunningSandbox) -> None:
    variant, a, b = stocked_twice(shopify_sandbox)
    order = place(shopify_sandbox, variant, a, 3)
    fo = fos(shopify_sandbox, order["id"])["fulfillmentOrders"]["nodes"][0]
    item = fo["lineItems"]["nodes"][0]["id"]

    same = gql(shopify_sandbox, MOVE, {"id": fo["id"], "to": a})["fulfillmentOrderMove"]
    too_many = gql(shopify_sandbox, MOVE, {"id": fo["id"], "to": b, "items": [{"id": item, "quantity": 4}]})
    nowhere = gql(shopify_sandbox, MOVE, {"id": fo["id"], "to": "gid://shopify/Location/1"})["fulfillmentOrderMove"]
    part = gql(shopify_sandbox, MOVE, {"id": fo["id"], "to": b, "items": [{"id": item, "quantity": 1}]})

    assert same["userErrors"] and same["movedFulfillmentOrder"] is None
    assert too_many["fulfillmentOrderMove"]["userErrors"][0]["field"] == ["fulfillmentOrderLineItems", "0", "quantity"]
    assert nowhere["userErrors"][0]["field"] == ["newLocationId"]
    moved = part["fulfillmentOrderMove"]
    assert moved["userErrors"] == []
    assert moved["movedFulfillmentOrder"]["id"] != fo["id"]
    assert moved["originalFulfillmentOrder"]["status"] == "OPEN"
    assert level(shopify_sandbox, variant, a)["committed"] == 2
    assert level(shopify_sandbox, variant, b)["committed"] == 1
    nodes = fos(shopify_sandbox, order["id"])["fulfillmentOrders"]["nodes"]
    assert sorted(
        (n["assignedLocation"]["location"]["id"], n["lineItems"]["nodes"][0]["remainingQuantity"]) for n in nodes
    ) == sorted([(a, 2), (b, 1)])


def test_a_move_to_an_unstocked_location_is_refused(shopify_sandbox: RunningSandbox) -> None:
    state = shopify_sandbox.sandbox.shop(SHOP)
    variant, a, _ = stocked_twice(shopify_sandbox)
    v = state.lookup_gid(variant, "ProductVariant")
    other = next(loc for loc in state.locations[2:] if loc.is_active)
    state.stock.active[other.idx][v.idx] = 0
    order = place(shopify_sandbox, variant, a, 1)
    fo = fos(shopify_sandbox, order["id"])["fulfillmentOrders"]["nodes"][0]

    result = gql(shopify_sandbox, MOVE, {"id": fo["id"], "to": other.gid})["fulfillmentOrderMove"]

    assert "not stocked" in result["userErrors"][0]["message"]
    assert level(shopify_sandbox, variant, a)["committed"] == 1


def test_hold_blocks_fulfilment_and_moves_until_released(make_shopify_sandbox, webhook_receiver) -> None:
    sandbox = make_shopify_sandbox()
    subscribe(sandbox, webhook_receiver.url, "FULFILLMENT_ORDERS_PLACED_ON_HOLD", "FULFILLMENT_ORDERS_HOLD_RELEASED")
    variant, a, b = stocked_twice(sandbox)
    order = place(sandbox, variant, a, 2)
    fo_id = fos(sandbox, order["id"])["fulfillmentOrders"]["nodes"][0]["id"]
    hold = {"reason": "AWAITING_PAYMENT", "reasonNotes": "COD not confirmed by phone", "handle": "cod-confirm"}

    held = gql(sandbox, HOLD, {"id": fo_id, "hold": hold})["fulfillmentOrderHold"]
    twice = gql(sandbox, HOLD, {"id": fo_id, "hold": hold})["fulfillmentOrderHold"]
    ship = gql(sandbox, SHIP, {"f": {"lineItemsByFulfillmentOrder": [{"fulfillmentOrderId": fo_id}]}})
    move = gql(sandbox, MOVE, {"id": fo_id, "to": b})["fulfillmentOrderMove"]
    seen = fos(sandbox, order["id"])["fulfillmentOrders"]["nodes"][0]
    released = gql(sandbox, RELEASE, {"id": fo_id})["fulfillmentOrderReleaseHold"]
    again = gql(sandbox, RELEASE, {"id": fo_id})["fulfillmentOrderReleaseHold"]

    assert held["userErrors"] == [] and held["fulfillmentOrder"]["status"] == "ON_HOLD"
    assert held["fulfillmentHold"]["reason"] == "AWAITING_PAYMENT"
    assert {a["action"] for a in held["fulfillmentOrder"]["supportedActions"]} == {"RELEASE_HOLD", "HOLD"}
    assert twice["userErrors"][0]["code"] == "DUPLICATE_FULFILLMENT_HOLD_HANDLE"
    assert "on_hold" in ship["fulfillmentCreate"]["userErrors"][0]["message"]
    assert move["userErrors"] and level(sandbox, variant, b)["committed"] == 0
    assert seen["fulfillmentHolds"][0]["reasonNotes"] == "COD not confirmed by phone"
    assert seen["fulfillmentHolds"][0]["heldByRequestingApp"] is True
    assert released["userErrors"] == [] and released["fulfillmentOrder"]["status"] == "OPEN"
    assert "CREATE_FULFILLMENT" in {x["action"] for x in released["fulfillmentOrder"]["supportedActions"]}
    assert again["userErrors"]
    assert level(sandbox, variant, a) == {"available": 8, "committed": 2, "on_hand": 10}
    assert sandbox.sandbox.webhooks.wait_idle(5)
    hooks = received(webhook_receiver)
    assert [t for t, _ in hooks] == ["fulfillment_orders/placed_on_hold", "fulfillment_orders/hold_released"]
    assert hooks[0][1]["fulfillment_order"]["status"] == "on_hold"
    assert hooks[0][1]["fulfillment_hold"]["reason"] == "awaiting_payment"
    assert hooks[1][1]["fulfillment_order"] == {"id": fo_id, "status": "open", "assigned_location_id": a}


def test_holding_some_line_items_splits_the_fulfillment_order(shopify_sandbox: RunningSandbox) -> None:
    variant, a, _ = stocked_twice(shopify_sandbox)
    order = place(shopify_sandbox, variant, a, 3)
    fo = fos(shopify_sandbox, order["id"])["fulfillmentOrders"]["nodes"][0]
    item = fo["lineItems"]["nodes"][0]["id"]

    held = gql(
        shopify_sandbox,
        HOLD,
        {"id": fo["id"], "hold": {"reason": "OTHER", "fulfillmentOrderLineItems": [{"id": item, "quantity": 1}]}},
    )["fulfillmentOrderHold"]

    assert held["userErrors"] == []
    assert held["fulfillmentOrder"]["id"] != fo["id"] and held["fulfillmentOrder"]["status"] == "ON_HOLD"
    assert held["remainingFulfillmentOrder"] == {"id": fo["id"], "status": "OPEN"}
    assert level(shopify_sandbox, variant, a)["committed"] == 3


def test_order_cancel_releases_committed_stock_as_a_job(make_shopify_sandbox, webhook_receiver) -> None:
    sandbox = make_shopify_sandbox()
    subscribe(sandbox, webhook_receiver.url, *TOPICS)
    variant, a, _ = stocked_twice(sandbox)
    order = place(sandbox, variant, a, 3, "card")
    assert level(sandbox, variant, a) == {"available": 7, "committed": 3, "on_hand": 10}

    answer = gql(sandbox, CANCEL, {"id": order["id"], "restock": True})["orderCancel"]
    job = gql(sandbox, JOB, {"id": answer["job"]["id"]})["job"]
    again = gql(sandbox, CANCEL, {"id": order["id"], "restock": True})["orderCancel"]

    assert answer["orderCancelUserErrors"] == [] and answer["job"]["done"] is False
    assert job == {"id": answer["job"]["id"], "done": True}
    assert level(sandbox, variant, a) == {"available": 10, "committed": 0, "on_hand": 10}
    after = fos(sandbox, order["id"])
    assert after["cancelledAt"] and after["displayFinancialStatus"] == "REFUNDED" and after["fulfillable"] is False
    assert {fo["status"] for fo in after["fulfillmentOrders"]["nodes"]} == {"CLOSED"}
    assert after["fulfillmentOrders"]["nodes"][0]["supportedActions"] == []
    assert again["job"] is None and again["orderCancelUserErrors"][0]["field"] == ["orderId"]
    assert sandbox.sandbox.webhooks.wait_idle(5)
    topics = [t for t, _ in received(webhook_receiver)]
    for topic in ("fulfillment_orders/cancelled", "orders/cancelled", "refunds/create", "inventory_levels/update"):
        assert topic in topics
    cancelled = next(p for t, p in received(webhook_receiver) if t == "orders/cancelled")
    assert cancelled["cancel_reason"] == "customer" or cancelled["cancel_reason"] == "CUSTOMER"
    assert cancelled["financial_status"] == "refunded"


def test_cancel_without_restock_writes_the_units_off_and_cod_is_voided(shopify_sandbox: RunningSandbox) -> None:
    variant, a, _ = stocked_twice(shopify_sandbox)
    order = place(shopify_sandbox, variant, a, 2)

    gql(shopify_sandbox, CANCEL, {"id": order["id"], "restock": False})

    assert level(shopify_sandbox, variant, a) == {"available": 8, "committed": 0, "on_hand": 8}
    assert fos(shopify_sandbox, order["id"])["displayFinancialStatus"] == "VOIDED"


def test_a_shipped_order_cannot_be_cancelled(shopify_sandbox: RunningSandbox) -> None:
    variant, a, _ = stocked_twice(shopify_sandbox)
    order = place(shopify_sandbox, variant, a, 2)
    shopify_sandbox.control("POST", f"/shops/{SHOP}/orders/{order['id']}/fulfill", {"tracking_company": "TCS"})

    answer = gql(shopify_sandbox, CANCEL, {"id": order["id"], "restock": True})["orderCancel"]

    assert answer["job"] is None and "fulfillments" in answer["orderCancelUserErrors"][0]["message"]
    assert level(shopify_sandbox, variant, a) == {"available": 8, "committed": 0, "on_hand": 8}


def test_order_cancel_needs_write_orders(shopify_sandbox: RunningSandbox) -> None:
    variant, a, _ = stocked_twice(shopify_sandbox)
    order = place(shopify_sandbox, variant, a, 1)
    token = shopify_sandbox.control("POST", "/tokens", {"shop": SHOP, "scope": "read_orders"})["access_token"]

    answer = shopify_sandbox.graphql(CANCEL, {"id": order["id"], "restock": True}, token=token).json()

    assert answer["errors"][0]["extensions"]["code"] == "ACCESS_DENIED"
    assert level(shopify_sandbox, variant, a)["committed"] == 1


def test_refused_cod_parcel_is_restocked_where_it_comes_back(make_shopify_sandbox, webhook_receiver) -> None:
    sandbox = make_shopify_sandbox()
    subscribe(sandbox, webhook_receiver.url, "REFUNDS_CREATE", "ORDERS_UPDATED", "INVENTORY_LEVELS_UPDATE")
    variant, a, b = stocked_twice(sandbox)
    order = place(sandbox, variant, a, 2)
    line = order["line_items"][0]["id"]
    sandbox.control("POST", f"/shops/{SHOP}/orders/{order['id']}/fulfill", {"tracking_number": "TCS-1"})
    assert level(sandbox, variant, a) == {"available": 8, "committed": 0, "on_hand": 8}
    back = {"lineItemId": line, "quantity": 2, "restockType": "RETURN", "locationId": b}
    sandbox.sandbox.webhooks.wait_idle(5)
    webhook_receiver.calls.clear()

    no_key = sandbox.graphql(REFUND.replace(' @idempotent(key: "KEY")', ""), {"input": {"orderId": order["id"]}})
    too_many = gql(
        sandbox,
        REFUND.replace("KEY", "r-0"),
        {"input": {"orderId": order["id"], "refundLineItems": [{**back, "quantity": 3}]}},
    )["refundCreate"]
    money = gql(
        sandbox,
        REFUND.replace("KEY", "r-00"),
        {
            "input": {
                "orderId": order["id"],
                "transactions": [
                    {"amount": "10.00", "gateway": "Cash on Delivery (COD)", "kind": "REFUND", "orderId": order["id"]}
                ],
            }
        },
    )
    first = gql(sandbox, REFUND.replace("KEY", "r-1"), {"input": {"orderId": order["id"], "refundLineItems": [back]}})
    replay = gql(sandbox, REFUND.replace("KEY", "r-1"), {"input": {"orderId": order["id"], "refundLineItems": [back]}})
    twice = gql(sandbox, REFUND.replace("KEY", "r-2"), {"input": {"orderId": order["id"], "refundLineItems": [back]}})

    assert no_key.json()["errors"][0]["extensions"]["code"] == "IDEMPOTENCY_KEY_REQUIRED"
    assert too_many["userErrors"][0]["field"] == ["refundLineItems", "0", "quantity"]
    assert "exceeds" in money["refundCreate"]["userErrors"][0]["message"]  # nothing was paid on a COD order
    refund = first["refundCreate"]
    assert refund["userErrors"] == []
    assert refund["refund"]["refundLineItems"]["nodes"][0] == {
        "quantity": 2,
        "restockType": "RETURN",
        "restocked": True,
        "location": {"id": b},
        "lineItem": {"id": line},
    }
    assert refund["order"]["lineItems"]["nodes"][0] == {"currentQuantity": 0, "refundableQuantity": 0}
    assert replay["refundCreate"]["refund"]["id"] == refund["refund"]["id"]
    assert twice["refundCreate"]["userErrors"]
    assert level(sandbox, variant, a) == {"available": 8, "committed": 0, "on_hand": 8}
    assert level(sandbox, variant, b) == {"available": 12, "committed": 0, "on_hand": 12}
    assert sandbox.sandbox.webhooks.wait_idle(5)
    hooks = received(webhook_receiver)
    assert sorted(t for t, _ in hooks) == ["inventory_levels/update", "orders/updated", "refunds/create"]
    payload = next(p for t, p in hooks if t == "refunds/create")
    assert payload["refund_line_items"][0]["restock_type"] == "return"
    assert payload["refund_line_items"][0]["location_id"] == int(b.rsplit("/", 1)[1])


def test_refund_cancel_of_unshipped_units_releases_commitment(shopify_sandbox: RunningSandbox) -> None:
    variant, a, _ = stocked_twice(shopify_sandbox)
    order = place(shopify_sandbox, variant, a, 3, "card")
    line = order["line_items"][0]["id"]

    result = gql(
        shopify_sandbox,
        REFUND.replace("KEY", "c-1"),
        {
            "input": {
                "orderId": order["id"],
                "refundLineItems": [{"lineItemId": line, "quantity": 1, "restockType": "CANCEL", "locationId": a}],
                "transactions": [{"amount": "1.00", "gateway": "Safepay", "kind": "REFUND", "orderId": order["id"]}],
            }
        },
    )["refundCreate"]

    assert result["userErrors"] == []
    assert result["order"]["displayFinancialStatus"] == "PARTIALLY_REFUNDED"
    assert level(shopify_sandbox, variant, a) == {"available": 8, "committed": 2, "on_hand": 10}
    fo = fos(shopify_sandbox, order["id"])["fulfillmentOrders"]["nodes"][0]
    assert fo["lineItems"]["nodes"][0]["remainingQuantity"] == 2


def test_admin_actions_fulfil_move_mark_paid_and_refuse(make_shopify_sandbox, webhook_receiver) -> None:
    sandbox = make_shopify_sandbox()
    subscribe(sandbox, webhook_receiver.url, *TOPICS)
    variant, a, b = stocked_twice(sandbox)
    order = place(sandbox, variant, a, 2)
    fo_id = order["fulfillment_orders"][0]["id"]
    base = f"/shops/{SHOP}/orders/{order['id']}"

    moved = sandbox.control("POST", f"{base}/move", {"fulfillment_order_id": fo_id, "location_id": b})
    shipped = sandbox.control("POST", f"{base}/fulfill", {"tracking_company": "TCS", "tracking_number": "779"})
    paid = sandbox.control("POST", f"{base}/mark-paid")
    listed = sandbox.control("GET", base)

    assert moved["fulfillment_orders"][0]["location_id"] == b
    assert shipped["fulfillment_status"] == "FULFILLED" and shipped["fulfillments"][0]["location_id"] == b
    assert paid["financial_status"] == "PAID" and paid["closed"]
    assert listed["fulfillment_orders"][0]["status"] == "CLOSED"
    assert level(sandbox, variant, a) == {"available": 10, "committed": 0, "on_hand": 10}
    assert level(sandbox, variant, b) == {"available": 8, "committed": 0, "on_hand": 8}
    assert http_post(sandbox, f"{base}/cancel", {}) == 400

    refused = sandbox.control("POST", f"{base}/refuse", {"location_id": a})

    assert refused["financial_status"] == "REFUNDED" and refused["refunds"][0]["line_items"][0]["location_id"] == a
    assert level(sandbox, variant, a) == {"available": 12, "committed": 0, "on_hand": 12}
    assert sandbox.sandbox.webhooks.wait_idle(5)
    topics = [t for t, _ in received(webhook_receiver)]
    for topic in (
        "orders/create",
        "fulfillment_orders/moved",
        "fulfillments/create",
        "orders/fulfilled",
        "refunds/create",
        "orders/updated",
    ):
        assert topic in topics, topic


def test_nothing_is_sent_to_apps_that_did_not_subscribe(make_shopify_sandbox, webhook_receiver) -> None:
    sandbox = make_shopify_sandbox()
    subscribe(sandbox, webhook_receiver.url, "PRODUCTS_UPDATE")
    variant, a, _ = stocked_twice(sandbox)
    order = place(sandbox, variant, a, 1)
    sandbox.control("POST", f"/shops/{SHOP}/orders/{order['id']}/cancel", {})

    assert sandbox.sandbox.webhooks.wait_idle(5)
    assert webhook_receiver.calls == []


def test_a_keyed_move_retried_is_applied_once(shopify_sandbox: RunningSandbox) -> None:
    variant, a, b = stocked_twice(shopify_sandbox)
    order = place(shopify_sandbox, variant, a, 3)
    fo = fos(shopify_sandbox, order["id"])["fulfillmentOrders"]["nodes"][0]
    item = fo["lineItems"]["nodes"][0]["id"]
    keyed = MOVE.replace("newLocationId: $to,", "newLocationId: $to,").replace(
        "fulfillmentOrderMove(id: $id, newLocationId: $to, fulfillmentOrderLineItems: $items)",
        'fulfillmentOrderMove(id: $id, newLocationId: $to, fulfillmentOrderLineItems: $items) @idempotent(key: "mv-1")',
    )
    variables = {"id": fo["id"], "to": b, "items": [{"id": item, "quantity": 1}]}

    first = gql(shopify_sandbox, keyed, variables)["fulfillmentOrderMove"]
    retry = gql(shopify_sandbox, keyed, variables)["fulfillmentOrderMove"]
    other = gql(shopify_sandbox, keyed, {**variables, "items": [{"id": item, "quantity": 2}]})

    assert first["userErrors"] == [] and retry == first
    assert level(shopify_sandbox, variant, b)["committed"] == 1
    assert level(shopify_sandbox, variant, a)["committed"] == 2
    assert other["fulfillmentOrderMove"]["userErrors"][0]["message"].startswith("The same idempotency key")


def test_a_keyed_cancel_retried_answers_the_same_job(shopify_sandbox: RunningSandbox) -> None:
    variant, a, _ = stocked_twice(shopify_sandbox)
    order = place(shopify_sandbox, variant, a, 2)
    keyed = CANCEL.replace("staffNote:", "staffNote:").replace(
        'staffNote: "Customer cancelled on WhatsApp")',
        'staffNote: "Customer cancelled on WhatsApp") @idempotent(key: "c-1")',
    )

    first = gql(shopify_sandbox, keyed, {"id": order["id"], "restock": True})["orderCancel"]
    retry = gql(shopify_sandbox, keyed, {"id": order["id"], "restock": True})["orderCancel"]
    other = gql(shopify_sandbox, keyed, {"id": order["id"], "restock": False})["orderCancel"]

    assert first["orderCancelUserErrors"] == [] and retry == first
    assert other["job"] is None
    assert other["orderCancelUserErrors"] == [
        {
            "code": None,
            "field": None,
            "message": "The same idempotency key cannot be used with different operation parameters.",
        }
    ]
    assert level(shopify_sandbox, variant, a) == {"available": 10, "committed": 0, "on_hand": 10}
