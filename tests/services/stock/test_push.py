"""Building a count's request: Shopify's on_hand now, read off its inventory levels for the counted pairs."""

from __future__ import annotations

from ismartsync.services.stock.push import PairKey, on_hand_of

COUNTED = PairKey(1, 2, "gid://shopify/InventoryItem/1", "gid://shopify/Location/9")
ELSEWHERE = PairKey(1, 3, "gid://shopify/InventoryItem/1", "gid://shopify/Location/8")


def _level(item: str, location: str, **quantities: int) -> dict:
    return {
        "item": {"id": item},
        "location": {"id": location},
        "quantities": [{"name": name, "quantity": quantity} for name, quantity in quantities.items()],
    }


def test_the_on_hand_of_each_counted_pair_is_read_from_its_level():
    levels = [
        _level(COUNTED.inventory_item_id, COUNTED.location_id, available=3, on_hand=5),
        _level(COUNTED.inventory_item_id, "gid://shopify/Location/7", on_hand=40),  # not counted here
    ]

    assert on_hand_of(levels, {COUNTED: 8, ELSEWHERE: 1}) == {COUNTED: 5}


def test_a_level_without_on_hand_gives_nothing():
    assert on_hand_of([_level(COUNTED.inventory_item_id, COUNTED.location_id, available=3)], {COUNTED: 8}) == {}
