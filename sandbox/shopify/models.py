"""The records a sandbox shop holds, as slotted dataclasses: locations, products, variants (each with its inventory
item), customers, orders with fulfillment orders and fulfillments, inventory adjustment groups."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, ClassVar

SHOP_TZ = timezone(timedelta(hours=5), "PKT")


def gid(kind: str, number: int) -> str:
    return f"gid://shopify/{kind}/{number}"


def iso(ts: float | None) -> str | None:
    """GraphQL DateTime: UTC with a Z, to the second, as Shopify answers."""
    return None if ts is None else _iso(int(ts))


@functools.lru_cache(maxsize=65_536)
def _iso(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def rest_time(ts: float | None) -> str | None:
    """REST/webhook timestamps are in the shop's time zone with an offset."""
    if ts is None:
        return None
    return datetime.fromtimestamp(int(ts), SHOP_TZ).isoformat()


def money(minor: int | None) -> str | None:
    """Paisa to Shopify's decimal string ("2990.0" style is REST; GraphQL Money is "2990.00")."""
    if minor is None:
        return None
    sign = "-" if minor < 0 else ""
    minor = abs(minor)
    return f"{sign}{minor // 100}.{minor % 100:02d}"


@dataclass(slots=True, eq=False)
class Location:
    typename: ClassVar[str] = "Location"
    id: int
    idx: int
    name: str
    address1: str
    city: str
    province: str
    province_code: str
    zip: str
    phone: str | None
    is_active: bool
    fulfills_online_orders: bool
    created_at: float
    updated_at: float
    deleted: bool = False

    @property
    def gid(self) -> str:
        return gid("Location", self.id)


@dataclass(slots=True, eq=False)
class Product:
    typename: ClassVar[str] = "Product"
    id: int
    title: str
    handle: str
    vendor: str
    product_type: str
    status: str
    tags: tuple[str, ...]
    options: list[tuple[str, list[str]]]
    description: str
    created_at: float
    updated_at: float
    published_at: float | None
    variants: list[Variant] = field(default_factory=list)
    deleted: bool = False

    @property
    def gid(self) -> str:
        return gid("Product", self.id)

    def live_variants(self) -> list[Variant]:
        return [v for v in self.variants if not v.deleted]


@dataclass(slots=True, eq=False)
class Variant:
    """A product variant and its inventory item (one each in Shopify), kept together to save memory."""

    typename: ClassVar[str] = "ProductVariant"
    idx: int
    id: int
    item_id: int
    product: Product
    title: str
    sku: str | None
    barcode: str | None
    price: int
    compare_at: int | None
    options: tuple[str, ...]
    position: int
    created_at: float
    updated_at: float
    tracked: bool
    requires_shipping: bool
    unit_cost: int | None
    item_updated_at: float
    inventory_policy: str = "DENY"
    grams: int = 500
    deleted: bool = False

    @property
    def gid(self) -> str:
        return gid("ProductVariant", self.id)

    @property
    def item_gid(self) -> str:
        return gid("InventoryItem", self.item_id)


@dataclass(slots=True, eq=False)
class ItemView:
    """The inventory item of a variant, as GraphQL sees it."""

    typename: ClassVar[str] = "InventoryItem"
    variant: Variant


@dataclass(slots=True, eq=False)
class LevelView:
    """One inventory item at one location."""

    typename: ClassVar[str] = "InventoryLevel"
    variant: Variant
    location: Location
    level_id: int

    @property
    def gid(self) -> str:
        return f"gid://shopify/InventoryLevel/{self.level_id}?inventory_item_id={self.variant.item_id}"


@dataclass(slots=True, eq=False)
class Customer:
    typename: ClassVar[str] = "Customer"
    id: int
    first_name: str | None
    last_name: str | None
    email: str | None
    phone: str | None
    address1: str | None
    city: str | None
    province: str | None
    province_code: str | None
    zip: str | None
    tags: tuple[str, ...]
    note: str | None
    created_at: float
    updated_at: float
    orders_count: int = 0
    amount_spent: int = 0
    verified_email: bool = True
    deleted: bool = False

    @property
    def gid(self) -> str:
        return gid("Customer", self.id)


@dataclass(slots=True, eq=False)
class LineItem:
    typename: ClassVar[str] = "LineItem"
    id: int
    order: Order
    variant: Variant | None
    title: str
    variant_title: str | None
    sku: str | None
    vendor: str | None
    quantity: int
    price: int
    fulfilled: int = 0
    requires_shipping: bool = True
    refunded_unfulfilled: int = 0  # refunded with restockType CANCEL or before shipping: no longer to be shipped
    refunded_fulfilled: int = 0  # refunded after shipping (RETURN or NO_RESTOCK of shipped units)

    @property
    def refunded(self) -> int:
        return self.refunded_unfulfilled + self.refunded_fulfilled

    @property
    def current_quantity(self) -> int:
        return 0 if self.order.cancelled_at else self.quantity - self.refunded

    @property
    def gid(self) -> str:
        return gid("LineItem", self.id)


