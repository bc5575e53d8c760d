"""Shopify's answer to a push batch read into figures per (item, location): what the pipeline compares with ours."""

from __future__ import annotations

from ismartsync.services.stock.inbound import Quantities
from ismartsync.services.stock.push_answers import figures_after

ITEM, OTHER, HERE = "gid://shopify/InventoryItem/1", "gid://shopify/InventoryItem/2", "gid://shopify/Location/9"


def _change(item: str, name: str, after: int | None) -> dict:
    return {"item": {"id": item}, "location": {"id": HERE}, "name": name, "quantityAfterChange": after}


def test_each_pair_gets_shopifys_on_hand_and_available_after_the_batch():
    group = {"changes": [_change(ITEM, "available", 4), _change(ITEM, "on_hand", 6), _change(OTHER, "on_hand", 0)]}

    assert figures_after(group) == {(ITEM, HERE): Quantities(6, 4), (OTHER, HERE): Quantities(0, None)}


def test_a_pair_without_on_hand_after_the_change_is_left_out():
    group = {"changes": [_change(ITEM, "available", 4), _change(OTHER, "on_hand", None)]}

    assert figures_after(group) == {}
    assert figures_after({}) == {}
