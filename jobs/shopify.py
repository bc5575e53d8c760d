"""Shopify jobs: the catalog import (full through bulk exports, or incremental by `updated_at`), and its schedule."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from flask import current_app
from sqlalchemy import select

from ismartsync.extensions import db
from ismartsync.models import (
    ConnectionStatus,
    ImportRun,
    ImportStatus,
    ShopifyConnection,
    ShopifyLocation,
    StockLevel,
    Variant,
)
from ismartsync.models.base import utcnow
from ismartsync.services import catalog_import
from ismartsync.services.shopify_connection import connection_of
from ismartsync.services.shopify_sync import ImportKind, start_scheduled_import
from ismartsync.services.shopify_tokens import client_for
from ismartsync.services.stock import record_opening_stock
from ismartsync.shopify import importer
from ismartsync.shopify.errors import ShopifyAuthError, ShopifyError
from jobs import job

log = logging.getLogger(__name__)


def _step(run: ImportRun, step: str, done: int | None = None, total: int | None = None) -> None:
    run.step = step
    if done is not None:
        run.done = done
    if total is not None:
        run.total = total
    db.session.commit()


def _import_variants(run: ImportRun, lines: Iterable[dict[str, Any]], counts: catalog_import.ImportCounts) -> None:
    for done in catalog_import.import_variant_lines(db.session, run.merchant_id, lines, counts):
        run.created, run.updated = counts.created, counts.updated
        _step(run, "Saving products and variants", done=done)


def _open_stock(run: ImportRun, counts: catalog_import.ImportCounts) -> None:
    """Opening stock for every mapped branch that has none yet for a tracked variant."""
    mapped = db.session.scalars(
        select(ShopifyLocation).where(
            ShopifyLocation.merchant_id == run.merchant_id, ShopifyLocation.branch_id.is_not(None)
        )
    ).all()
    if not mapped:
        return
    items = dict(
        db.session.execute(
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
        _step(run, f"Opening stock at {location.branch.name}")
        record_opening_stock(db.session, location.branch, quantities, f"gid://ismartsync/ImportRun/{run.id}")
    db.session.commit()


def _mapped_locations(run: ImportRun) -> set[str]:
    return set(
        db.session.scalars(
            select(ShopifyLocation.shopify_id).where(
                ShopifyLocation.merchant_id == run.merchant_id, ShopifyLocation.branch_id.is_not(None)
            )
        )
    )


def _full(run: ImportRun, client: importer.GraphQLClient) -> None:
    counts = catalog_import.ImportCounts(locations=_mapped_locations(run), seen_ids=set())
    lines = importer.run_bulk_export(
        client, "BulkVariantsQuery", on_progress=lambda n: _step(run, f"Shopify is exporting the catalog ({n:,} rows)")
    )
    _import_variants(run, lines, counts)
    if counts.seen_ids:  # an empty export deletes nothing: better a stale catalog than an empty one
        # Variants Shopify no longer has stay for their history (sales, movements) but leave the catalog.
        catalog_import.mark_missing_variants_deleted(db.session, run.merchant_id, counts.seen_ids)
    _open_stock(run, counts)
    customers = catalog_import.ImportCounts()
    lines = importer.run_bulk_export(
        client, "BulkCustomersQuery", on_progress=lambda n: _step(run, f"Shopify is exporting customers ({n:,})")
    )
    for done in catalog_import.import_customer_lines(db.session, run.merchant_id, lines, customers):
        _step(run, "Saving customers", done=counts.seen + done)
    run.created, run.updated = counts.created + customers.created, counts.updated + customers.updated


def _incremental(run: ImportRun, client: importer.GraphQLClient) -> None:
    since = run.since.strftime("%Y-%m-%dT%H:%M:%SZ") if run.since else "1970-01-01T00:00:00Z"
    counts = catalog_import.ImportCounts(locations=_mapped_locations(run))
    _import_variants(run, importer.changed_variants(client, since), counts)
    # Variants new since the last run have no stock at mapped branches yet: read their levels too.
    missing = db.session.scalars(
        select(Variant.inventory_item_id).where(
            Variant.merchant_id == run.merchant_id,
            Variant.tracked.is_(True),
            Variant.inventory_item_id.is_not(None),
            ~Variant.id.in_(select(StockLevel.variant_id)),
        )
    ).all()
    for level in importer.on_hand_levels(client, list(missing)):
        catalog_import.collect_levels(level, counts)
    _open_stock(run, counts)
    customers = catalog_import.ImportCounts()
    for done in catalog_import.import_customer_lines(
        db.session, run.merchant_id, importer.changed_customers(client, since), customers
    ):
        _step(run, "Saving customers", done=counts.seen + done)
    run.created, run.updated = counts.created + customers.created, counts.updated + customers.updated


@job
def run_catalog_import(run_id: int) -> None:
    """Run one queued import to the end, committing progress as it goes; failures are recorded on the run."""
    run = db.session.get(ImportRun, run_id)
    if run is None or run.status != ImportStatus.QUEUED:
        return
    run.status, run.started_at = ImportStatus.RUNNING, utcnow()
    _step(run, "Reading locations")
    try:
        connection = connection_of(db.session, run.merchant_id)
        if connection is None or not connection.is_connected:
            raise ShopifyAuthError("The Shopify store is not connected.")
        client = client_for(db.session, connection)
        catalog_import.upsert_locations(db.session, run.merchant_id, importer.fetch_locations(client))
        connection.served_api_version = client.served_version or connection.served_api_version
        db.session.commit()
        (_full if run.kind == ImportKind.FULL else _incremental)(run, client)
    except ShopifyAuthError as exc:
        _fail(run, f"Shopify refused our access: {exc}. Reconnect the store under Settings → Shopify.")
    except ShopifyError as exc:
        _fail(run, f"Shopify did not answer as expected: {exc}. Nothing was lost; start the import again.")
    except Exception:
        log.exception("catalog import %s failed", run_id)
        _fail(run, "The import stopped on an unexpected error (logged). Nothing was lost; start it again.")
        raise
    else:
        run.status, run.finished_at, run.step = ImportStatus.SUCCEEDED, utcnow(), "Done"
        # Shopify's clock, not ours, stamps updatedAt: the next run starts at our start time less an overlap.
        run.high_water_mark = run.started_at
        run.total = run.done
        db.session.commit()


def _fail(run: ImportRun, message: str) -> None:
    db.session.rollback()
    run = db.session.get(ImportRun, run.id)
    run.status, run.error, run.finished_at = ImportStatus.FAILED, message, utcnow()
    db.session.commit()


@job
def schedule_incremental_imports() -> int:
    """Every minute: an incremental import for each connected merchant whose last import finished long enough ago
    (`SHOPIFY_INCREMENTAL_MINUTES`) after a successful full one. Returns how many were started."""
    every = timedelta(minutes=current_app.config["SHOPIFY_INCREMENTAL_MINUTES"])
    merchant_ids = db.session.scalars(
        select(ShopifyConnection.merchant_id).where(
            ShopifyConnection.status == ConnectionStatus.CONNECTED,
            select(ImportRun.id)
            .where(
                ImportRun.merchant_id == ShopifyConnection.merchant_id,
                ImportRun.kind == ImportKind.FULL,
                ImportRun.status == ImportStatus.SUCCEEDED,
            )
            .exists(),
        )
    ).all()
    started = 0
    for merchant_id in merchant_ids:
        try:
            if start_scheduled_import(db.session, merchant_id, every) is not None:
                started += 1
            db.session.commit()  # each merchant alone: one failing never holds back the others
        except Exception:
            db.session.rollback()
            log.exception("could not schedule an incremental import for merchant %s", merchant_id)
    return started
