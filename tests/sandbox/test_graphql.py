"""The sandbox answers GraphQL like Shopify: real schema, seeded data, cursors, search, tokens and versions."""

from __future__ import annotations

from tests.sandbox.conftest import OTHER_SHOP, RunningSandbox
from tests.sandbox_fixtures import CHAIN_SHOP

VARIANTS = """
query Variants($after: String, $q: String) {
  productVariants(first: 100, after: $after, query: $q) {
    pageInfo { hasNextPage endCursor }
    nodes { id legacyResourceId sku barcode price updatedAt product { status } }
  }
}"""


def test_products_query_returns_seeded_catalog_with_shopify_shapes(shopify_sandbox: RunningSandbox) -> None:
    query = """{
      shop { name myshopifyDomain currencyCode ianaTimezone }
      products(first: 3) { edges { cursor node { id title vendor productType status handle
        variants(first: 5) { nodes { id title sku barcode price compareAtPrice selectedOptions { name value }
          inventoryItem { id tracked sku inventoryLevels(first: 3) { nodes { location { id name }
            quantities(names: ["available", "on_hand", "committed"]) { name quantity } } } } } } } } }
    }"""
    response = shopify_sandbox.graphql(query)

    assert response.status == 200
    assert response.headers["X-Shopify-API-Version"] == "2026-07"
    body = response.json()
    assert "errors" not in body
    assert body["data"]["shop"] == {
        "name": "Zari Demo",
        "myshopifyDomain": "zari-demo.myshopify.com",
        "currencyCode": "PKR",
        "ianaTimezone": "Asia/Karachi",
    }
    product = body["data"]["products"]["edges"][0]["node"]
    assert product["id"].startswith("gid://shopify/Product/")
    variant = product["variants"]["nodes"][0]
    assert variant["id"].startswith("gid://shopify/ProductVariant/")
    assert variant["price"].endswith(".00") and float(variant["price"]) >= 1490
    assert {o["name"] for o in variant["selectedOptions"]} <= {"Size", "Colour"}
    level = variant["inventoryItem"]["inventoryLevels"]["nodes"][0]
    assert [q["name"] for q in level["quantities"]] == ["available", "on_hand", "committed"]
    assert level["location"]["id"].startswith("gid://shopify/Location/")
    cost = body["extensions"]["cost"]
    assert cost["requestedQueryCost"] >= cost["actualQueryCost"] > 0
    assert cost["throttleStatus"]["maximumAvailable"] == 2000.0


def test_variants_page_through_the_whole_catalog_with_cursors(shopify_sandbox: RunningSandbox) -> None:
    ids, after, pages = [], None, 0
    while True:
        page = shopify_sandbox.graphql(VARIANTS, {"after": after}).json()["data"]["productVariants"]
        ids += [n["id"] for n in page["nodes"]]
        pages += 1
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]

    assert pages == 3
    assert len(ids) == len(set(ids)) == 300


def test_search_filters_by_updated_at_and_status(shopify_sandbox: RunningSandbox) -> None:
    everything = shopify_sandbox.graphql(VARIANTS).json()["data"]["productVariants"]["nodes"]
    cutoff = sorted(n["updatedAt"] for n in everything)[50]

    recent = shopify_sandbox.graphql(VARIANTS, {"q": f"updated_at:>'{cutoff}'"}).json()["data"]["productVariants"]
    drafts = shopify_sandbox.graphql(VARIANTS, {"q": "status:draft"}).json()["data"]["productVariants"]["nodes"]

    assert recent["nodes"] and all(n["updatedAt"] > cutoff for n in recent["nodes"])
    assert all(n["product"]["status"] == "DRAFT" for n in drafts)


def test_seed_has_the_awkward_cases_an_importer_must_handle(shopify_sandbox: RunningSandbox) -> None:
    query = """{ productVariants(first: 250) { nodes { sku barcode inventoryItem { tracked } } }
      customers(first: 100) { nodes { firstName lastName defaultEmailAddress { emailAddress }
        defaultPhoneNumber { phoneNumber } } } }"""
    data = shopify_sandbox.graphql(query).json()["data"]
    variants, customers = data["productVariants"]["nodes"], data["customers"]["nodes"]

    assert any(v["barcode"] is None for v in variants)
    assert any(not v["inventoryItem"]["tracked"] for v in variants)
    assert any(v["sku"] == "" for v in variants)
    assert any(c["defaultEmailAddress"] is None for c in customers)
    assert any(c["defaultPhoneNumber"] is None for c in customers)
    phones = [c["defaultPhoneNumber"]["phoneNumber"] for c in customers if c["defaultPhoneNumber"]]
    assert all(p.startswith("+923") for p in phones)


