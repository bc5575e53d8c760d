"""Webhook processing against the Shopify sandbox: its real signed deliveries are posted to our endpoint, the job
reads the record again and applies what is newer (prices, deletions, tracked flags, locations, customers)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest
import sqlalchemy as sa

from ismartsync.extensions import db
from ismartsync.models import (
    Customer,
    ImportStatus,
    ShopifyConnection,
    ShopifyLocation,
    StockLevel,
    StockMovement,
    Variant,
    WebhookEvent,
    WebhookStatus,
)
from ismartsync.services.audit import Actor
from ismartsync.services.shopify_store.locations import map_branch, start_import
from ismartsync.services.stock.ledger import ledger_sum
from jobs.webhooks import process_webhook
from tests.sandbox_fixtures import SHOP, TOKEN, Receiver, RunningSandbox
from tests.shopify.synced import connect
from tests.shopify.webhooks import deliver


@dataclass
class Store:
    """The sandbox shop, its webhooks caught by a receiver, and our test client to hand them to."""

    sandbox: RunningSandbox
    receiver: Receiver
    client: Any
    run_jobs: Any

    def control(self, method: str, path: str, data: Any = None) -> Any:
        return self.sandbox.control(method, f"/shops/{SHOP}{path}", data)

    @property
    def secret(self) -> str:
        """What signs this store's webhooks: its custom app's API secret key."""
        return self.sandbox.custom_app_secret()

    def caught(self, *topics: str) -> list[dict[str, Any]]:
        """The deliveries Shopify has sent since the last call (of these topics; the others are dropped)."""
        assert self.sandbox.control("POST", "/webhooks/wait", {"timeout": 10})["idle"]
        calls, self.receiver.calls[:] = list(self.receiver.calls), []
        return [c for c in calls if not topics or c["headers"]["X-Shopify-Topic"] in topics]

    def post(self, deliveries: list[dict[str, Any]]) -> list[WebhookEvent]:
        """Hand the deliveries to our endpoint as Shopify would, work off the jobs, return the stored events."""
        assert deliveries, "Shopify sent nothing"
        for delivery in deliveries:
            headers = {k: v for k, v in delivery["headers"].items() if k.startswith("X-Shopify")}
            response = self.client.post(
                "/webhooks/shopify", data=delivery["body"], headers=headers, content_type="application/json"
            )
            assert response.status_code == 200, response.get_data(as_text=True)
        self.run_jobs("shopify")
        db.session.expire_all()
        ids = [d["headers"]["X-Shopify-Webhook-Id"] for d in deliveries]
        return list(db.session.scalars(sa.select(WebhookEvent).where(WebhookEvent.webhook_id.in_(ids))))


@pytest.fixture
def store(start_sandbox, use_sandbox, webhook_receiver, merchant, owner, client, run_jobs) -> Store:
    """A store connected with a pasted token and its app's secret, its webhooks subscribed by our connect (to the
    receiver, the sandbox's app URL), its catalog imported; the import's own webhooks are dropped."""
    running = start_sandbox(variants=40, app_url=webhook_receiver.url.removesuffix("/webhooks/shopify"))
    use_sandbox(running)
    connect(running, owner, run_jobs)
    store = Store(running, webhook_receiver, client, run_jobs)
    _import(owner, run_jobs)
    store.caught()
    return store


def _import(owner, run_jobs, kind: str | None = None) -> None:
    run = start_import(db.session, Actor(owner), kind)
    db.session.commit()
    run_jobs("shopify")
    db.session.refresh(run)
    assert run.status == ImportStatus.SUCCEEDED, run.error


def _variant(merchant, **where: Any) -> Variant:
    query = sa.select(Variant).where(Variant.merchant_id == merchant.id, Variant.deleted_at.is_(None))
    return db.session.scalars(query.filter_by(**where).order_by(Variant.id)).first()


def _number(gid: str) -> str:
    return gid.rsplit("/", 1)[1]


def _mapped(merchant, owner, branch) -> ShopifyLocation:
    location = db.session.scalars(
        sa.select(ShopifyLocation)
        .where(ShopifyLocation.merchant_id == merchant.id, ShopifyLocation.active)
        .order_by(ShopifyLocation.id)
    ).first()
    map_branch(db.session, Actor(owner), branch, location)
    db.session.commit()
    return location


def test_a_price_changed_in_shopify_reaches_the_variant_through_its_webhook(store, merchant):
    variant = _variant(merchant)
    store.control("POST", f"/variants/{_number(variant.shopify_id)}", {"price": "4321.50"})

    events = store.post(store.caught("products/update"))

    assert [e.status for e in events] == [WebhookStatus.PROCESSED]
    assert events[0].attempts == 1 and events[0].processed_at is not None
    db.session.refresh(variant)
    assert variant.price_minor == 432150


def test_an_older_delivery_arriving_after_a_newer_one_changes_nothing(store, merchant):
    variant = _variant(merchant)
    path = f"/variants/{_number(variant.shopify_id)}"
    store.control("POST", path, {"price": "1111"})
    older = store.caught("products/update")  # its payload was built now, with 1111
    store.control("POST", path, {"price": "2222"})
    newer = store.caught("products/update")
    assert json.loads(older[0]["body"])["variants"][0]["price"] != json.loads(newer[0]["body"])["variants"][0]["price"]

    store.post(newer)
    db.session.refresh(variant)
    assert variant.price_minor == 222200
    events = store.post(older)

    assert [e.status for e in events] == [WebhookStatus.PROCESSED]
    db.session.refresh(variant)
    assert variant.price_minor == 222200


def test_a_product_deleted_in_shopify_leaves_the_catalog(store, merchant):
    variant = _variant(merchant)
    product_gid = variant.product.shopify_id
    siblings = {v.id for v in variant.product.variants}
    store.control("DELETE", f"/products/{_number(product_gid)}")

    events = store.post(store.caught("products/delete"))

    assert [e.status for e in events] == [WebhookStatus.PROCESSED]
    deleted = set(
        db.session.scalars(
            sa.select(Variant.id).where(Variant.merchant_id == merchant.id, Variant.deleted_at.is_not(None))
        )
    )
    assert deleted == siblings


def test_an_inventory_item_deleted_in_shopify_takes_its_variant_out(store, merchant):
    variant = _variant(merchant)
    store.control("DELETE", f"/products/{_number(variant.product.shopify_id)}")

    store.post(store.caught("inventory_items/delete")[:1])

    deleted = db.session.scalars(sa.select(Variant).where(Variant.deleted_at.is_not(None))).all()
    assert len(deleted) == 1 and deleted[0].product_id == variant.product_id


def test_tracking_turned_off_and_on_in_shopify_follows_here(store, merchant):
    variant = _variant(merchant, tracked=True)
    path = f"/variants/{_number(variant.shopify_id)}"
    store.control("POST", path, {"tracked": False})

    events = store.post(store.caught("inventory_items/update"))

    assert [e.status for e in events] == [WebhookStatus.PROCESSED]
    db.session.refresh(variant)
    assert variant.tracked is False
    store.control("POST", path, {"tracked": True})
    store.post(store.caught("inventory_items/update"))
    db.session.refresh(variant)
    assert variant.tracked is True


def test_a_new_product_in_shopify_arrives_with_opening_stock_at_the_mapped_branch(store, merchant, owner, branch):
    location = _mapped(merchant, owner, branch)
    created = store.control("POST", "/products", {"title": "Chikankari dupatta", "variants": [{"sku": "CK-1"}]})
    item = _number(created["variants"][0]["inventory_item_id"])
    store.control(
        "POST", "/inventory", {"inventory_item_id": item, "location_id": _number(location.shopify_id), "on_hand": 7}
    )

    events = store.post(store.caught("products/create"))

    assert [e.status for e in events] == [WebhookStatus.PROCESSED]
    variant = _variant(merchant, sku="CK-1")
    assert variant is not None and variant.product.title == "Chikankari dupatta"
    level = db.session.scalar(sa.select(StockLevel).where(StockLevel.variant_id == variant.id))
    assert level.branch_id == branch.id and level.quantity == 7 == ledger_sum(db.session, variant, branch)
    store.control("POST", f"/variants/{_number(variant.shopify_id)}", {"price": "1500"})
    store.post(store.caught("products/update"))  # a later change opens nothing twice
    movements = db.session.scalar(
        sa.select(sa.func.count()).select_from(StockMovement).where(StockMovement.variant_id == variant.id)
    )
    assert movements == 1 and db.session.get(Variant, variant.id).price_minor == 150000


def test_a_location_renamed_in_shopify_is_renamed_here(store, merchant):
    location = db.session.scalars(sa.select(ShopifyLocation).where(ShopifyLocation.merchant_id == merchant.id)).first()
    store.control("POST", f"/locations/{_number(location.shopify_id)}", {"name": "Gulberg flagship"})

    events = store.post(store.caught("locations/update"))

    assert [e.status for e in events] == [WebhookStatus.PROCESSED]
    db.session.refresh(location)
    assert location.name == "Gulberg flagship"


def test_a_location_deleted_in_shopify_becomes_inactive(store, merchant, client):
    gone = ShopifyLocation(merchant_id=merchant.id, shopify_id="gid://shopify/Location/990001", name="Old depot")
    db.session.add(gone)
    db.session.commit()

    assert (
        deliver(
            client, json.dumps({"id": 990001}), topic="locations/delete", webhook_id="loc-del", secret=store.secret
        ).status_code
        == 200
    )
    store.run_jobs("shopify")

    db.session.expire_all()
    assert db.session.get(ShopifyLocation, gone.id).active is False
    assert db.session.scalar(sa.select(ShopifyLocation.active).where(ShopifyLocation.name != "Old depot"))


def test_a_customer_created_then_changed_in_shopify_is_saved_here(store, merchant):
    created = store.control("POST", "/customers", {"first_name": "Ayesha", "email": "ayesha@example.pk"})
    store.post(store.caught("customers/create"))
    customer = db.session.scalar(sa.select(Customer).where(Customer.shopify_id == created["id"]))
    assert (customer.first_name, customer.email, customer.merchant_id) == ("Ayesha", "ayesha@example.pk", merchant.id)

    store.control("POST", f"/customers/{_number(created['id'])}", {"first_name": "Aisha", "phone": "+923001234567"})
    events = store.post(store.caught("customers/update"))

    assert [e.status for e in events] == [WebhookStatus.PROCESSED]
    db.session.refresh(customer)
    assert (customer.first_name, customer.phone) == ("Aisha", "+923001234567")


def test_a_customer_deleted_in_shopify_is_deleted_here(store, merchant, client):
    customer = db.session.scalars(sa.select(Customer).where(Customer.merchant_id == merchant.id)).first()
    body = json.dumps({"id": int(_number(customer.shopify_id))})

    assert (
        deliver(client, body, topic="customers/delete", webhook_id="cust-del", secret=store.secret).status_code == 200
    )
    store.run_jobs("shopify")

    assert db.session.scalar(sa.select(Customer.id).where(Customer.id == customer.id)) is None


def test_a_level_change_at_an_unlinked_location_is_ignored(store, merchant):
    variant = _variant(merchant, tracked=True)
    location = db.session.scalars(
        sa.select(ShopifyLocation).where(ShopifyLocation.merchant_id == merchant.id, ShopifyLocation.active)
    ).first()
    store.control(
        "POST",
        "/inventory",
        {
            "inventory_item_id": _number(variant.inventory_item_id),
            "location_id": _number(location.shopify_id),
            "on_hand": 3,
        },
    )

    events = store.post(store.caught("inventory_levels/update"))

    assert [(e.status, e.error) for e in events] == [(WebhookStatus.IGNORED, "The location is not linked to a branch.")]


def test_a_level_changed_in_shopify_at_a_mapped_branch_is_taken_in(store, merchant, owner, branch):
    location = _mapped(merchant, owner, branch)
    _import(owner, store.run_jobs, "full")  # opening stock at the newly linked branch
    store.caught()
    variant = db.session.scalars(
        sa.select(Variant).join(StockLevel).where(StockLevel.branch_id == branch.id, Variant.tracked.is_(True))
    ).first()
    store.control(
        "POST",
        "/inventory",
        {
            "inventory_item_id": _number(variant.inventory_item_id),
            "location_id": _number(location.shopify_id),
            "on_hand": 41,
        },
    )

    events = store.post(store.caught("inventory_levels/update"))

    assert [e.status for e in events] == [WebhookStatus.PROCESSED]
    level = db.session.scalar(sa.select(StockLevel).where(StockLevel.variant_id == variant.id))
    assert level.quantity == 41 == ledger_sum(db.session, variant, branch)


def test_topics_we_do_not_use_are_ignored(store, client):
    assert (
        deliver(
            client, json.dumps({"id": 5}), topic="orders/paid", webhook_id="order-1", secret=store.secret
        ).status_code
        == 200
    )
    store.run_jobs("shopify")

    event = db.session.scalar(sa.select(WebhookEvent).where(WebhookEvent.webhook_id == "order-1"))
    db.session.refresh(event)
    assert event.status == WebhookStatus.IGNORED and "orders/paid" in event.error


def test_a_failed_delivery_is_recorded_and_succeeds_when_run_again(store, merchant):
    variant = _variant(merchant)
    connection = db.session.scalar(sa.select(ShopifyConnection).where(ShopifyConnection.merchant_id == merchant.id))
    connection.access_token = "shpat_not_a_real_token"
    db.session.commit()
    store.control("POST", f"/variants/{_number(variant.shopify_id)}", {"price": "999"})

    (event,) = store.post(store.caught("products/update"))

    assert event.status == WebhookStatus.FAILED and event.attempts == 1
    assert "ShopifyAuthError" in event.error and event.processed_at is None
    connection.access_token = TOKEN
    db.session.commit()
    process_webhook(event.id)  # what the sweeper's re-enqueued job does
    db.session.expire_all()
    event = db.session.get(WebhookEvent, event.id)
    assert (event.status, event.attempts, event.error) == (WebhookStatus.PROCESSED, 2, "")
    assert db.session.get(Variant, variant.id).price_minor == 99900


def test_a_payload_without_the_record_id_is_ignored_not_retried(store, client):
    assert (
        deliver(
            client, json.dumps({"title": "?"}), topic="products/update", webhook_id="odd", secret=store.secret
        ).status_code
        == 200
    )
    store.run_jobs("shopify")

    event = db.session.scalar(sa.select(WebhookEvent).where(WebhookEvent.webhook_id == "odd"))
    db.session.refresh(event)
    assert (event.status, event.error) == (WebhookStatus.IGNORED, "The payload has no id of a Product.")
