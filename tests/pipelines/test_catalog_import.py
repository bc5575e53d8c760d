"""The catalog import job against the Shopify sandbox: full, re-run, incremental, failures and retry."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from ismartsync.extensions import db
from ismartsync.models import (
    ImportRun,
    ImportStatus,
    ShopifyConnection,
    ShopifyLocation,
    StockLevel,
    StockMovement,
    Variant,
)
from ismartsync.models.shopify import AuthMethod, ConnectionStatus
from ismartsync.services.audit import Actor
from ismartsync.services.shopify_store.locations import map_branch, start_import
from ismartsync.services.stock.ledger import ledger_sum, level_of
from tests.sandbox_fixtures import CHAIN_SHOP, SHOP, TOKEN, http, requests_log
from tests.shopify.fixtures import install_with_oauth


@pytest.fixture
def connected(merchant, shopify_app):
    connection = ShopifyConnection(
        merchant=merchant,
        shop_domain=SHOP,
        auth_method=AuthMethod.ADMIN_TOKEN,
        access_token=TOKEN,
        shop_name="Zari Demo",
    )
    db.session.add(connection)
    db.session.commit()
    return connection


def _import(owner, run_jobs, kind=None) -> ImportRun:
    run = start_import(db.session, Actor(owner), kind)
    db.session.commit()
    run_jobs("shopify")
    db.session.expire_all()
    return db.session.get(ImportRun, run.id)


def _count(model, merchant) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(model.merchant_id == merchant.id))


def _sandbox_variants(sandbox) -> int:
    return len(sandbox.sandbox.shops[SHOP].variants)


def test_first_import_brings_locations_variants_customers_and_opening_stock(
    sandbox, connected, merchant, owner, branch, run_jobs
):
    first = _import(owner, run_jobs)
    assert first.status == ImportStatus.SUCCEEDED, first.error
    assert first.kind == "full"
    db.session.refresh(connected)
    assert connected.served_api_version == "2026-07"
    assert _count(Variant, merchant) == _sandbox_variants(sandbox)
    location = db.session.scalars(
        sa.select(ShopifyLocation).where(ShopifyLocation.merchant_id == merchant.id, ShopifyLocation.active)
    ).first()
    map_branch(db.session, Actor(owner), branch, location)
    db.session.commit()

    second = _import(owner, run_jobs, "full")
    assert second.status == ImportStatus.SUCCEEDED, second.error
    assert _count(StockLevel, merchant) > 0
    for level in db.session.scalars(sa.select(StockLevel).where(StockLevel.branch_id == branch.id)).all()[:50]:
        assert level.quantity == ledger_sum(db.session, level.variant, branch)


def test_opening_stock_matches_shopify_on_hand_and_a_rerun_changes_nothing(
    sandbox, connected, merchant, owner, branch, run_jobs
):
    _import(owner, run_jobs)
    location = db.session.scalars(
        sa.select(ShopifyLocation).where(ShopifyLocation.merchant_id == merchant.id, ShopifyLocation.active)
    ).first()
    map_branch(db.session, Actor(owner), branch, location)
    db.session.commit()
    _import(owner, run_jobs, "full")
    movements = _count(StockMovement, merchant)
    levels = dict(
        db.session.execute(
            sa.select(Variant.inventory_item_id, StockLevel.quantity)
            .join(StockLevel, StockLevel.variant_id == Variant.id)
            .where(StockLevel.branch_id == branch.id)
        ).all()
    )
    location_number = location.shopify_id.rsplit("/", 1)[1]
    shopify = sandbox.control("GET", f"/shops/{SHOP}/inventory?location_id={location_number}&limit=100000")
    rows = shopify if isinstance(shopify, list) else shopify.get("levels", shopify.get("inventory", []))
    on_hand = {str(r["inventory_item_id"]): r["on_hand"] for r in rows if r.get("tracked", True)}
    on_hand = {(k if k.startswith("gid://") else f"gid://shopify/InventoryItem/{k}"): v for k, v in on_hand.items()}
    assert levels and on_hand
    assert all(levels[item] == on_hand.get(item, 0) for item in levels)

    again = _import(owner, run_jobs, "full")
    assert (again.status, again.created, again.updated) == (ImportStatus.SUCCEEDED, 0, 0)
    assert _count(StockMovement, merchant) == movements


def test_an_incremental_import_picks_up_a_price_changed_in_shopify(sandbox, connected, merchant, owner, run_jobs):
    _import(owner, run_jobs)
    variant = db.session.scalars(sa.select(Variant).where(Variant.merchant_id == merchant.id)).first()
    sandbox.control("POST", f"/shops/{SHOP}/variants/{variant.shopify_id.rsplit('/', 1)[1]}", {"price": "1234.50"})
    run = _import(owner, run_jobs)
    assert (run.kind, run.status) == ("incremental", ImportStatus.SUCCEEDED)
    assert run.updated >= 1
    db.session.refresh(variant)
    assert variant.price_minor == 123450


def test_shopify_down_fails_the_run_with_a_clear_message_and_a_retry_succeeds(
    sandbox, connected, merchant, owner, run_jobs
):
    sandbox.control("POST", "/faults", {"mode": 503, "count": 50, "target": "graphql"})
    failed = _import(owner, run_jobs)
    assert failed.status == ImportStatus.FAILED
    assert "start the import again" in failed.error
    sandbox.control("POST", "/reset")
    retried = _import(owner, run_jobs)
    assert retried.status == ImportStatus.SUCCEEDED, retried.error


def test_a_pasted_token_shopify_no_longer_takes_fails_the_run_saying_so(sandbox, connected, owner, run_jobs):
    connected.access_token = "shpat_not_a_real_token"
    db.session.commit()
    failed = _import(owner, run_jobs)
    assert failed.status == ImportStatus.FAILED
    assert "refused the access token" in failed.error
    db.session.refresh(connected)  # a pasted token cannot be renewed: nothing was refused to renew
    assert connected.status == ConnectionStatus.CONNECTED


def test_a_full_import_takes_variants_deleted_in_shopify_out_of_the_catalog(
    sandbox, connected, merchant, owner, run_jobs
):
    _import(owner, run_jobs)
    variant = db.session.scalars(sa.select(Variant).where(Variant.merchant_id == merchant.id)).first()
    product_number = variant.product.shopify_id.rsplit("/", 1)[1]
    gone = {v.id for v in variant.product.variants}
    response = http("DELETE", f"{sandbox.url}/sandbox/control/shops/{SHOP}/products/{product_number}")
    assert response.status == 200, response.body
    run = _import(owner, run_jobs, "full")
    assert run.status == ImportStatus.SUCCEEDED, run.error
    deleted = set(
        db.session.scalars(
            sa.select(Variant.id).where(Variant.merchant_id == merchant.id, Variant.deleted_at.is_not(None))
        )
    )
    assert deleted == gone


def _oauth_import(owner, run_jobs, shopify_app) -> tuple[ImportRun, ShopifyConnection]:
    connection = install_with_oauth(shopify_app, owner)
    run = _import(owner, run_jobs, "full")
    db.session.refresh(connection)
    return run, connection


def test_an_import_whose_token_expires_half_way_completes(sandbox, shopify_app, merchant, owner, run_jobs):
    """Each status read of the export moves Shopify's clock on 20 minutes: the hour-long token runs out during the
    wait while our clock still gives it most of an hour. The 401 renews it once and the run goes on."""
    sandbox.control("POST", "/bulk", {"running_polls": 4, "seconds_per_poll": 1200})

    run, connection = _oauth_import(owner, run_jobs, shopify_app)

    assert run.status == ImportStatus.SUCCEEDED, run.error
    assert _count(Variant, merchant) == _sandbox_variants(sandbox)
    log = requests_log(sandbox)
    refused = [r for r in log if r["status"] == 401]
    assert refused and all(r["operation_name"] == "BulkOperationStatus" for r in refused)
    for r in refused:  # the same request, sent again at once with the renewed token
        after = next(e for e in log if e["seq"] > r["seq"])
        assert (after["operation_name"], after["status"]) == ("BulkOperationStatus", 200)
    assert sum(t.uses for t in sandbox.sandbox.auth.refresh_tokens.values()) == len(refused)
    assert connection.status == ConnectionStatus.CONNECTED and connection.last_error == ""


def test_an_import_with_short_lived_tokens_renews_each_before_it_runs_out(
    sandbox, shopify_app, merchant, owner, run_jobs
):
    """Tokens Shopify gives for two minutes always have under five left: each request takes a fresh one first, and
    none is ever refused, however long the export keeps the run waiting."""
    sandbox.control("POST", "/ttl", {"access_token": 120})
    sandbox.control("POST", "/bulk", {"running_polls": 3, "seconds_per_poll": 100})

    run, connection = _oauth_import(owner, run_jobs, shopify_app)

    assert run.status == ImportStatus.SUCCEEDED, run.error
    assert _count(Variant, merchant) == _sandbox_variants(sandbox)
    assert [r for r in requests_log(sandbox) if r["status"] == 401] == []
    assert sum(t.uses for t in sandbox.sandbox.auth.refresh_tokens.values()) >= 6  # 3+ polls each of 2 exports
    assert connection.status == ConnectionStatus.CONNECTED


def test_an_import_whose_token_renewal_is_refused_asks_to_reconnect(sandbox, shopify_app, merchant, owner, run_jobs):
    sandbox.control("POST", "/bulk", {"running_polls": 4, "seconds_per_poll": 1200})
    connection = install_with_oauth(shopify_app, owner)
    for token in sandbox.sandbox.auth.refresh_tokens.values():
        token.revoked = True  # replaced elsewhere (another deployment refreshed it): Shopify refuses it now

    run = _import(owner, run_jobs, "full")

    assert run.status == ImportStatus.FAILED
    assert "Reconnect the store" in run.error
    db.session.refresh(connection)
    assert connection.status == ConnectionStatus.RECONNECT


def test_a_30_location_shop_imports_its_levels_at_every_location(chain, merchant):
    """The branch is linked to the 30th store: its opening stock is Shopify's on_hand there, item by item."""
    levels = dict(
        db.session.execute(
            sa.select(Variant.inventory_item_id, StockLevel.quantity)
            .join(StockLevel, StockLevel.variant_id == Variant.id)
            .where(StockLevel.branch_id == chain.branch.id)
        ).all()
    )
    shopify = chain.sandbox.control("GET", f"/shops/{CHAIN_SHOP}/inventory?location_id={chain.location_number}")
    on_hand = {r["inventory_item_id"]: r["on_hand"] for r in shopify["levels"] if r["tracked"] and r["active"]}
    assert chain.location.name.startswith("Store 30") and len(on_hand) > 10
    assert levels == on_hand


def test_an_incremental_import_opens_new_variants_at_the_30th_location(chain, merchant, owner, run_jobs):
    created = chain.sandbox.control(
        "POST", f"/shops/{CHAIN_SHOP}/products", {"title": "Lawn 3pc — Sitara", "variants": [{"sku": "SIT-NEW-1"}]}
    )
    item = created["variants"][0]["inventory_item_id"]
    number = item.rsplit("/", 1)[1]
    chain.sandbox.control(
        "POST",
        f"/shops/{CHAIN_SHOP}/inventory",
        {"inventory_item_id": number, "location_id": chain.location_number, "on_hand": 13},
    )
    run = _import(owner, run_jobs)

    assert (run.kind, run.status) == ("incremental", ImportStatus.SUCCEEDED), run.error
    variant = db.session.scalar(sa.select(Variant).where(Variant.inventory_item_id == item))
    assert level_of(db.session, variant, chain.branch) == 13
