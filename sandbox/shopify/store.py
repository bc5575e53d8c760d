"""The state of one sandbox shop: its records, its stock table, id allocation and lookups by id or GID."""

from __future__ import annotations

import re
from array import array
from dataclasses import dataclass, field
from typing import Any

from sandbox.shopify.models import Customer, LevelView, Location, Order, Product, Variant

ID_BASES: dict[str, int] = {
    "Shop": 70_100_000_000,
    "Location": 61_100_000_000,
    "InventoryLevel": 120_000_000_000,
    "Product": 7_100_000_000_000,
    "ProductOption": 9_100_000_000_000,
    "ProductVariant": 42_100_000_000_000,
    "InventoryItem": 44_100_000_000_000,
    "Customer": 6_900_000_000_000,
    "Order": 5_900_000_000_000,
    "LineItem": 13_900_000_000_000,
    "FulfillmentOrder": 6_800_000_000_000,
    "FulfillmentOrderLineItem": 14_800_000_000_000,
    "Fulfillment": 5_300_000_000_000,
    "FulfillmentLineItem": 11_300_000_000_000,
    "InventoryAdjustmentGroup": 30_100_000_000_000,
    "BulkOperation": 3_600_000_000_000,
    "FulfillmentHold": 2_700_000_000_000,
    "Refund": 8_900_000_000_000,
    "RefundLineItem": 9_800_000_000_000,
    "OrderTransaction": 7_400_000_000_000,
    "Job": 1_900_000_000_000,
    "WebhookSubscription": 1_400_000_000_000,
}
SHOP_SPAN = 1_000_000_000
LEVEL_SPAN = 10_000_000
UNAVAILABLE_STATES = ("reserved", "damaged", "safety_stock", "quality_control")
EXTRA_STATES = (*UNAVAILABLE_STATES, "incoming")
QUANTITY_NAMES = ("available", "on_hand", "committed", *EXTRA_STATES)
GID_RE = re.compile(r"^gid://shopify/(\w+)/(\d+)(?:\?.*)?$")


def parse_gid(value: Any) -> tuple[str, int] | None:
    """("ProductVariant", 42…) for a Shopify GID, None for anything else."""
    match = GID_RE.match(str(value or ""))
    return (match.group(1), int(match.group(2))) if match else None


class Stock:
    """Quantities per variant index × location index, in flat arrays so 100k variants stay small."""

    def __init__(self) -> None:
        self.on_hand: list[array] = []
        self.committed: list[array] = []
        self.updated_at: list[array] = []
        self.active: list[bytearray] = []
        self.extra: dict[tuple[int, int], dict[str, int]] = {}
        self.size = 0

    def add_location(self) -> int:
        self.on_hand.append(array("l", [0]) * self.size)
        self.committed.append(array("l", [0]) * self.size)
        self.updated_at.append(array("d", [0.0]) * self.size)
        self.active.append(bytearray(self.size))
        return len(self.on_hand) - 1

    def grow_to(self, size: int) -> None:
        """Room for variants up to index size-1 (not stocked anywhere yet)."""
        extra = size - self.size
        if extra <= 0:
            return
        for loc in range(len(self.on_hand)):
            self.on_hand[loc].extend(array("l", [0]) * extra)
            self.committed[loc].extend(array("l", [0]) * extra)
            self.updated_at[loc].extend(array("d", [0.0]) * extra)
            self.active[loc].extend(bytes(extra))
        self.size = size

    def is_active(self, v: int, loc: int) -> bool:
        return bool(self.active[loc][v])

    def unavailable(self, v: int, loc: int) -> int:
        extra = self.extra.get((loc, v))
        return sum(extra.get(name, 0) for name in UNAVAILABLE_STATES) if extra else 0

    def get(self, v: int, loc: int, name: str) -> int:
        if name == "on_hand":
            return self.on_hand[loc][v]
        if name == "committed":
            return self.committed[loc][v]
        if name == "available":
            return self.on_hand[loc][v] - self.committed[loc][v] - self.unavailable(v, loc)
        extra = self.extra.get((loc, v))
        return extra.get(name, 0) if extra else 0

    def change(self, v: int, loc: int, name: str, delta: int, now: float) -> None:
        """Apply a delta the way Shopify's states relate: on_hand = available + committed + unavailable."""
        if name in ("available", "on_hand"):
            self.on_hand[loc][v] += delta
        elif name == "committed":
            self.committed[loc][v] += delta
        else:
            extra = self.extra.setdefault((loc, v), {})
            extra[name] = extra.get(name, 0) + delta
            if name != "incoming":
                self.on_hand[loc][v] += delta
        self.updated_at[loc][v] = now


