"""Reading levels out of Shopify however many locations stock an item (the sandbox's 30-store shop)."""

from __future__ import annotations

from ismartsync.shopify import importer
from tests.sandbox_fixtures import CHAIN_SHOP, RunningSandbox, requests_log


def test_an_items_levels_are_read_at_every_one_of_30_locations(shopify_sandbox: RunningSandbox, make_client) -> None:
    token = shopify_sandbox.control("POST", "/tokens", {"shop": CHAIN_SHOP})["access_token"]
    client = make_client(shopify_sandbox, token=token, shop=CHAIN_SHOP)
    state = shopify_sandbox.sandbox.shop(CHAIN_SHOP)
    variants = [v for v in state.variants if v.tracked][:3]
    stocked = {
        (v.item_gid, loc.gid): state.stock.get(v.idx, loc.idx, "on_hand")
        for v in variants
        for loc in state.locations
        if state.stock.is_active(v.idx, loc.idx)
    }

    levels = list(importer.on_hand_levels(client, [v.item_gid for v in variants]))

    read = {
        (lv["item"]["id"], lv["location"]["id"]): {q["name"]: q["quantity"] for q in lv["quantities"]}["on_hand"]
        for lv in levels
    }
    assert read == stocked and len(read) > 3 * 10
    names = [r["operation_name"] for r in requests_log(shopify_sandbox, CHAIN_SHOP)]
    assert names[0] == "VariantInventoryLevels" and names.count("InventoryItemLevels") >= 3


def test_locations_are_read_page_by_page_to_the_30th(shopify_sandbox: RunningSandbox, make_client) -> None:
    token = shopify_sandbox.control("POST", "/tokens", {"shop": CHAIN_SHOP})["access_token"]
    client = make_client(shopify_sandbox, token=token, shop=CHAIN_SHOP)

    locations = importer.fetch_locations(client)

    assert len(locations) == 30 and locations[-1]["name"].startswith("Store 30")
