"""The order sync's schedule: every connected store whose last run finished ORDER_SYNC_MINUTES ago (or never ran),
never one whose run is in progress, never a disconnected store."""

from __future__ import annotations

from datetime import timedelta

import pytest

from ismartsync.extensions import db
from ismartsync.models import ConnectionStatus, ShopifyConnection
from ismartsync.models.base import utcnow
from ismartsync.models.online_order import OrderSync, OrderSyncStatus
from ismartsync.models.shopify import AuthMethod
from ismartsync.queue import get_queue
from ismartsync.services.online_orders.sync import STALE_RUN, due_syncs
from jobs.shopify import schedule_order_syncs
from tests.conftest import REDIS_URL
from tests.sandbox_fixtures import SHOP, TOKEN

EVERY = timedelta(minutes=10)


def _store(merchant, status: str = ConnectionStatus.CONNECTED) -> None:
    db.session.add(
        ShopifyConnection(
            merchant=merchant, shop_domain=SHOP, auth_method=AuthMethod.ADMIN_TOKEN, access_token=TOKEN, status=status
        )
    )
    db.session.flush()


def _sync(merchant, status: str, *, started_ago: timedelta, finished_ago: timedelta | None) -> None:
    now = utcnow()
    db.session.add(
        OrderSync(
            merchant=merchant,
            status=status,
            started_at=now - started_ago,
            finished_at=now - finished_ago if finished_ago is not None else None,
        )
    )
    db.session.flush()


@pytest.fixture
def empty_shopify_queue(app):
    yield
    if REDIS_URL:
        get_queue("shopify").empty()  # the syncs it queued belong to a rolled-back test


def test_a_store_never_synced_is_due(merchant):
    _store(merchant)
    assert due_syncs(db.session, EVERY) == [merchant.id]


@pytest.mark.parametrize(
    ("status", "started_ago", "finished_ago", "due"),
    [
        (OrderSyncStatus.IDLE, timedelta(minutes=12), timedelta(minutes=11), True),
        (OrderSyncStatus.IDLE, timedelta(minutes=6), timedelta(minutes=5), False),
        (OrderSyncStatus.FAILED, timedelta(minutes=12), timedelta(minutes=11), True),
        (OrderSyncStatus.RUNNING, timedelta(minutes=1), timedelta(minutes=20), False),
        (OrderSyncStatus.RUNNING, STALE_RUN + timedelta(minutes=1), timedelta(hours=2), True),  # its worker died
    ],
)
def test_a_store_is_due_once_its_last_run_finished_long_enough_ago(merchant, status, started_ago, finished_ago, due):
    _store(merchant)
    _sync(merchant, status, started_ago=started_ago, finished_ago=finished_ago)

    assert due_syncs(db.session, EVERY) == ([merchant.id] if due else [])


def test_a_disconnected_store_is_never_due(merchant, other_merchant, empty_shopify_queue):
    _store(merchant)
    _store(other_merchant, ConnectionStatus.DISCONNECTED)
    _sync(merchant, OrderSyncStatus.IDLE, started_ago=timedelta(minutes=2), finished_ago=timedelta(minutes=1))

    assert schedule_order_syncs() == 0
