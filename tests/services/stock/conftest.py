"""Fixtures the stock-sync service tests share: an item at Gulberg, which is linked to a Shopify location."""

from __future__ import annotations

import pytest

from ismartsync.extensions import db
from ismartsync.models import Branch, ShopifyLocation, Variant
from ismartsync.services.stock.inbound import Pair
from ismartsync.services.stock.sync_outbox import forget_mapped_locations
from tests import factories

LOCATION = "gid://shopify/Location/1"


def link(branch: Branch, shopify_id: str, *, active: bool = True) -> ShopifyLocation:
    """Link the branch to a Shopify location, as the Locations screen does (in Shopify's data, not through it)."""
    location = ShopifyLocation(
        merchant_id=branch.merchant_id, shopify_id=shopify_id, name=f"{branch.name} store", branch=branch, active=active
    )
    db.session.add(location)
    db.session.flush()
    forget_mapped_locations(db.session)
    return location


def pair_of(variant: Variant, branch: Branch, location_id: str = LOCATION) -> Pair:
    return Pair(variant.merchant_id, variant.id, branch.id, variant.inventory_item_id, location_id)


@pytest.fixture
def variant(merchant):
    return factories.VariantFactory(product__merchant=merchant, product__title="Lawn suit")


@pytest.fixture
def location(branch):
    return link(branch, LOCATION)
