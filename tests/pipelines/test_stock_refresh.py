"""The re-read after a webhook, against the Shopify sandbox: echoes of our own writes, changes made in Shopify."""

from __future__ import annotations

from datetime import timedelta

from ismartsync.extensions import db
from ismartsync.models.base import utcnow
from ismartsync.pipelines import stock_refresh
from ismartsync.services.stock.ledger import ledger_sum, level_of
from tests.pipelines.stock import entries, sell, shopify_movements, shopify_requests


def test_our_own_write_echoes_back_as_no_change(synced, run_jobs):
    variant = synced.variants(1)[0]
    sell(synced, variant, 1)
    run_jobs("shopify")
    level = level_of(db.session, variant, synced.branch)

    counts = stock_refresh.refresh_stock(db.session, synced.merchant_id, [variant.inventory_item_id])

    assert counts["in_step"] == 1 and counts["changed"] == 0
    assert level_of(db.session, variant, synced.branch) == level
    assert not shopify_movements(variant)


def test_a_change_made_in_shopify_is_recorded_and_never_pushed_back(synced, run_jobs):
    variant = synced.variants(1)[0]
    level = level_of(db.session, variant, synced.branch)
    synced.set_in_shopify(variant, level + 7)

    counts = stock_refresh.refresh_stock(
        db.session, synced.merchant_id, [variant.inventory_item_id], reference="gid://shopify/Test/1"
    )
    run_jobs("shopify")

    assert counts["changed"] == 1
    assert level_of(db.session, variant, synced.branch) == level + 7
    assert ledger_sum(db.session, variant, synced.branch) == level + 7
    [movement] = shopify_movements(variant)
    assert (movement.delta, movement.reference) == (7, "gid://shopify/Test/1")
    assert entries(variant) == []
    assert synced.shopify_on_hand(variant) == level + 7
    # The same notice again (a duplicate delivery) finds nothing new.
    assert stock_refresh.refresh_stock(db.session, synced.merchant_id, [variant.inventory_item_id])["changed"] == 0


def test_a_webhook_older_than_our_last_read_is_already_covered(synced):
    variant = synced.variants(1)[0]
    stock_refresh.refresh_stock(db.session, synced.merchant_id, [variant.inventory_item_id])
    old = utcnow() - timedelta(minutes=10)
    synced.set_in_shopify(variant, 1)

    counts = stock_refresh.refresh_stock(db.session, synced.merchant_id, [variant.inventory_item_id], triggered_at=old)

    assert counts["covered"] == 1 and counts["changed"] == 0


def test_the_echo_of_our_own_batch_is_recognised_without_reading_shopify(synced, run_jobs):
    variant = synced.variants(1)[0]
    sell(synced, variant, 1)
    run_jobs("shopify")
    echo = synced.shopify_level(variant)["available"]  # what Shopify's inventory_levels/update would announce
    synced.sandbox.control("DELETE", "/requests")

    counts = stock_refresh.refresh_stock(
        db.session,
        synced.merchant_id,
        [variant.inventory_item_id],
        location_id=synced.location.shopify_id,
        announced_available=echo,
    )

    assert counts["covered"] == 1
    assert shopify_requests(synced) == []
    # Another figure is news: Shopify is read, and an online order (available only) changes nothing of ours.
    counts = stock_refresh.refresh_stock(
        db.session,
        synced.merchant_id,
        [variant.inventory_item_id],
        location_id=synced.location.shopify_id,
        announced_available=echo - 1,
    )
    assert counts["in_step"] == 1
    assert shopify_requests(synced) == ["VariantInventoryLevels"]
    assert not shopify_movements(variant)


def test_a_change_at_the_30th_location_is_read_and_recorded(chain):
    """The re-read pages through the item's levels: the 30th store is past the first page of 10."""
    variant = chain.variants(1)[0]
    level = level_of(db.session, variant, chain.branch)
    chain.set_in_shopify(variant, level + 4)

    counts = stock_refresh.refresh_stock(
        db.session, chain.merchant_id, [variant.inventory_item_id], location_id=chain.location.shopify_id
    )

    assert counts["changed"] == 1
    assert level_of(db.session, variant, chain.branch) == level + 4
    assert ledger_sum(db.session, variant, chain.branch) == level + 4
    names = shopify_requests(chain)
    assert names.count("InventoryItemLevels") >= 1  # the levels after the first page
