"""One stored Shopify webhook delivery processed. A webhook only says "this changed": its handler reads the record
again through the API and applies what is newer (`services/shopify_store/catalog_changes.py`); stock changes are
read again by `stock_refresh`, orders (their fulfilment orders and fulfilments too) by `order_sync`. A failure is
recorded on the delivery and raised again, so its job is retried."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ismartsync.models import ShopifyLocation, Variant, WebhookEvent, WebhookStatus
from ismartsync.pipelines.order_sync import order_of_fulfilment_order, refresh_order
from ismartsync.pipelines.shopify_client import open_client
from ismartsync.pipelines.stock_refresh import refresh_stock
from ismartsync.services.shopify_store import catalog_changes, catalog_import
from ismartsync.services.shopify_store import webhooks as shopify_webhooks
from ismartsync.services.shopify_store.tokens import NotConnected
from ismartsync.shopify import importer
from ismartsync.shopify.client import ShopifyClient

log = logging.getLogger(__name__)

PROCESSED, IGNORED = WebhookStatus.PROCESSED, WebhookStatus.IGNORED


class BadPayload(ValueError):
    """Shopify's payload lacks what the topic promises: trying again would not help."""


class Delivery:
    """The event being processed, its parsed payload, and a Shopify client opened only if a handler needs one."""

    def __init__(self, session: Session, event: WebhookEvent, payload: dict[str, Any]) -> None:
        self.session, self.event, self.payload = session, event, payload
        self.merchant_id: int = event.merchant_id  # type: ignore[assignment]  # checked before dispatch
        self._client: ShopifyClient | None = None

    @property
    def client(self) -> ShopifyClient:
        if self._client is None:
            self._client = open_client(self.session, self.merchant_id)
        return self._client

    def gid(self, kind: str, key: str = "id") -> str:
        """The GID of the payload's record (`admin_graphql_api_id` when it is of that kind, else built)."""
        given = str(self.payload.get("admin_graphql_api_id") or "")
        if key == "id" and given.startswith(f"gid://shopify/{kind}/"):
            return given
        try:
            return f"gid://shopify/{kind}/{int(self.payload[key])}"
        except (KeyError, TypeError, ValueError):
            raise BadPayload(f"The payload has no {key} of a {kind}.") from None

    @property
    def triggered_at(self) -> datetime | None:
        return self.event.triggered_at

    def close(self) -> None:
        if self._client is not None:
            self._client.close()


Outcome = tuple[WebhookStatus, str]  # the event's status, and why it was ignored

# The fulfillment_orders/* topics that change what a branch has to ship: where, whether on hold, and what is left.
FULFILMENT_ORDER_TOPICS = (
    "fulfillment_orders/cancelled",
    "fulfillment_orders/hold_released",
    "fulfillment_orders/merged",
    "fulfillment_orders/moved",
    "fulfillment_orders/order_routing_complete",
    "fulfillment_orders/placed_on_hold",
    "fulfillment_orders/rescheduled",
    "fulfillment_orders/scheduled_fulfillment_order_ready",
    "fulfillment_orders/split",
)


def process_webhook(session: Session, event_id: int) -> None:
    """Process one stored delivery once; a failure is recorded on the event and raised again (RQ retries it)."""
    event = session.get(WebhookEvent, event_id)
    if event is None or event.status in shopify_webhooks.DONE:
        return
    topic = event.topic
    try:
        status, note = _handle(session, event)
    except Exception as exc:
        session.rollback()
        log.exception("shopify webhook %s (%s) failed", event_id, topic)
        shopify_webhooks.fail_event(session, event_id, f"{type(exc).__name__}: {exc}")
        session.commit()
        raise
    event = session.get(WebhookEvent, event_id)  # a handler may have committed or rolled back on the way
    shopify_webhooks.finish_event(event, status, note)
    session.commit()


def _handle(session: Session, event: WebhookEvent) -> Outcome:
    handler = HANDLERS.get(event.topic)
    if handler is None:
        return IGNORED, f"iSmartSync does not use {event.topic or 'this topic'}."
    if event.merchant_id is None:
        return IGNORED, "No connected iSmartSync account has this shop."
    try:
        payload = json.loads(event.payload)
    except ValueError:
        return IGNORED, "The payload is not JSON."
    delivery = Delivery(session, event, payload if isinstance(payload, dict) else {})
    try:
        return handler(delivery)
    except (NotConnected, BadPayload) as exc:
        session.rollback()
        return IGNORED, str(exc)
    finally:
        delivery.close()


def _product(d: Delivery) -> Outcome:
    product_id = d.gid("Product")
    product, variants = importer.product_with_variants(d.client, product_id)
    change = catalog_changes.apply_product(d.session, d.merchant_id, product_id, product, variants)
    if change.new_variant_ids:
        # New tracked variants get their opening stock at mapped branches, as an import would give them.
        items = d.session.scalars(select(Variant.inventory_item_id).where(Variant.id.in_(change.new_variant_ids))).all()
        levels = importer.on_hand_levels(d.client, [i for i in items if i])
        reference = f"gid://ismartsync/WebhookEvent/{d.event.id}"
        catalog_changes.open_new_variants(d.session, d.merchant_id, change.new_variant_ids, levels, reference)
    if change.stale:
        log.info("shopify product %s read older than ours; nothing applied", product_id)
    return PROCESSED, ""