@dataclass(slots=True, eq=False)
class FulfillmentOrderLineItem:
    typename: ClassVar[str] = "FulfillmentOrderLineItem"
    id: int
    fulfillment_order: FulfillmentOrder
    line_item: LineItem
    total_quantity: int
    remaining_quantity: int

    @property
    def gid(self) -> str:
        return gid("FulfillmentOrderLineItem", self.id)


@dataclass(slots=True, eq=False)
class FulfillmentHold:
    typename: ClassVar[str] = "FulfillmentHold"
    id: int
    reason: str
    reason_notes: str | None
    handle: str
    client_id: str | None  # the app that placed it; None when placed in the Shopify admin
    external_id: str | None = None

    @property
    def gid(self) -> str:
        return gid("FulfillmentHold", self.id)


@dataclass(slots=True, eq=False)
class FulfillmentOrder:
    typename: ClassVar[str] = "FulfillmentOrder"
    id: int
    order: Order
    location: Location
    status: str
    created_at: float
    updated_at: float
    line_items: list[FulfillmentOrderLineItem] = field(default_factory=list)
    holds: list[FulfillmentHold] = field(default_factory=list)

    def settled_status(self) -> str:
        """What the status is without holds: CLOSED when nothing is left, IN_PROGRESS once some of it shipped."""
        if all(i.remaining_quantity == 0 for i in self.line_items):
            return "CLOSED"
        shipped = any(i.total_quantity > i.remaining_quantity for i in self.line_items)
        return "IN_PROGRESS" if shipped else "OPEN"

    @property
    def gid(self) -> str:
        return gid("FulfillmentOrder", self.id)


@dataclass(slots=True, eq=False)
class FulfillmentLineItem:
    typename: ClassVar[str] = "FulfillmentLineItem"
    id: int
    line_item: LineItem
    quantity: int


@dataclass(slots=True, eq=False)
class Fulfillment:
    typename: ClassVar[str] = "Fulfillment"
    id: int
    order: Order
    location: Location
    name: str
    status: str
    created_at: float
    updated_at: float
    tracking: list[dict[str, Any]]
    line_items: list[FulfillmentLineItem]
    fulfillment_orders: list[FulfillmentOrder]

    @property
    def gid(self) -> str:
        return gid("Fulfillment", self.id)


@dataclass(slots=True, eq=False)
class Order:
    typename: ClassVar[str] = "Order"
    id: int
    number: int
    customer: Customer | None
    email: str | None
    phone: str | None
    created_at: float
    updated_at: float
    financial_status: str
    source_name: str
    gateway: str
    shipping_address: dict[str, Any] | None
    paid: int = 0  # captured, in paisa (the whole total for a card order, nothing for COD until marked paid)
    note: str | None = None
    tags: tuple[str, ...] = ()
    cancelled_at: float | None = None
    cancel_reason: str | None = None
    closed_at: float | None = None
    line_items: list[LineItem] = field(default_factory=list)
    fulfillment_orders: list[FulfillmentOrder] = field(default_factory=list)
    fulfillments: list[Fulfillment] = field(default_factory=list)
    refunds: list[Refund] = field(default_factory=list)

    @property
    def gid(self) -> str:
        return gid("Order", self.id)

    def refunded_amount(self) -> int:
        return sum(t["amount"] for r in self.refunds for t in r.transactions)

    @property
    def name(self) -> str:
        return f"#{self.number}"

    def total(self) -> int:
        return sum(li.price * li.quantity for li in self.line_items)

    def fulfillment_status(self) -> str:
        ordered = sum(li.quantity - li.refunded_unfulfilled for li in self.line_items)
        done = sum(li.fulfilled for li in self.line_items)
        if done == 0:
            return "UNFULFILLED"
        return "FULFILLED" if done >= ordered else "PARTIALLY_FULFILLED"


@dataclass(slots=True, eq=False)
class RefundLineItem:
    typename: ClassVar[str] = "RefundLineItem"
    id: int
    line_item: LineItem
    quantity: int
    restock_type: str
    location: Location | None

    @property
    def gid(self) -> str:
        return gid("RefundLineItem", self.id)


@dataclass(slots=True, eq=False)
class Refund:
    typename: ClassVar[str] = "Refund"
    id: int
    order: Order
    created_at: float
    note: str | None
    line_items: list[RefundLineItem]
    transactions: list[dict[str, Any]]  # {id, amount (paisa), gateway, kind}

    @property
    def gid(self) -> str:
        return gid("Refund", self.id)


@dataclass(slots=True, eq=False)
class InventoryChange:
    name: str
    delta: int
    quantity_after: int | None
    variant: Variant
    location: Location
    ledger_document_uri: str | None = None


@dataclass(slots=True, eq=False)
class AdjustmentGroup:
    typename: ClassVar[str] = "InventoryAdjustmentGroup"
    id: int
    created_at: float
    reason: str
    reference_document_uri: str | None
    changes: list[InventoryChange]
    client_id: str | None

    @property
    def gid(self) -> str:
        return gid("InventoryAdjustmentGroup", self.id)
