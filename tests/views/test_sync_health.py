"""Settings → Sync health: what waits for Shopify or failed, "Send again", the rate limit, webhooks, and
"Compare with Shopify now"."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from ismartsync.extensions import db
from ismartsync.models import (
    AuditEntry,
    BatchStatus,
    OutboxStatus,
    Reconciliation,
    ReconciliationStatus,
    SubscriptionStatus,
    SyncOutboxEntry,
    WebhookStatus,
)
from ismartsync.models.base import utcnow
from ismartsync.permissions import Effect, Permission
from ismartsync.queue import redis_connection
from ismartsync.services.audit import Actor
from ismartsync.services.roles import set_grant
from ismartsync.services.shopify_store.subscriptions import record_state, record_unverifiable
from ismartsync.shopify.bucket import ThrottleStatus, cost_bucket, forget
from tests import factories
from tests.markup import element, is_fragment, text, text_of
from tests.shopify.fixtures import store_of
from tests.shopify.webhooks import deliver
from tests.sync_health import outbox_entry, sync_batch, webhook_deliveries

SHOP = "health-screen.myshopify.com"  # a shop of its own: the cost bucket is shared by the whole process


@pytest.fixture
def signed_in(browser, owner):
    browser.sign_in(owner)
    return browser


@pytest.fixture
def variant(merchant):
    return factories.VariantFactory(product__merchant=merchant, product__title="Lawn suit", sku="LAWN-M")


def _status(row: SyncOutboxEntry) -> str:
    db.session.expire_all()
    return db.session.get(SyncOutboxEntry, row.id).status


def test_screen_shows_waiting_failed_and_left_out_changes_with_their_reasons(
    signed_in, merchant, other_merchant, variant, branch
):
    outbox_entry(variant, branch, OutboxStatus.PENDING, age=timedelta(minutes=5))
    outbox_entry(variant, branch, OutboxStatus.PENDING, age=timedelta(minutes=1))
    outbox_entry(variant, branch, OutboxStatus.SENDING)
    outbox_entry(variant, branch, OutboxStatus.FAILED, delta=-3, error="The item is not stocked at this location")
    outbox_entry(variant, branch, OutboxStatus.SKIPPED, delta=4, error="Not tracked in Shopify")
    theirs = factories.BranchFactory(merchant=other_merchant)
    their_variant = factories.VariantFactory(product__merchant=other_merchant)
    outbox_entry(their_variant, theirs, OutboxStatus.FAILED, error="Their refusal")
    now = utcnow()
    sync_batch(merchant, BatchStatus.APPLIED, finished_at=now - timedelta(minutes=3))
    sync_batch(
        merchant,
        BatchStatus.RETRY,
        changes=2,
        attempts=3,
        error="Shopify did not answer in time",
        sent_at=now - timedelta(minutes=1),
        next_attempt_at=now + timedelta(minutes=10),
    )

    html = signed_in.get("/settings/sync").get_data(as_text=True)

    outbox = text_of(html, "sync-outbox")
    assert "Waiting 2 · oldest made 5 min ago" in outbox
    assert "Being sent 1" in outbox and "Failed 1" in outbox and "Not sent 1" in outbox
    assert "Last sent 3 min ago" in outbox
    assert "Last error Shopify did not answer in time · 1 min ago" in outbox
    assert "2 3 in 10 min Shopify did not answer in time" in text_of(html, "sync-retrying")
    failed = text_of(html, "sync-failed")
    assert "Lawn suit — M / Red LAWN-M Gulberg -3 The item is not stocked at this location" in failed
    assert "Their refusal" not in html
    assert "Lawn suit — M / Red Gulberg +4 Not tracked in Shopify" in text_of(html, "sync-skipped")
    assert 'class="tab is-current">Sync health</a>' in html


def test_quiet_screen_says_nothing_is_waiting(signed_in):
    html = signed_in.get("/settings/sync").get_data(as_text=True)
    assert "Waiting 0" in text_of(html, "sync-outbox") and "Last sent Nothing sent yet" in text_of(html, "sync-outbox")
    assert "Nothing failed." in text_of(html, "sync-failed")
    assert "Send again" not in html
    assert "Not known yet" in text_of(html, "sync-throttle")
    assert "Not compared yet." in text_of(html, "sync-reconciliation")


def test_status_region_refreshes_itself_every_ten_seconds_as_a_fragment(signed_in, merchant, variant, branch):
    page = signed_in.get("/settings/sync").get_data(as_text=True)
    region = element(page, "sync-status")
    assert 'hx-get="/settings/sync"' in region and 'hx-trigger="every 10s"' in region
    outbox_entry(variant, branch, OutboxStatus.PENDING)

    response = signed_in.get("/settings/sync", headers={"HX-Request": "true"})

    html = response.get_data(as_text=True)
    assert response.status_code == 200 and is_fragment(html)
    assert "HX-Request" in response.headers["Vary"]
    assert html.lstrip().startswith('<div id="sync-status"')
    assert "Waiting 1" in text_of(html, "sync-outbox")


def test_throttle_shows_the_points_shopify_last_reported(signed_in, merchant):
    store_of(merchant, SHOP)
    redis = redis_connection()
    bucket = cost_bucket(SHOP, redis)
    bucket.settle(bucket.acquire(10), ThrottleStatus(available=1500.0, maximum=2000.0, restore_rate=100.0))
    try:
        text = text_of(signed_in.get("/settings/sync").get_data(as_text=True), "sync-throttle")
    finally:
        forget(SHOP, redis)
    assert re.search(r"1,5\d\d of 2,000 points available, restoring 100/s", text), text


def test_webhook_backlog_counts_waiting_and_failed_deliveries(signed_in, merchant, other_merchant):
    statuses = [WebhookStatus.RECEIVED, WebhookStatus.RECEIVED, WebhookStatus.FAILED, WebhookStatus.PROCESSED]
    webhook_deliveries(merchant, other_merchant, SHOP, "inventory_levels/update", statuses)

    text = text_of(signed_in.get("/settings/sync").get_data(as_text=True), "sync-webhooks")

    assert "Waiting 2 Failed 1 Last received 2 min ago" in text


def test_send_again_puts_failed_changes_back_on_their_way(signed_in, merchant, owner, variant, branch):
    failed = outbox_entry(variant, branch, OutboxStatus.FAILED, error="Shopify refused it")

    response = signed_in.post("/settings/sync/retry", htmx=True)

    html = response.get_data(as_text=True)
    assert response.status_code == 200 and is_fragment(html)
    assert "Nothing failed." in text_of(html, "sync-failed")
    assert "1 stock change goes to Shopify again." in text_of(html, "flashes")
    assert _status(failed) != OutboxStatus.FAILED
    audit = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "shopify.sync_retry"))
    assert audit is not None and audit.actor_id == owner.id


def test_send_again_without_javascript_answers_with_the_whole_screen(signed_in, merchant, variant, branch):
    outbox_entry(variant, branch, OutboxStatus.FAILED, error="Shopify refused it")
    response = signed_in.post("/settings/sync/retry")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" in html
    assert "1 stock change goes to Shopify again." in text_of(html, "flashes")


def test_compare_now_starts_a_manual_comparison(signed_in, merchant, owner):
    response = signed_in.post("/settings/sync/reconcile", htmx=True)

    assert response.status_code == 200 and is_fragment(response.get_data(as_text=True))
    run = db.session.scalar(select(Reconciliation).where(Reconciliation.merchant_id == merchant.id))
    assert run is not None and run.trigger == "manual" and run.started_by_id == owner.id
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "shopify.reconcile")) is not None


def test_compare_now_while_one_runs_says_so(signed_in, merchant):
    db.session.add(Reconciliation(merchant_id=merchant.id, trigger="scheduled", status=ReconciliationStatus.RUNNING))
    db.session.flush()

    html = signed_in.post("/settings/sync/reconcile", htmx=True).get_data(as_text=True)

    assert "already running" in text_of(html, "flashes")
    assert "Comparing now" in text_of(html, "sync-reconciliation")
    assert "Compare with Shopify now" not in html
    count = select(func.count()).select_from(Reconciliation).where(Reconciliation.merchant_id == merchant.id)
    assert db.session.scalar(count) == 1


def test_screen_shows_the_last_comparison_and_links_to_the_differences(signed_in, merchant):
    db.session.add(
        Reconciliation(
            merchant_id=merchant.id,
            trigger="scheduled",
            status=ReconciliationStatus.SUCCEEDED,
            checked=1250,
            drifted=3,
            started_at=utcnow() - timedelta(minutes=20),
            finished_at=utcnow() - timedelta(minutes=19),
        )
    )
    db.session.flush()
    html = signed_in.get("/settings/sync").get_data(as_text=True)
    text = text_of(html, "sync-reconciliation")
    assert "Compared · scheduled 20 min ago" in text and "1,250 checked · 3 different" in text
    assert 'href="/inventory/drift"' in element(html, "sync-reconciliation")


def test_cashier_can_neither_open_the_screen_nor_act(browser, cashier, merchant, variant, branch):
    failed = outbox_entry(variant, branch, OutboxStatus.FAILED, error="Shopify refused it")
    browser.sign_in(cashier)
    assert browser.get("/settings/sync").status_code == 403
    assert browser.post("/settings/sync/retry").status_code == 403
    assert browser.post("/settings/sync/reconcile").status_code == 403
    assert _status(failed) == OutboxStatus.FAILED
    assert db.session.scalar(select(Reconciliation).where(Reconciliation.merchant_id == merchant.id)) is None


def test_member_who_may_only_view_settings_sees_no_buttons_and_cannot_resend(
    browser, merchant, owner, roles, variant, branch
):
    viewer = factories.UserFactory(merchant=merchant, role=roles["Accountant"], all_branches=True)
    set_grant(db.session, Actor(owner), roles["Accountant"], Permission.PAGE_SETTINGS, Effect.ALLOWED)
    failed = outbox_entry(variant, branch, OutboxStatus.FAILED, error="Shopify refused it")
    browser.sign_in(viewer)

    html = browser.get("/settings/sync").get_data(as_text=True)

    assert "Shopify refused it" in text_of(html, "sync-failed")
    assert "Send again" not in html and "Compare with Shopify now" not in html
    assert browser.post("/settings/sync/retry").status_code == 403
    assert _status(failed) == OutboxStatus.FAILED


def table_rows(html: str | None) -> list[list[str]]:
    """The body rows of a table, each as its cells' text."""
    assert html is not None
    body = html.split("<tbody>", 1)[1]
    return [
        [" ".join(text(cell).split()) for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
        for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)
    ]


