"""Full catalog import of a large shop from the Shopify sandbox: wall time and peak memory of our process.

Run with `make bench` (or `python -m bench.catalog_import --variants 100000`). The sandbox runs as its own process,
so its memory is not counted. PostgreSQL when ISMARTSYNC_BENCH_DATABASE_URL is set, else a temporary SQLite file.
"""

from __future__ import annotations

import argparse
import logging
import os
import resource
import tempfile
import time

from flask_migrate import upgrade
from sqlalchemy import func, select

from bench.common import SHOP, TOKEN, start_sandbox
from ismartsync import create_app
from ismartsync.extensions import db
from ismartsync.models import Branch, ImportRun, Merchant, ShopifyConnection, ShopifyLocation, StockLevel, Variant
from ismartsync.models.shopify import AuthMethod
from ismartsync.services.audit import Actor
from ismartsync.services.merchants import sign_up_owner
from ismartsync.services.shopify_store.locations import map_branch, start_import


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--variants", type=int, default=100_000)
    args = parser.parse_args()
    logging.getLogger("ismartsync").setLevel(logging.WARNING)
    url = os.environ.get("ISMARTSYNC_BENCH_DATABASE_URL") or f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite3"
    sandbox, sandbox_url = start_sandbox(args.variants)
    try:
        app = create_app(
            {
                "TESTING": True,
                "SQLALCHEMY_DATABASE_URI": url,
                "SECRET_KEY": "bench",
                "LOG_FORMAT": "text",
                "REDIS_URL": None,
                "SHOPIFY_API_BASE": f"{sandbox_url}/shops/{{shop}}",
            }
        )
        with app.app_context():
            upgrade()
            owner = sign_up_owner(
                db.session,
                legal_name="Bench Ltd",
                brand_name="Bench",
                owner_name="Bench Owner",
                email=f"bench-{time.time_ns()}@example.com",
                password="bench-password-1",
            )
            merchant = db.session.get(Merchant, owner.merchant_id)
            db.session.add(
                ShopifyConnection(
                    merchant=merchant, shop_domain=SHOP, auth_method=AuthMethod.ADMIN_TOKEN, access_token=TOKEN
                )
            )
            db.session.commit()
            # Locations first (a small incremental run would do; a full one is what we time below).
            from ismartsync.pipelines.shopify_client import open_client
            from ismartsync.services.shopify_store.catalog_import import upsert_locations
            from ismartsync.shopify.importer import fetch_locations

            with open_client(db.session, merchant.id) as client:
                upsert_locations(db.session, merchant.id, fetch_locations(client))
            branch = db.session.scalar(select(Branch).where(Branch.merchant_id == merchant.id))
            location = db.session.scalars(
                select(ShopifyLocation).where(ShopifyLocation.merchant_id == merchant.id, ShopifyLocation.active)
            ).first()
            map_branch(db.session, Actor(owner), branch, location)
            db.session.commit()

            started = time.perf_counter()
            run = start_import(db.session, Actor(owner), "full")
            db.session.commit()  # in-process: the job runs right after this commit
            elapsed = time.perf_counter() - started
            db.session.expire_all()
            run = db.session.get(ImportRun, run.id)
            variants = db.session.scalar(
                select(func.count()).select_from(Variant).where(Variant.merchant_id == merchant.id)
            )
            levels = db.session.scalar(
                select(func.count()).select_from(StockLevel).where(StockLevel.branch_id == branch.id)
            )
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"database: {url.split(':')[0]}")
        print(
            f"full import of {args.variants:,} variants: status={run.status} wall={elapsed:.1f} s "
            f"peak RSS={peak_mb:.0f} MB variants={variants:,} opening levels={levels:,}"
        )
        if run.status != "succeeded":
            print(f"error: {run.error}")
    finally:
        sandbox.terminate()
        sandbox.wait(timeout=10)


if __name__ == "__main__":
    main()
