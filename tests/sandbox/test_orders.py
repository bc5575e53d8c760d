"""Online orders commit stock at their assigned location; fulfillmentCreate ships it."""

from __future__ import annotations

import re

from tests.sandbox.conftest import SHOP, RunningSandbox, http

FULFILLMENT_ORDERS = """query($id: ID!) { order(id: $id) { name displayFulfillmentStatus
  fulfillmentOrders(first: 5) { nodes { id status assignedLocation { name location { id } }
    supportedActions { action } lineItems(first: 10) { nodes { id totalQuantity remainingQuantity
      lineItem { sku } } } } } } }"""
SHIP = """mutation($f: FulfillmentInput!) { fulfillmentCreate(fulfillment: $f, message: "Dispatched") {
  fulfillment { id status name trackingInfo { company number } } userErrors { field message } } }"""


def level(sandbox: RunningSandbox, variant_id: str, location_id: str) -> dict:
    path = f"/shops/{SHOP}/inventory?variant_id={variant_id}&location_id={location_id}"
    return sandbox.control("GET", path)["levels"][0]


def test_online_order_commits_stock_and_fulfillment_ships_it(shopify_sandbox: RunningSandbox) -> None:
    state = shopify_sandbox.sandbox.shop(SHOP)
    variant = next(v for v in state.variants if v.tracked and state.stock.get(v.idx, 0, "available") >= 3)
    before = level(shopify_sandbox, variant.gid, state.locations[0].gid)
    order = shopify_sandbox.control(
        "POST",
        f"/shops/{SHOP}/orders",
        {"lines": [{"variant_id": variant.gid, "quantity": 2}], "location_id": state.locations[0].gid},
    )
    committed = level(shopify_sandbox, variant.gid, state.locations[0].gid)

    data = shopify_sandbox.graphql(FULFILLMENT_ORDERS, {"id": order["id"]}).json()["data"]["order"]
    fo = data["fulfillmentOrders"]["nodes"][0]
    line = fo["lineItems"]["nodes"][0]
    shipped = shopify_sandbox.graphql(
        SHIP,
        {
            "f": {
                "trackingInfo": {"company": "TCS", "number": "TCS123"},
                "lineItemsByFulfillmentOrder": [
                    {"fulfillmentOrderId": fo["id"], "fulfillmentOrderLineItems": [{"id": line["id"], "quantity": 2}]}
                ],
            }
        },
    )

    assert (committed["available"], committed["committed"]) == (before["available"] - 2, before["committed"] + 2)
    assert data["displayFulfillmentStatus"] == "UNFULFILLED"
    assert fo["assignedLocation"]["location"]["id"] == state.locations[0].gid
    assert {"action": "CREATE_FULFILLMENT"} in fo["supportedActions"]
    assert line["remainingQuantity"] == 2
    result = shipped.json()["data"]["fulfillmentCreate"]
    assert result["userErrors"] == []
    assert result["fulfillment"]["trackingInfo"] == [{"company": "TCS", "number": "TCS123"}]
    after = level(shopify_sandbox, variant.gid, state.locations[0].gid)
    assert (after["on_hand"], after["committed"]) == (before["on_hand"] - 2, before["committed"])
    again = shopify_sandbox.graphql(SHIP, {"f": {"lineItemsByFulfillmentOrder": [{"fulfillmentOrderId": fo["id"]}]}})
    assert "unfulfillable status" in again.json()["data"]["fulfillmentCreate"]["userErrors"][0]["message"]


def test_orders_query_by_updated_at(shopify_sandbox: RunningSandbox) -> None:
    query = """{ orders(first: 50, sortKey: UPDATED_AT, query: "updated_at:>='2026-01-01T00:00:00Z'") {
      nodes { name displayFinancialStatus displayFulfillmentStatus currentTotalPriceSet { shopMoney { amount
      currencyCode } } lineItems(first: 5) { nodes { sku quantity variant { id } } } } } }"""

    orders = shopify_sandbox.graphql(query).json()["data"]["orders"]["nodes"]

    assert [o["name"] for o in orders][:2] == ["#1001", "#1002"]
    assert {o["displayFulfillmentStatus"] for o in orders} >= {"FULFILLED", "PARTIALLY_FULFILLED", "UNFULFILLED"}
    assert orders[0]["currentTotalPriceSet"]["shopMoney"]["currencyCode"] == "PKR"


def test_demo_page_changes_stock_and_places_orders(shopify_sandbox: RunningSandbox) -> None:
    state = shopify_sandbox.sandbox.shop(SHOP)
    variant = next(v for v in state.variants if v.tracked and v.sku)
    page = http("GET", f"{shopify_sandbox.url}/sandbox/shops/{SHOP}?q={variant.sku}")
    assert page.status == 200 and variant.sku in page.body.decode()
    assert re.search(r'<form method="post" action="/sandbox/shops/[^"]+/stock"', page.body.decode())

    stock = http(
        "POST",
        f"{shopify_sandbox.url}/sandbox/shops/{SHOP}/stock",
        {"variant_id": variant.id, "location_id": state.locations[1].id, "available": 17},
        form=True,
    )
    order = http(
        "POST", f"{shopify_sandbox.url}/sandbox/shops/{SHOP}/orders", {"variant": variant.sku, "quantity": 1}, form=True
    )

    assert stock.status == order.status == 303
    assert state.stock.get(variant.idx, state.locations[1].idx, "available") == 17
    assert state.orders[-1].line_items[0].variant is variant
    assert "Zari Demo" in http("GET", f"{shopify_sandbox.url}/sandbox/").body.decode()


def test_demo_page_uninstalls_an_app(shopify_sandbox: RunningSandbox) -> None:
    page = http("GET", f"{shopify_sandbox.url}/sandbox/").body.decode()
    assert "Uninstall" in page

    custom = shopify_sandbox.sandbox.custom_apps[SHOP]["client_id"]  # TOKEN is the shop's custom app's
    answer = http("POST", f"{shopify_sandbox.url}/sandbox/shops/{SHOP}/uninstall", {"client_id": custom}, form=True)

    assert answer.status == 303
    assert shopify_sandbox.graphql("{ shop { name } }").status == 401


def test_shop_page_shows_the_custom_apps_secret_and_reveals_a_token_once(shopify_sandbox: RunningSandbox) -> None:
    secret = shopify_sandbox.custom_app_secret()
    page = http("GET", f"{shopify_sandbox.url}/sandbox/shops/{SHOP}").body.decode()

    answer = http("POST", f"{shopify_sandbox.url}/sandbox/shops/{SHOP}/custom-app/token", {}, form=True)

    assert f'<code id="custom-app-secret">{secret}</code>' in page and secret.startswith("shpss_")
    token = answer.body.decode().split('<code id="custom-app-token">')[1].split("<")[0]
    assert shopify_sandbox.graphql("{ shop { name } }", token=token).status == 200