@dataclass(eq=False)
class ShopState:
    """Everything one shop holds. Callers hold the sandbox lock while reading or changing it."""

    domain: str
    name: str
    ordinal: int
    created_at: float
    email: str
    kind: str = "apparel"
    locations: list[Location] = field(default_factory=list)
    products: list[Product] = field(default_factory=list)
    variants: list[Variant] = field(default_factory=list)
    customers: list[Customer] = field(default_factory=list)
    orders: list[Order] = field(default_factory=list)
    stock: Stock = field(default_factory=Stock)
    counters: dict[str, int] = field(default_factory=dict)
    revision: int = 0
    index: dict[str, dict[int, Any]] = field(default_factory=dict)
    cache: dict[str, Any] = field(default_factory=dict)

    @property
    def id(self) -> int:
        return ID_BASES["Shop"] + self.ordinal

    def base(self, kind: str) -> int:
        return ID_BASES[kind] + self.ordinal * SHOP_SPAN

    def next_id(self, kind: str) -> int:
        self.counters[kind] = self.counters.get(kind, 0) + 1
        return self.base(kind) + self.counters[kind]

    def remember(self, obj: Any) -> Any:
        """Index a record by its numeric id so `lookup` finds it."""
        self.index.setdefault(obj.typename, {})[obj.id] = obj
        return obj

    def touch(self) -> None:
        self.revision += 1

    def level_id(self, variant: Variant, location: Location) -> int:
        return self.base("InventoryLevel") + location.idx * LEVEL_SPAN + variant.idx

    def level(self, variant: Variant, location: Location) -> LevelView:
        return LevelView(variant, location, self.level_id(variant, location))

    def variant(self, number: int) -> Variant | None:
        idx = number - self.base("ProductVariant") - 1
        if 0 <= idx < len(self.variants) and not self.variants[idx].deleted:
            return self.variants[idx]
        return None

    def item(self, number: int) -> Variant | None:
        idx = number - self.base("InventoryItem") - 1
        if 0 <= idx < len(self.variants) and not self.variants[idx].deleted:
            return self.variants[idx]
        return None

    def location(self, number: int) -> Location | None:
        idx = number - self.base("Location") - 1
        if 0 <= idx < len(self.locations) and not self.locations[idx].deleted:
            return self.locations[idx]
        return None

    def lookup(self, kind: str, number: int) -> Any:
        """The live record of a GID's type and number, or None."""
        if kind == "ProductVariant":
            return self.variant(number)
        if kind == "InventoryItem":
            return self.item(number)
        if kind == "Location":
            return self.location(number)
        if kind == "InventoryLevel":
            loc_idx, v_idx = divmod(number - self.base("InventoryLevel"), LEVEL_SPAN)
            if 0 <= loc_idx < len(self.locations) and 0 <= v_idx < len(self.variants):
                return self.level(self.variants[v_idx], self.locations[loc_idx])
            return None
        obj = self.index.get(kind, {}).get(number)
        return None if obj is None or getattr(obj, "deleted", False) else obj

    def lookup_gid(self, value: Any, kind: str | None = None) -> Any:
        parsed = parse_gid(value)
        if parsed is None or (kind is not None and parsed[0] != kind):
            return None
        return self.lookup(*parsed)

    def add_location(self, **fields: Any) -> Location:
        idx = self.stock.add_location()
        location = Location(id=self.base("Location") + idx + 1, idx=idx, **fields)
        self.counters["Location"] = idx + 1
        self.locations.append(location)
        self.touch()
        return location

    def add_variant(self, product: Product, *, grow: bool = True, **fields: Any) -> Variant:
        """A new variant with its inventory item; `grow=False` leaves the stock table to the caller (seeding)."""
        idx = len(self.variants)
        variant = Variant(
            idx=idx,
            id=self.base("ProductVariant") + idx + 1,
            item_id=self.base("InventoryItem") + idx + 1,
            product=product,
            **fields,
        )
        self.variants.append(variant)
        product.variants.append(variant)
        if grow:
            self.stock.grow_to(idx + 1)
            self.touch()
        return variant

    def order_records(self, order: Order) -> None:
        """Index an order and everything under it."""
        self.remember(order)
        for li in order.line_items:
            self.remember(li)
        for fo in order.fulfillment_orders:
            self.remember(fo)
            for foli in fo.line_items:
                self.remember(foli)
        for f in order.fulfillments:
            self.remember(f)
        for refund in order.refunds:
            self.remember(refund)

    def live_locations(self) -> list[Location]:
        return [loc for loc in self.locations if not loc.deleted]
