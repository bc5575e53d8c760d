"""A comparison with Shopify: every linked location read in turn, each level compared with ours, drift recorded.

Each location is read outside any transaction, after noting every pair's sync version, so a pair that moved while
the read was in flight is counted busy instead of compared (`services/stock/reconciliation.py` records the rest).
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from ismartsync.models import Reconciliation, ReconciliationStatus
from ismartsync.models.base import utcnow
from ismartsync.pipelines.shopify_client import open_client
from ismartsync.services.stock.inbound import Outcome, mapped_pairs, quantities_by_pair, versions_before_read
from ismartsync.services.stock.reconciliation import mapped_locations, record_comparison
from ismartsync.shopify import importer
from ismartsync.shopify.client import ShopifyClient
from ismartsync.shopify.errors import ShopifyError

COMMIT_EVERY = 500  # comparisons recorded per transaction (each holds its pair's locks until the commit)


def run_reconciliation(session: Session, reconciliation_id: int) -> None:
    """Compare every mapped level of the merchant with Shopify's on_hand, branch by branch."""
    run = session.get(Reconciliation, reconciliation_id)
    if run is None or run.status != ReconciliationStatus.RUNNING:
        return
    try:
        client = open_client(session, run.merchant_id)
        with client:
            for location in mapped_locations(session, run.merchant_id):
                _compare_location(session, client, run, location.shopify_id, location.branch_id)
    except ShopifyError as exc:
        session.rollback()
        run = session.get(Reconciliation, reconciliation_id)
        run.status, run.error, run.finished_at = ReconciliationStatus.FAILED, exc.message[:2000], utcnow()
        session.commit()
        return
    run.status, run.finished_at = ReconciliationStatus.SUCCEEDED, utcnow()
    session.commit()


def _compare_location(
    session: Session, client: ShopifyClient, run: Reconciliation, location_id: str, branch_id: int
) -> None:
    pairs = mapped_pairs(session, run.merchant_id, branch_id=branch_id)
    versions = versions_before_read(session, run.merchant_id, branch_id)
    session.commit()
    started = utcnow()
    levels = list(importer.location_levels(client, location_id))
    for n, (pair, figures) in enumerate(quantities_by_pair(levels, pairs), start=1):
        outcome = record_comparison(
            session, run, pair, figures, seen_version=versions.get(pair.key, 0), read_at=started
        )
        run.checked += 1
        run.drifted += outcome == Outcome.CHANGED
        run.busy += outcome in (Outcome.BUSY, Outcome.IN_FLIGHT)
        if n % COMMIT_EVERY == 0:
            session.commit()
    session.commit()
