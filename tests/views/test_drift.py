"""Inventory → Stock differences with Shopify: accept Shopify's quantity, push ours, compare again; stale figures,
permissions, approvals and other tenants."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from ismartsync.extensions import db
from ismartsync.models import (
    AuditEntry,
    DriftStatus,
    MovementKind,
    Reconciliation,
    ShopifyLocation,
    StockDrift,
    StockLevel,
    SyncOutboxEntry,
)
from ismartsync.permissions import Effect, Permission
from ismartsync.services.audit import Actor
from ismartsync.services.roles import set_grant
from ismartsync.services.stock.ledger import record_movement
from ismartsync.services.stock.sync_outbox import sync_state
from tests import factories
from tests.markup import element, is_fragment, text_of

STALE = "Stock moved since this was compared"


@pytest.fixture
def variant(merchant):
    return factories.VariantFactory(product__merchant=merchant, product__title="Lawn suit", sku="LAWN-M")


@pytest.fixture
def drift(merchant, branch, variant):
    """Gulberg has 10, Shopify says 7, nothing of ours on its way: a difference of -3."""
    db.session.add(
        ShopifyLocation(merchant=merchant, shopify_id="gid://shopify/Location/1", name="Gulberg store", branch=branch)
    )
    record_movement(db.session, variant=variant, branch=branch, delta=10, kind=MovementKind.OPENING)
    row = StockDrift(
        merchant_id=merchant.id,
        variant_id=variant.id,
        branch_id=branch.id,
        local_quantity=10,
        unsent=0,
        shopify_on_hand=7,
        state_version=sync_state(db.session, merchant.id, variant.id, branch.id).version,
    )
    db.session.add(row)
    db.session.flush()
    return row


@pytest.fixture
def stock_keeper(merchant, roles):
    return factories.UserFactory(merchant=merchant, role=roles["Inventory"], all_branches=True, full_name="Hina Raza")


@pytest.fixture
def signed_in(browser, stock_keeper):
    browser.sign_in(stock_keeper)
    return browser


def _drift(row: StockDrift) -> StockDrift:
    db.session.expire_all()
    return db.session.get(StockDrift, row.id)


def _level(variant, branch) -> int:
    db.session.expire_all()
    return db.session.scalar(
        select(StockLevel.quantity).where(StockLevel.variant_id == variant.id, StockLevel.branch_id == branch.id)
    )


def test_open_differences_are_listed_with_our_figures_and_shopifys(signed_in, merchant, branch, variant, drift):
    settled = StockDrift(
        merchant_id=merchant.id,
        variant_id=factories.VariantFactory(product__merchant=merchant, product__title="Settled kurta").id,
        branch_id=branch.id,
        local_quantity=1,
        unsent=0,
        shopify_on_hand=2,
        status=DriftStatus.ACCEPTED,
    )
    db.session.add(settled)
    db.session.flush()

    html = signed_in.get("/inventory/drift").get_data(as_text=True)

    row = text_of(html, f"drift-{drift.id}")
    assert "Lawn suit — M / Red Gulberg · SKU LAWN-M" in row
    assert "Ours 10 On its way 0 Shopify 7 Difference -3" in row
    assert "Accept Shopify sets ours to 7; Push ours sets Shopify to 10." in row
    assert "Settled kurta" not in html
    assert '<a href="/inventory/drift" class="nav-link is-current" aria-current="page">Inventory</a>' in html


def test_accept_shopify_takes_shopifys_quantity_and_answers_with_the_row(
    signed_in, stock_keeper, branch, variant, drift
):
    response = signed_in.post(f"/inventory/drift/{drift.id}/accept", htmx=True)

    html = response.get_data(as_text=True)
    assert response.status_code == 200 and is_fragment(html)
    assert html.lstrip().startswith(f'<li class="row drift-row" id="drift-{drift.id}"')
    row = text_of(html, f"drift-{drift.id}")
    assert "Shopify's quantity taken" in row and "Accept Shopify" not in row
    assert "ours now matches Shopify" in text_of(html, "flashes")
    assert _drift(drift).status == DriftStatus.ACCEPTED
    assert _level(variant, branch) == 7
    audit = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "stock.drift_accepted"))
    assert audit is not None and audit.actor_id == stock_keeper.id


def test_push_ours_sends_our_quantity_to_shopify(signed_in, branch, variant, drift):
    response = signed_in.post(f"/inventory/drift/{drift.id}/push")

    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" in html  # a plain form gets the whole page back
    assert "Ours sent to Shopify" in text_of(html, f"drift-{drift.id}")
    assert _drift(drift).status == DriftStatus.PUSHED
    assert _level(variant, branch) == 10
    correction = db.session.scalar(select(SyncOutboxEntry).where(SyncOutboxEntry.variant_id == variant.id))
    assert correction is not None and correction.delta == 3


def test_stale_difference_is_refused_with_the_message_beside_its_row(signed_in, merchant, branch, variant, drift):
    sync_state(db.session, merchant.id, variant.id, branch.id).version += 1  # Shopify's side moved since
    db.session.flush()

    response = signed_in.post(f"/inventory/drift/{drift.id}/accept", htmx=True)

    html = response.get_data(as_text=True)
    assert response.status_code == 422 and is_fragment(html)
    row = text_of(html, f"drift-{drift.id}")
    assert STALE in row and "Accept Shopify" in row
    assert 'class="row drift-row has-error"' in element(html, f"drift-{drift.id}")
    assert _drift(drift).status == DriftStatus.OPEN
    assert _level(variant, branch) == 10


def test_stale_difference_without_javascript_shows_the_page_with_the_message(
    signed_in, merchant, branch, variant, drift
):
    sync_state(db.session, merchant.id, variant.id, branch.id).version += 1
    db.session.flush()
    response = signed_in.post(f"/inventory/drift/{drift.id}/push")
    assert response.status_code == 422
    assert STALE in text_of(response.get_data(as_text=True), f"drift-{drift.id}")
    assert _drift(drift).status == DriftStatus.OPEN


def test_compare_now_starts_a_manual_comparison_and_answers_with_the_list(signed_in, merchant, stock_keeper):
    response = signed_in.post("/inventory/drift/reconcile", htmx=True)

    html = response.get_data(as_text=True)
    assert response.status_code == 200 and is_fragment(html)
    assert element(html, "drift-list") is not None
    run = db.session.scalar(select(Reconciliation).where(Reconciliation.merchant_id == merchant.id))
    assert run is not None and run.trigger == "manual" and run.started_by_id == stock_keeper.id


def test_cashier_can_neither_see_nor_resolve_differences(browser, cashier, branch, variant, drift):
    browser.sign_in(cashier)
    assert browser.get("/inventory/drift").status_code == 403
    assert browser.post(f"/inventory/drift/{drift.id}/accept").status_code == 403
    assert browser.post(f"/inventory/drift/{drift.id}/push").status_code == 403
    assert browser.post("/inventory/drift/reconcile").status_code == 403
    assert _drift(drift).status == DriftStatus.OPEN
    assert _level(variant, branch) == 10


def test_another_merchants_difference_is_not_found(browser, outsider, branch, variant, drift):
    browser.sign_in(outsider)
    assert browser.post(f"/inventory/drift/{drift.id}/accept").status_code == 404
    assert browser.post(f"/inventory/drift/{drift.id}/push").status_code == 404
    assert "Lawn suit" not in browser.get("/inventory/drift").get_data(as_text=True)
    assert _drift(drift).status == DriftStatus.OPEN
    assert _level(variant, branch) == 10


def test_stock_edit_needing_approval_asks_a_supervisor_then_accepts(
    signed_in, owner, roles, manager, stock_keeper, branch, variant, drift
):
    set_grant(db.session, Actor(owner), roles["Inventory"], Permission.STOCK_EDIT, Effect.NEEDS_APPROVAL)
    db.session.flush()

    asked = signed_in.post(f"/inventory/drift/{drift.id}/accept", htmx=True)
    assert asked.status_code == 403 and asked.headers["X-Approval-Required"] == Permission.STOCK_EDIT.value
    assert _drift(drift).status == DriftStatus.OPEN

    approved = signed_in.post(
        f"/inventory/drift/{drift.id}/accept",
        {"approver_id": str(manager.id), "approver_pin": factories.PIN},
        htmx=True,
    )
    assert approved.status_code == 200
    assert _drift(drift).status == DriftStatus.ACCEPTED and _level(variant, branch) == 7
    audit = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "stock.drift_accepted"))
    assert audit.actor_id == stock_keeper.id and audit.approver_id == manager.id
