"""`flask seed-demo`: the demo merchant, ready to sell."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import delete, select

from ismartsync import cli
from ismartsync.extensions import db
from ismartsync.models import AuditEntry, Counter, User
from ismartsync.services.audit import Actor
from ismartsync.services.fiscal.settings import (
    counter_reports_to_fbr,
    token_for,
    update_counter_fbr,
    update_fbr_settings,
)
from ismartsync.services.payment_methods import active_payment_methods
from ismartsync.services.shopify_store.subscriptions import SYNC_TOPICS
from sandbox.fbr.__main__ import token_specs
from tests.sandbox_fixtures import SHOP, TOKEN
from tests.shopify.fixtures import start_sandbox, use_sandbox  # noqa: F401
from tests.shopify.synced import connect


def test_demo_merchant_takes_a_bank_transfer_and_a_wallet_and_seeding_twice_adds_nothing():
    cli.seed_demo()
    cli.seed_demo()
    owner = db.session.scalar(select(User).where(User.email == cli.DEMO_OWNER))
    offered = active_payment_methods(db.session, owner.merchant_id)
    assert [(m.kind, m.name, m.account_number, m.iban) for m in offered] == [
        ("bank", "Meezan Bank", "0101 0104567890", "PK85MEZN0001010104567890"),
        ("wallet", "JazzCash", "0300 1234567", ""),
    ]


def _demo_merchant():
    db.session.expire_all()
    return db.session.scalar(select(User).where(User.email == cli.DEMO_OWNER)).merchant


def _demo_counters(merchant) -> dict[tuple[str, str], Counter]:
    counters = db.session.scalars(select(Counter).where(Counter.merchant_id == merchant.id))
    return {(c.branch.code, c.name): c for c in counters}


def test_demo_counters_report_to_the_fbr_sandbox_with_the_token_the_run_script_gives_it():
    cli.seed_demo()
    cli.seed_demo()
    merchant = _demo_merchant()
    assert (merchant.fiscal_backend, merchant.fiscal_environment, merchant.default_pct_code) == (
        "ims_cloud",
        "sandbox",
        "62044200",
    )
    counters = _demo_counters(merchant)
    assert {key: c.fbr_pos_id for key, c in counters.items()} == cli.DEMO_FBR_POSIDS
    assert all(
        counter_reports_to_fbr(merchant, c) and token_for(merchant, c) == cli.DEMO_FBR_TOKEN for c in counters.values()
    )
    assert len(db.session.scalars(select(AuditEntry).where(AuditEntry.action == "settings.fbr")).all()) == 1

    script = (Path(__file__).parents[1] / "scripts" / "run-demo.sh").read_text()
    spec = re.search(r'FBR_DEMO_TOKENS="([^"]+)"', script).group(1)
    assert {(t["posid"], t["token"], t["environment"]) for t in token_specs(spec)} == {
        (posid, cli.DEMO_FBR_TOKEN, "sandbox") for posid in cli.DEMO_FBR_POSIDS.values()
    }
    assert "ISMARTSYNC_FBR_API_BASE=http://127.0.0.1:5002" in script and "--port 5002" in script


def test_demo_database_made_before_fbr_settings_gets_them_on_the_next_seed():
    cli.seed_demo()
    merchant = _demo_merchant()
    db.session.execute(delete(AuditEntry).where(AuditEntry.action.in_(["settings.fbr", "counter.fbr"])))
    merchant.fiscal_backend, merchant.fbr_token, merchant.default_pct_code = "off", None, ""
    for counter in _demo_counters(merchant).values():
        counter.fbr_enabled, counter.fbr_pos_id = False, None
    db.session.commit()

    cli.seed_demo()

    merchant = _demo_merchant()
    assert merchant.fiscal_backend == "ims_cloud" and merchant.fbr_token == cli.DEMO_FBR_TOKEN
    assert all(c.fbr_enabled for c in _demo_counters(merchant).values())


def test_seeding_again_keeps_what_a_person_chose_in_settings_fbr():
    cli.seed_demo()
    merchant = _demo_merchant()
    owner = db.session.scalar(select(User).where(User.email == cli.DEMO_OWNER))
    for counter in _demo_counters(merchant).values():
        update_counter_fbr(db.session, Actor(owner), counter, enabled=False, pos_id=None)
    update_fbr_settings(
        db.session,
        Actor(owner),
        merchant,
        fiscal_backend="off",
        fiscal_environment="production",
        default_pct_code="",
        remove_token=True,
    )
    db.session.commit()

    cli.seed_demo()

    merchant = _demo_merchant()
    assert (merchant.fiscal_backend, merchant.fiscal_environment, merchant.fbr_token) == ("off", "production", None)
    assert not any(c.fbr_enabled or c.fbr_pos_id for c in _demo_counters(merchant).values())


# `flask shopify-check` against the Shopify sandbox.


@pytest.fixture
def check(app):
    def run(*args: str):
        return app.test_cli_runner().invoke(args=["shopify-check", *args])

    return run


def test_shopify_check_passes_on_a_connected_store_with_its_subscriptions(
    check, start_sandbox, use_sandbox, owner, run_jobs  # noqa: F811
):
    running = start_sandbox(variants=20)
    use_sandbox(running)
    connect(running, owner, run_jobs)
    running.control("POST", f"/shops/{SHOP}/orders", {"lines": [{"sku": _a_sku(running), "quantity": 1}]})

    result = check(SHOP)

    assert result.exit_code == 0, result.output
    assert f"{SHOP} is ready for iSmartSync." in result.output
    assert "ok      API version: Shopify serves 2026-07" in result.output
    assert f"ok      Webhooks: all {len(SYNC_TOPICS)} topics subscribed at" in result.output
    for kind in ("Scopes", "Shop", "Products", "Locations", "Inventory levels", "Orders"):
        assert f"ok      {kind}: " in result.output
    assert "PROBLEM" not in result.output


def test_shopify_check_reports_a_missing_subscription(check, start_sandbox, use_sandbox, owner, run_jobs):  # noqa: F811
    running = start_sandbox(variants=20)
    use_sandbox(running)
    connect(running, owner, run_jobs)
    with running.sandbox.lock:
        subs = running.sandbox.subscriptions[SHOP]
        subs.remove(next(s for s in subs if s.topic == "products/update"))

    result = check("--shop", SHOP)

    assert result.exit_code == 1
    assert "PROBLEM Webhooks: not subscribed at" in result.output and ": products/update" in result.output
    assert f"1 problem(s) with {SHOP}." in result.output


def test_shopify_check_reports_a_missing_scope_for_a_token(check, start_sandbox, use_sandbox):  # noqa: F811
    narrow = "read_products,read_inventory,write_inventory,read_locations,read_customers"
    running = start_sandbox(variants=20, tokens=[{"token": TOKEN, "shop": SHOP, "scope": narrow}])
    use_sandbox(running)

    result = check(SHOP, "--token", TOKEN)

    assert result.exit_code == 1
    assert "PROBLEM Scopes: missing read_orders (granted: read_customers, read_inventory," in result.output
    assert "ok      Orders: not read (read_orders is not granted)" in result.output
    assert "PROBLEM Webhooks: not subscribed at" in result.output  # nothing subscribed this token's app yet


def test_shopify_check_of_a_store_nobody_connected_says_how_to_check_it(check):
    result = check(SHOP)

    assert result.exit_code == 1
    assert f"No merchant has {SHOP} connected here: pass --token" in result.output


def _a_sku(running) -> str:
    levels = running.control("GET", f"/shops/{SHOP}/inventory?limit=30")["levels"]
    return next(lv["sku"] for lv in levels if lv["active"] and lv["available"] > 0 and lv["sku"])