def test_invalid_document_is_rejected_by_schema_validation(shopify_sandbox: RunningSandbox) -> None:
    body = shopify_sandbox.graphql("{ productVariants(first: 1) { nodes { colour } } }").json()

    assert "data" not in body
    assert "colour" in body["errors"][0]["message"]


def test_connection_without_first_or_last_is_refused(shopify_sandbox: RunningSandbox) -> None:
    body = shopify_sandbox.graphql("{ locations { nodes { id } } }").json()

    assert body["errors"][0]["message"] == "you must provide one of first or last"


def test_unknown_token_gets_401(shopify_sandbox: RunningSandbox) -> None:
    response = shopify_sandbox.graphql("{ shop { name } }", token="shpat_nope")

    assert response.status == 401
    assert "Invalid API key or access token" in response.json()["errors"]


def test_token_for_one_shop_does_not_open_another(shopify_sandbox: RunningSandbox) -> None:
    assert shopify_sandbox.graphql("{ shop { name } }", shop=OTHER_SHOP).status == 401


def test_old_version_falls_forward_to_the_oldest_supported(shopify_sandbox: RunningSandbox) -> None:
    response = shopify_sandbox.graphql("{ publicApiVersions { handle supported } }", version="2024-01")

    assert response.headers["X-Shopify-API-Version"] == "2026-01"
    handles = [v["handle"] for v in response.json()["data"]["publicApiVersions"] if v["supported"]]
    assert "2026-07" in handles


def test_missing_scope_is_access_denied(make_shopify_sandbox) -> None:
    sandbox = make_shopify_sandbox(
        tokens=[
            {
                "token": "shpat_narrow",
                "shop": "zari-demo.myshopify.com",
                "client_id": "ismartsync-demo",
                "scope": "read_products",
            }
        ]
    )
    body = sandbox.graphql("{ locations(first: 5) { nodes { id } } }", token="shpat_narrow").json()

    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "ACCESS_DENIED"
    assert "read_locations" in body["errors"][0]["message"]


def test_node_lookup_and_unsupported_fields_resolve_to_empty_values(shopify_sandbox: RunningSandbox) -> None:
    first = shopify_sandbox.graphql("{ productVariants(first: 1) { nodes { id inventoryItem { id } } } }").json()
    variant = first["data"]["productVariants"]["nodes"][0]
    query = """query($ids: [ID!]!) { nodes(ids: $ids) { __typename id
      ... on ProductVariant { sku metafields(first: 3) { nodes { id } } }
      ... on InventoryItem { tracked } } }"""
    body = shopify_sandbox.graphql(query, {"ids": [variant["id"], variant["inventoryItem"]["id"]]}).json()

    assert "errors" not in body
    nodes = body["data"]["nodes"]
    assert [n["__typename"] for n in nodes] == ["ProductVariant", "InventoryItem"]
    assert nodes[0]["metafields"] == {"nodes": []}


def test_the_chain_shop_has_30_stores_and_an_items_levels_page(shopify_sandbox: RunningSandbox) -> None:
    """Sitara Stores: 30 active stores, so an item stocked everywhere needs a second page of 10 levels."""
    query = """{ inventoryItems(first: 40) { nodes { id
      inventoryLevels(first: 10) { pageInfo { hasNextPage endCursor } nodes { location { id } } } } } }"""
    shop = next(s for s in shopify_sandbox.control("GET", "/state")["shops"] if s["domain"] == CHAIN_SHOP)
    token = shopify_sandbox.control("POST", "/tokens", {"shop": CHAIN_SHOP})["access_token"]

    items = shopify_sandbox.graphql(query, token=token, shop=CHAIN_SHOP).json()["data"]["inventoryItems"]["nodes"]

    assert len(shop["locations"]) == 30 and all(loc["active"] for loc in shop["locations"])
    assert shop["locations"][29]["name"].startswith("Store 30")
    paged = [i for i in items if i["inventoryLevels"]["pageInfo"]["hasNextPage"]]
    assert paged and all(len(i["inventoryLevels"]["nodes"]) == 10 for i in paged)