def test_screen_shows_each_topics_subscription_and_its_last_delivery(signed_in, merchant, client):
    connection = store_of(merchant, SHOP, client_secret="shpss_health-secret")
    now = utcnow()
    record_state(db.session, connection, "inventory_levels/update", SubscriptionStatus.ACTIVE, now=now, shopify_id="g1")
    record_state(
        db.session, connection, "customers/create", SubscriptionStatus.FAILED, now=now, error="Access denied for topic"
    )
    db.session.commit()
    body = '{"inventory_item_id": 1, "location_id": 2}'
    signed = deliver(
        client, body, topic="inventory_levels/update", shop=SHOP, webhook_id="lvl-1", secret="shpss_health-secret"
    )
    assert signed.status_code == 200

    table = element(signed_in.get("/settings/sync").get_data(as_text=True), "sync-subscriptions")

    rows = {cells[0]: cells for cells in table_rows(table)}
    assert rows["inventory_levels/update"][1].startswith("Subscribed")
    assert rows["inventory_levels/update"][2] == "just now"
    assert rows["customers/create"][1].startswith("Not subscribed Access denied for topic")
    assert rows["customers/create"][2] == "None yet"


def test_a_store_whose_webhooks_cannot_be_verified_says_so_and_when_it_is_compared(signed_in, merchant, app):
    connection = store_of(merchant, SHOP, client_secret=None)
    record_unverifiable(db.session, connection, utcnow())
    db.session.commit()

    page = signed_in.get("/settings/sync").get_data(as_text=True)

    warning = text_of(page, "sync-webhooks-unverifiable")
    assert "without its app's API secret key" in warning
    interval = app.config["RECONCILE_UNVERIFIED_MINUTES"]
    assert f"every {interval} minutes for this store instead of every 60" in warning
    rows = table_rows(element(page, "sync-subscriptions"))
    assert {cells[1] for cells in rows} == {"Not subscribed checked just now"}


def test_a_verified_store_shows_no_warning(signed_in, merchant):
    store_of(merchant, SHOP, client_secret="shpss_health-secret")
    db.session.commit()

    page = signed_in.get("/settings/sync").get_data(as_text=True)

    assert 'id="sync-webhooks-unverifiable"' not in page
    assert "Subscriptions are being set up." in text_of(page, "sync-webhooks")
