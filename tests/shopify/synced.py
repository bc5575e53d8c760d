"""A merchant whose store is connected, imported and whose branch is linked to a Shopify location with stock.

Fixtures and helpers for the stock-sync tests (jobs, views, benchmarks import them). `synced` is the Zari demo shop
linked at its first location; `chain` is the sandbox's 30-store shop linked at its 30th location (past the first
page of 10 inventory levels an item query gives).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
import sqlalchemy as sa
from flask import current_app

from ismartsync.extensions import db
from ismartsync.models import (
    Branch,
    ImportStatus,
    ShopifyConnection,
    ShopifyLocation,
    StockLevel,
    Variant,
)
from ismartsync.services.audit import Actor
from ismartsync.services.shopify_store.connection import connect_with_admin_token
from ismartsync.services.shopify_store.locations import map_branch, start_import
from ismartsync.shopify.oauth import ShopifyApp
from tests.sandbox_fixtures import CHAIN_SHOP, SHOP, TOKEN, RunningSandbox


@dataclass
class Synced:
    sandbox: RunningSandbox
    merchant_id: int
    branch: Branch
    location: ShopifyLocation
    shop: str = SHOP

    @property
    def location_number(self) -> str:
        return self.location.shopify_id.rsplit("/", 1)[1]

    def variants(self, count: int = 5) -> list[Variant]:
        """Tracked variants stocked at the branch, with some stock."""
        return list(
            db.session.scalars(
                sa.select(Variant)
                .join(StockLevel, StockLevel.variant_id == Variant.id)
                .where(
                    StockLevel.branch_id == self.branch.id,
                    StockLevel.quantity > 5,
                    Variant.tracked.is_(True),
                )
                .order_by(Variant.id)
                .limit(count)
            )
        )

    def shopify_level(self, variant: Variant) -> dict[str, Any]:
        number = variant.inventory_item_id.rsplit("/", 1)[1]
        rows = self.sandbox.control(
            "GET", f"/shops/{self.shop}/inventory?inventory_item_id={number}&location_id={self.location_number}"
        )
        rows = rows if isinstance(rows, list) else rows.get("levels", rows.get("inventory", []))
        assert len(rows) == 1, rows
        return rows[0]

    def shopify_on_hand(self, variant: Variant) -> int:
        return int(self.shopify_level(variant)["on_hand"])

    def set_in_shopify(self, variant: Variant, on_hand: int) -> None:
        """Someone changes the quantity in Shopify's admin."""
        number = variant.inventory_item_id.rsplit("/", 1)[1]
        self.sandbox.control(
            "POST",
            f"/shops/{self.shop}/inventory",
            {"inventory_item_id": number, "location_id": self.location_number, "on_hand": on_hand},
        )


def connect(
    sandbox: RunningSandbox, owner: Any, run_jobs: Any, *, shop: str = SHOP, token: str = TOKEN
) -> ShopifyConnection:
    """Paste `token` with its custom app's API secret key, as a merchant would; the subscriptions job that follows
    the connect subscribes the store's webhooks (to the sandbox's app URL: see `use_sandbox`)."""
    connection = connect_with_admin_token(
        db.session,
        Actor(owner),
        ShopifyApp.from_config(current_app.config),
        shop=shop,
        token=token,
        api_secret_key=sandbox.custom_app_secret(shop),
    )
    db.session.commit()
    run_jobs("shopify")
    return connection


def connect_and_import(
    sandbox: RunningSandbox,
    merchant: Any,
    owner: Any,
    branch: Branch,
    run_jobs: Any,
    *,
    shop: str = SHOP,
    token: str = TOKEN,
    location_index: int = 0,
) -> Synced:
    """Connect `shop` with a pasted token, import, link `branch` to its active location number `location_index`
    (in Shopify's id order) and import again for the branch's opening stock."""
    connect(sandbox, owner, run_jobs, shop=shop, token=token)
    # What the connect asked of Shopify (the token check, the subscriptions) is setup, not the traffic a test counts.
    sandbox.control("DELETE", "/requests")
    import_catalog(owner, run_jobs)
    location = db.session.scalars(
        sa.select(ShopifyLocation)
        .where(ShopifyLocation.merchant_id == merchant.id, ShopifyLocation.active)
        .order_by(ShopifyLocation.id)
    ).all()[location_index]
    map_branch(db.session, Actor(owner), branch, location)
    db.session.commit()
    import_catalog(owner, run_jobs, "full")
    return Synced(sandbox, merchant.id, branch, location, shop)


def import_catalog(owner: Any, run_jobs: Any, kind: str | None = None) -> None:
    run = start_import(db.session, Actor(owner), kind)
    db.session.commit()
    run_jobs("shopify")
    db.session.refresh(run)
    assert run.status == ImportStatus.SUCCEEDED, run.error


@pytest.fixture
def synced(sandbox, shopify_app, merchant, owner, branch, run_jobs) -> Synced:
    return connect_and_import(sandbox, merchant, owner, branch, run_jobs)


@pytest.fixture
def chain(sandbox, shopify_app, merchant, owner, branch, run_jobs) -> Synced:
    """The 30-store shop, the branch linked to its 30th store."""
    token = sandbox.control("POST", "/tokens", {"shop": CHAIN_SHOP})["access_token"]  # its custom app's
    return connect_and_import(
        sandbox, merchant, owner, branch, run_jobs, shop=CHAIN_SHOP, token=token, location_index=29
    )
