"""A catalog import run: locations, products and variants, opening stock and customers from Shopify, progress saved
as it goes.

Full runs go through Shopify's bulk exports, incremental ones page through what changed since the last run's start
(`updated_at`). Each step commits, so the screen shows the progress and a failure keeps what was saved; storing
Shopify's shapes is `services/shopify_store/catalog_import.py`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ismartsync.models import ImportRun, ImportStatus, ShopifyLocation, StockLevel, Variant
from ismartsync.models.base import utcnow
from ismartsync.pipelines.shopify_client import open_client
from ismartsync.services.shopify_store import catalog_import
from ismartsync.services.shopify_store.connection import connection_of
from ismartsync.services.shopify_store.locations import ImportKind
from ismartsync.services.shopify_store.tokens import NotConnected
from ismartsync.services.stock.ledger import record_opening_stock
from ismartsync.shopify import importer
from ismartsync.shopify.errors import ShopifyAuthError, ShopifyError

log = logging.getLogger(__name__)


def run_catalog_import(session: Session, run_id: int) -> None:
    """Run one queued import to the end, committing progress as it goes; failures are recorded on the run."""
    run = session.get(ImportRun, run_id)
    if run is None or run.status != ImportStatus.QUEUED:
        return
    run.status, run.started_at = ImportStatus.RUNNING, utcnow()
    _step(session, run, "Reading locations")
    client = None
    try:
        # The client's token is renewed as the run goes: a bulk export may outlast a 60-minute token.
        client = open_client(session, run.merchant_id)
        locations = importer.fetch_locations(client)
        catalog_import.upsert_locations(session, run.merchant_id, locations)
        connection = connection_of(session, run.merchant_id)
        connection.served_api_version = client.served_version or connection.served_api_version
        session.commit()
        (_full if run.kind == ImportKind.FULL else _incremental)(session, run, client)
    except NotConnected as exc:
        _fail(session, run, f"{exc.message} Nothing was lost; start the import again once the store is connected.")
    except ShopifyAuthError as exc:
        _fail(session, run, f"Shopify refused our access: {exc}.")
    except ShopifyError as exc:
        _fail(session, run, f"Shopify did not answer as expected: {exc}. Nothing was lost; start the import again.")
    except Exception:
        log.exception("catalog import %s failed", run_id)
        _fail(session, run, "The import stopped on an unexpected error (logged). Nothing was lost; start it again.")
        raise
    else:
        run.status, run.finished_at, run.step = ImportStatus.SUCCEEDED, utcnow(), "Done"
        # Shopify's clock, not ours, stamps updatedAt: the next run starts at our start time less an overlap.
        run.high_water_mark = run.started_at
        run.total = run.done
        session.commit()
    finally:
        if client is not None:
            client.close()


def _full(session: Session, run: ImportRun, client: importer.GraphQLClient) -> None:
    counts = catalog_import.ImportCounts(locations=_mapped_locations(session, run), seen_ids=set())
    lines = importer.run_bulk_export(
        client,
        "BulkVariantsQuery",
        on_progress=lambda n: _step(session, run, f"Shopify is exporting the catalog ({n:,} rows)"),
    )
    _import_variants(session, run, lines, counts)
    if counts.seen_ids:  # an empty export deletes nothing: better a stale catalog than an empty one
        # Variants Shopify no longer has stay for their history (sales, movements) but leave the catalog.
        catalog_import.mark_missing_variants_deleted(session, run.merchant_id, counts.seen_ids)
    _open_stock(session, run, counts)
    customers = catalog_import.ImportCounts()
    lines = importer.run_bulk_export(
        client,
        "BulkCustomersQuery",
        on_progress=lambda n: _step(session, run, f"Shopify is exporting customers ({n:,})"),
    )
    for done in catalog_import.import_customer_lines(session, run.merchant_id, lines, customers):
        _step(session, run, "Saving customers", done=counts.seen + done)
    run.created, run.updated = counts.created + customers.created, counts.updated + customers.updated


def _incremental(session: Session, run: ImportRun, client: importer.GraphQLClient) -> None:
    since = run.since.strftime("%Y-%m-%dT%H:%M:%SZ") if run.since else "1970-01-01T00:00:00Z"
    counts = catalog_import.ImportCounts(locations=_mapped_locations(session, run))
    _import_variants(session, run, importer.changed_variants(client, since), counts)
    # Variants new since the last run have no stock at mapped branches yet: read their levels too.
    missing = session.scalars(
        select(Variant.inventory_item_id).where(
            Variant.merchant_id == run.merchant_id,
            Variant.tracked.is_(True),
            Variant.inventory_item_id.is_not(None),
            ~Variant.id.in_(select(StockLevel.variant_id)),
        )
    ).all()
    for level in importer.on_hand_levels(client, list(missing)):
        catalog_import.collect_levels(level, counts)
    _open_stock(session, run, counts)
    customers = catalog_import.ImportCounts()
    for done in catalog_import.import_customer_lines(
        session, run.merchant_id, importer.changed_customers(client, since), customers
    ):
        _step(session, run, "Saving customers", done=counts.seen + done)
    run.created, run.updated = counts.created + customers.created, counts.updated + customers.updated


def _step(session: Session, run: ImportRun, step: str, done: int | None = None, total: int | None = None) -> None:
    """Show where the run is (and how far), saved at once for the screen to poll."""
    run.step = step
    if done is not None:
        run.done = done
    if total is not None:
        run.total = total
    session.commit()


def _import_variants(
    session: Session, run: ImportRun, lines: Iterable[dict[str, Any]], counts: catalog_import.ImportCounts
) -> None:
    for done in catalog_import.import_variant_lines(session, run.merchant_id, lines, counts):
        run.created, run.updated = counts.created, counts.updated
        _step(session, run, "Saving products and variants", done=done)


def _open_stock(session: Session, run: ImportRun, counts: catalog_import.ImportCounts) -> None:
    """Opening stock for every mapped branch that has none yet for a tracked variant."""
    mapped = session.scalars(
        select(ShopifyLocation).where(
            ShopifyLocation.merchant_id == run.merchant_id, ShopifyLocation.branch_id.is_not(None)
        )
    ).all()
    if not mapped:
        return
    items = dict(
        session.execute(
            select(Variant.inventory_item_id, Variant.id).where(
                Variant.merchant_id == run.merchant_id,
                Variant.tracked.is_(True),
                Variant.inventory_item_id.is_not(None),
            )
        ).all()
    )
    for location in mapped:
        quantities = {
            items[item]: quantity
            for (item, location_id), quantity in counts.on_hand.items()
            if location_id == location.shopify_id and item in items
        }
        _step(session, run, f"Opening stock at {location.branch.name}")
        record_opening_stock(session, location.branch, quantities, f"gid://ismartsync/ImportRun/{run.id}")
    session.commit()


def _mapped_locations(session: Session, run: ImportRun) -> set[str]:
    return set(
        session.scalars(
            select(ShopifyLocation.shopify_id).where(
                ShopifyLocation.merchant_id == run.merchant_id, ShopifyLocation.branch_id.is_not(None)
            )
        )
    )


def _fail(session: Session, run: ImportRun, message: str) -> None:
    session.rollback()
    run = session.get(ImportRun, run.id)
    run.status, run.error, run.finished_at = ImportStatus.FAILED, message, utcnow()
    session.commit()