def _inventory_item(d: Delivery) -> Outcome:
    item_id = d.gid("InventoryItem")
    node = importer.inventory_items(d.client, [item_id])[item_id]
    if node is None:
        catalog_changes.mark_item_deleted(d.session, d.merchant_id, item_id)
        return PROCESSED, ""
    catalog_changes.set_item_tracked(d.session, d.merchant_id, item_id, bool(node.get("tracked")))
    if d.event.topic.endswith("/delete"):
        return PROCESSED, ""
    d.session.commit()  # refresh_stock reads the tracked flag in its own transaction
    refresh_stock(d.session, d.merchant_id, [item_id], d.triggered_at, item_id)
    return PROCESSED, ""


def _inventory_level(d: Delivery) -> Outcome:
    location_id = d.gid("Location", "location_id")
    branch_id = d.session.scalar(
        select(ShopifyLocation.branch_id).where(
            ShopifyLocation.merchant_id == d.merchant_id, ShopifyLocation.shopify_id == location_id
        )
    )
    if branch_id is None:
        return IGNORED, "The location is not linked to a branch."
    item_id = d.gid("InventoryItem", "inventory_item_id")
    reference = str(d.payload.get("admin_graphql_api_id") or item_id)
    available = d.payload.get("available")
    refresh_stock(
        d.session,
        d.merchant_id,
        [item_id],
        d.triggered_at,
        reference,
        location_id=location_id,
        # connect/disconnect carry no figure worth trusting: only an update's `available` can mark an echo.
        announced_available=available
        if d.event.topic == "inventory_levels/update" and isinstance(available, int)
        else None,
    )
    return PROCESSED, ""


def _location(d: Delivery) -> Outcome:
    nodes = importer.fetch_locations(d.client)
    catalog_import.upsert_locations(d.session, d.merchant_id, nodes)
    location_id = d.gid("Location")
    if location_id not in {n["id"] for n in nodes}:
        catalog_changes.deactivate_location(d.session, d.merchant_id, location_id)
    return PROCESSED, ""


def _customer(d: Delivery) -> Outcome:
    customer_id = d.gid("Customer")
    node = None if d.event.topic == "customers/delete" else importer.customer(d.client, customer_id)
    catalog_changes.apply_customer(d.session, d.merchant_id, customer_id, node)
    return PROCESSED, ""


def _order(d: Delivery) -> Outcome:
    """orders/*: the order, read again whole."""
    return _refresh_order(d, d.gid("Order"))


def _fulfillment(d: Delivery) -> Outcome:
    """fulfillments/*: the fulfilment's order (its `order_id`), read again whole."""
    return _refresh_order(d, d.gid("Order", "order_id"))


def _fulfillment_order(d: Delivery) -> Outcome:
    """fulfillment_orders/*: the payload names fulfilment orders only (`fulfillment_order`, `original_…` and
    `moved_…`, `replacement_…`, `merged_…`, as GIDs); their order is read again whole, once."""
    orders = []
    for fulfilment_order_id in _fulfilment_order_ids(d.payload):
        order_id = order_of_fulfilment_order(d.session, d.client, d.merchant_id, fulfilment_order_id)
        if order_id and order_id not in orders:
            orders.append(order_id)
    if not orders:
        raise BadPayload("The payload names no fulfilment order Shopify knows.")
    outcomes = [_refresh_order(d, order_id) for order_id in orders]
    return next((o for o in outcomes if o[0] == PROCESSED), outcomes[0])


def _fulfilment_order_ids(payload: dict[str, Any]) -> list[str]:
    """Every fulfilment order GID the payload names, at its top level or one level down (lists included)."""
    found: list[str] = []

    def take(value: Any) -> None:
        if isinstance(value, dict):
            value = value.get("id")
        if isinstance(value, str) and value.startswith("gid://shopify/FulfillmentOrder/") and value not in found:
            found.append(value)

    for value in payload.values():
        take(value)
        if isinstance(value, list):
            for item in value:
                take(item)
    return found


def _refresh_order(d: Delivery, order_id: str) -> Outcome:
    applied = refresh_order(d.session, d.client, d.merchant_id, order_id)
    if applied is None:
        return IGNORED, "Shopify does not show this order (deleted, or older than the 60 days read_orders reads)."
    if applied.stale:
        log.info("shopify order %s read older than ours; only newer fulfilment orders applied", order_id)
    return PROCESSED, ""


def _done(d: Delivery) -> Outcome:
    """app/uninstalled is acted on in the request; the import polls its own bulk operations."""
    return PROCESSED, ""


HANDLERS: dict[str, Callable[[Delivery], Outcome]] = {
    "products/create": _product,
    "products/update": _product,
    "products/delete": _product,
    "inventory_items/create": _inventory_item,
    "inventory_items/update": _inventory_item,
    "inventory_items/delete": _inventory_item,
    "inventory_levels/update": _inventory_level,
    "inventory_levels/connect": _inventory_level,
    "inventory_levels/disconnect": _inventory_level,
    "locations/create": _location,
    "locations/update": _location,
    "locations/delete": _location,
    "customers/create": _customer,
    "customers/update": _customer,
    "customers/delete": _customer,
    "orders/create": _order,
    "orders/updated": _order,
    "orders/cancelled": _order,
    "fulfillments/create": _fulfillment,
    "fulfillments/update": _fulfillment,
    **dict.fromkeys(FULFILMENT_ORDER_TOPICS, _fulfillment_order),
    "app/uninstalled": _done,
    "bulk_operations/finish": _done,
}
