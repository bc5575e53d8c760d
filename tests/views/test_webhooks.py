"""POST /webhooks/shopify: a signed delivery is stored once and queued once; bad signatures, repeats, rotated
secrets, shops nobody connected and deliveries without a webhook id."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy import text as sa_text

from ismartsync import queue
from ismartsync.extensions import db
from ismartsync.models import ShopifyConnection, WebhookEvent, WebhookStatus
from ismartsync.models.shopify import AuthMethod, ConnectionStatus
from tests.sandbox_fixtures import CLIENT_ID, CLIENT_SECRET, OTHER_SHOP, SHOP, TOKEN
from tests.shopify.webhooks import PRODUCT_BODY, deliver, signature

PROCESS = "jobs.webhooks.process_webhook"
BODY = PRODUCT_BODY


@pytest.fixture(autouse=True)
def our_app(app, monkeypatch):
    monkeypatch.setitem(app.config, "SHOPIFY_CLIENT_ID", CLIENT_ID)
    monkeypatch.setitem(app.config, "SHOPIFY_CLIENT_SECRET", CLIENT_SECRET)


@pytest.fixture
def jobs(monkeypatch) -> list[queue.PendingJob]:
    """The jobs each commit asks for, recorded instead of run: these tests are about intake only."""
    asked: list[queue.PendingJob] = []
    monkeypatch.setattr(queue, "_dispatch", lambda app, pending: asked.extend(pending))
    return asked


@pytest.fixture
def connected(merchant) -> ShopifyConnection:
    connection = ShopifyConnection(
        merchant=merchant, shop_domain=SHOP, auth_method=AuthMethod.OAUTH, access_token=TOKEN, shop_name="Zari Demo"
    )
    db.session.add(connection)
    db.session.commit()
    return connection


def stored() -> list[WebhookEvent]:
    db.session.expire_all()
    return list(db.session.scalars(select(WebhookEvent).order_by(WebhookEvent.id)))


def test_a_signed_delivery_is_stored_and_queued(client, connected, merchant, jobs):
    response = deliver(client)

    assert response.status_code == 200
    (event,) = stored()
    assert (event.merchant_id, event.shop_domain, event.topic) == (merchant.id, SHOP, "products/update")
    assert (event.webhook_id, event.event_id, event.api_version) == ("wh-1", "ev-1", "2026-07")
    assert event.triggered_at == datetime(2026, 11, 27, 10, 15, 30, 123000, tzinfo=UTC)
    assert event.payload == BODY and event.status == WebhookStatus.RECEIVED and event.attempts == 0
    assert [(j.func, j.args, j.queue) for j in jobs] == [(PROCESS, (event.id,), "shopify")]
    assert jobs[0].retries == 3


def test_a_bad_signature_is_refused_and_nothing_is_stored(client, connected, jobs):
    response = deliver(client, secret="not-our-secret")

    assert response.status_code == 401
    assert stored() == [] and jobs == []


def test_a_body_changed_after_signing_is_refused(client, connected, jobs):
    response = deliver(client, BODY, **{"X-Shopify-Hmac-Sha256": signature(BODY.replace("Lawn", "Silk").encode())})

    assert response.status_code == 401
    assert stored() == [] and jobs == []


def test_the_same_webhook_delivered_twice_is_stored_and_queued_once(client, connected, jobs):
    assert deliver(client).status_code == 200
    assert deliver(client).status_code == 200

    assert len(stored()) == 1
    assert len(jobs) == 1


def test_another_webhook_id_is_another_delivery(client, connected, jobs):
    deliver(client, webhook_id="wh-1")
    deliver(client, webhook_id="wh-2")

    assert [e.webhook_id for e in stored()] == ["wh-1", "wh-2"]
    assert len(jobs) == 2


def test_a_delivery_signed_with_the_previous_secret_is_accepted(app, client, connected, jobs, monkeypatch):
    monkeypatch.setitem(app.config, "SHOPIFY_CLIENT_SECRET", "the-new-secret")
    monkeypatch.setitem(app.config, "SHOPIFY_PREVIOUS_CLIENT_SECRET", CLIENT_SECRET)

    assert deliver(client, secret=CLIENT_SECRET).status_code == 200
    assert deliver(client, webhook_id="wh-2", secret="the-new-secret").status_code == 200
    assert len(stored()) == 2 and len(jobs) == 2


def test_a_delivery_for_a_shop_nobody_connected_is_kept_as_ignored(client, connected, jobs):
    response = deliver(client, shop=OTHER_SHOP)

    assert response.status_code == 200
    (event,) = stored()
    assert (event.merchant_id, event.status, event.shop_domain) == (None, WebhookStatus.IGNORED, OTHER_SHOP)
    assert jobs == []


def test_a_delivery_for_a_disconnected_store_is_kept_as_ignored(client, connected, jobs):
    connected.status = ConnectionStatus.DISCONNECTED
    db.session.commit()

    assert deliver(client).status_code == 200
    assert [e.status for e in stored()] == [WebhookStatus.IGNORED] and jobs == []


def test_a_delivery_without_a_webhook_id_is_refused(client, connected, jobs):
    response = deliver(client, **{"X-Shopify-Webhook-Id": None})

    assert response.status_code == 400
    assert stored() == [] and jobs == []


def test_uninstall_is_stored_as_processed_and_revokes_at_once(client, connected, merchant, jobs):
    body = json.dumps({"id": 1, "myshopify_domain": SHOP})

    assert deliver(client, body, topic="app/uninstalled").status_code == 200
    assert deliver(client, body, topic="app/uninstalled").status_code == 200  # Shopify's retry

    (event,) = stored()
    assert (event.merchant_id, event.status) == (merchant.id, WebhookStatus.PROCESSED)
    assert event.processed_at is not None
    db.session.refresh(connected)
    assert connected.status == ConnectionStatus.REVOKED
    assert jobs == []


def test_deliveries_are_not_shared_between_shops(client, connected, jobs):
    deliver(client, webhook_id="same-id")
    deliver(client, webhook_id="same-id", shop=OTHER_SHOP)

    count = db.session.scalar(select(func.count()).select_from(WebhookEvent))
    assert count == 2 and len(jobs) == 1


class CountingBody:
    """A request body of `size` bytes that are made only as they are read, and counted."""

    def __init__(self, size: int) -> None:
        self.size, self.position, self.read_bytes = size, 0, 0

    def read(self, n: int = -1) -> bytes:
        left = self.size - self.position
        n = left if n is None or n < 0 else min(n, left)
        self.position += n
        self.read_bytes += n
        return b"x" * n

    def readline(self, n: int = -1) -> bytes:
        return self.read(n)

    def tell(self) -> int:
        return self.position

    def seek(self, offset: int, whence: int = 0) -> int:
        self.position = self.size + offset if whence == 2 else offset
        return self.position


def _big_post(client, body: CountingBody, **headers: str):
    sent = {"X-Shopify-Topic": "products/update", "X-Shopify-Shop-Domain": SHOP, "X-Shopify-Webhook-Id": "wh-big"}
    return client.post(
        "/webhooks/shopify",
        input_stream=body,
        headers={**sent, **headers},
        content_type="application/json",
    )


def test_an_unsigned_delivery_is_refused_without_reading_its_body(client, connected, jobs):
    body = CountingBody(300 * 1024 * 1024)

    response = _big_post(client, body)

    assert response.status_code == 401
    assert body.read_bytes == 0 and stored() == []


def test_a_delivery_larger_than_the_webhook_limit_is_refused_unread(app, client, connected, jobs, monkeypatch):
    monkeypatch.setitem(app.config, "WEBHOOK_MAX_CONTENT_LENGTH", 1024)
    body = CountingBody(300 * 1024 * 1024)

    response = _big_post(client, body, **{"X-Shopify-Hmac-Sha256": signature(b"x" * 1024)})

    assert response.status_code == 413
    assert body.read_bytes == 0 and stored() == []
    assert deliver(client).status_code == 200  # a delivery within the limit still goes through


def test_a_pasted_token_stores_webhooks_verify_with_its_own_secret_and_fail_with_ours(
    browser, owner, merchant, client, start_sandbox, use_sandbox, webhook_receiver, run_jobs
):
    running = start_sandbox(variants=20, app_url=webhook_receiver.url.removesuffix("/webhooks/shopify"))
    use_sandbox(running)
    secret = running.custom_app_secret()
    browser.sign_in(owner)
    form = {"paste-shop": SHOP, "paste-access_token": TOKEN, "paste-api_secret_key": secret}
    assert browser.post("/shopify/token", form).status_code == 303
    run_jobs("shopify")  # the subscriptions our connect asked for
    level = next(lv for lv in running.control("GET", f"/shops/{SHOP}/inventory?limit=30")["levels"] if lv["active"])
    running.control(
        "POST",
        f"/shops/{SHOP}/inventory",
        {"inventory_item_id": level["inventory_item_id"], "location_id": level["location_id"], "available": 7},
    )
    assert running.control("POST", "/webhooks/wait", {"timeout": 10})["idle"]
    (delivery,) = webhook_receiver.calls
    headers = {k: v for k, v in delivery["headers"].items() if k.startswith("X-Shopify")}

    signed_by_us = client.post(
        "/webhooks/shopify",
        data=delivery["body"],
        headers={**headers, "X-Shopify-Hmac-Sha256": signature(delivery["body"], CLIENT_SECRET)},
    )
    as_sent = client.post("/webhooks/shopify", data=delivery["body"], headers=headers)

    assert signed_by_us.status_code == 401
    assert as_sent.status_code == 200
    (event,) = stored()
    assert (event.topic, event.merchant_id) == ("inventory_levels/update", merchant.id)
    raw = db.session.execute(
        select(sa_text("client_secret")).select_from(sa_text("shopify_connections")).where(sa_text("merchant_id = :m")),
        {"m": merchant.id},
    ).scalar()
    assert raw and secret not in raw  # encrypted at rest, like the token


def test_a_pasted_token_without_its_secret_verifies_nothing(client, merchant):
    db.session.add(
        ShopifyConnection(merchant=merchant, shop_domain=SHOP, auth_method=AuthMethod.ADMIN_TOKEN, access_token=TOKEN)
    )
    db.session.commit()

    assert deliver(client, secret=CLIENT_SECRET).status_code == 401
    assert stored() == []
