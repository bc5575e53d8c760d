"""When a merchant's store is compared with Shopify on schedule: hourly, or every few minutes for a store whose
webhooks cannot be verified (so none come)."""

from __future__ import annotations

from datetime import timedelta

from ismartsync.extensions import db
from ismartsync.models import Reconciliation, ReconciliationStatus, ShopifyConnection, ShopifyLocation
from ismartsync.models.base import utcnow
from ismartsync.models.shopify import AuthMethod
from ismartsync.services.stock.reconciliation import due_reconciliations
from tests import factories

HOURLY, SHORT = timedelta(minutes=60), timedelta(minutes=10)


def _compared(merchant, *, method: AuthMethod, secret: str | None, ago: timedelta) -> None:
    branch = factories.BranchFactory(merchant=merchant)
    db.session.add_all(
        [
            ShopifyConnection(
                merchant=merchant,
                shop_domain=f"m{merchant.id}.myshopify.com",
                auth_method=method,
                access_token="shpat_x",
                client_secret=secret,
            ),
            ShopifyLocation(merchant=merchant, shopify_id=f"gid://shopify/Location/{merchant.id}", name="L",
                            branch=branch),
            Reconciliation(merchant=merchant, trigger="scheduled", started_at=utcnow() - ago,
                           status=ReconciliationStatus.SUCCEEDED),
        ]
    )  # fmt: skip
    db.session.flush()


def test_a_store_without_verifiable_webhooks_is_compared_every_few_minutes():
    unverifiable, pasted_with_key, installed = (factories.MerchantFactory() for _ in range(3))
    _compared(unverifiable, method=AuthMethod.ADMIN_TOKEN, secret=None, ago=timedelta(minutes=15))
    _compared(pasted_with_key, method=AuthMethod.ADMIN_TOKEN, secret="shpss_k", ago=timedelta(minutes=15))
    _compared(installed, method=AuthMethod.OAUTH, secret=None, ago=timedelta(minutes=15))

    assert due_reconciliations(db.session, utcnow(), HOURLY, SHORT) == [unverifiable.id]
    assert due_reconciliations(db.session, utcnow(), HOURLY) == []
    later = utcnow() + timedelta(minutes=50)
    assert sorted(due_reconciliations(db.session, later, HOURLY, SHORT)) == sorted(
        [unverifiable.id, pasted_with_key.id, installed.id]
    )
