"""iSmartSync: point of sale and branch operations for Shopify retailers in Pakistan."""

from __future__ import annotations

import os
import sqlite3
from importlib import import_module
from typing import Any

from dotenv import load_dotenv
from flask import Flask
from sqlalchemy import Engine, event
from werkzeug.middleware.proxy_fix import ProxyFix

from ismartsync.config import Settings, check_production


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the app from `ISMARTSYNC_*` settings, with `config` overriding them (tests)."""
    if os.path.exists(".env"):
        load_dotenv(".env")
    app = Flask(__name__, instance_relative_config=True)
    app.config.from_mapping(Settings().flask_config())
    if config:
        app.config.update(config)
    check_production(app.config)
    os.makedirs(app.instance_path, exist_ok=True)
    if hops := app.config["PROXY_HOPS"]:
        # The client's address (sign-in throttling, the audit log) and https (secure cookies, HSTS) as the proxies say.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]

    from ismartsync import access, cli, crypto, inputs, static_files, templating, throttle, web
    from ismartsync.extensions import compress, csrf, db, htmx, limiter, login_manager, migrate

    crypto.configure(app.config["ENCRYPTION_KEYS"])
    db.init_app(app)
    migrate.init_app(
        app,
        db,
        directory=os.path.join(os.path.dirname(app.root_path), "migrations"),
        render_as_batch=True,
        compare_type=True,
    )
    login_manager.init_app(app)
    csrf.init_app(app)
    htmx.init_app(app)
    compress.init_app(app)
    limiter.init_app(app)
    throttle.init_app(app)
    web.init_app(app)
    inputs.init_app(app)
    access.init_app(app)
    templating.init_app(app)
    static_files.init_app(app)
    cli.init_app(app)
    _register_blueprints(app)
    return app


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection: Any, record: Any) -> None:
    """SQLite: enforce foreign keys, and let SQLAlchemy own transactions so savepoints work.

    The demo runs the app, in-process jobs and the scheduler side by side: write-ahead logging lets them read while
    one writes, and a writer waits its turn (up to 30 s) instead of failing with "database is locked".
    """
    if isinstance(dbapi_connection, sqlite3.Connection):
        dbapi_connection.isolation_level = None
        dbapi_connection.execute("PRAGMA foreign_keys=ON")
        dbapi_connection.execute("PRAGMA journal_mode=WAL")
        dbapi_connection.execute("PRAGMA busy_timeout=30000")


@event.listens_for(Engine, "begin")
def _sqlite_begin(connection: Any) -> None:
    # IMMEDIATE: a transaction takes the write lock when it starts (waiting for it up to the busy timeout), so it
    # never has to upgrade a read into a write later, which SQLite refuses at once when another writer came between.
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("BEGIN IMMEDIATE")


# Every screen area's module under ismartsync/views/, each with its blueprint `bp`, in the order they are registered.
VIEW_MODULES = (
    "account",
    "audit",
    "cash_settings",
    "catalog",
    "counter",
    "customers",
    "dashboard",
    "device",
    "drift",
    "fbr_settings",
    "fiscal",
    "health",
    "locations",
    "online_orders",
    "online_invoices",
    "order_cancel",
    "receipts",
    "registers",
    "reports",
    "return_settings",
    "rosters",
    "sale_returns",
    "sales",
    "settings",
    "shifts",
    "shopify",
    "sign_in",
    "staff",
    "sync_health",
    "webhooks",
    "fulfilment",
)


def _register_blueprints(app: Flask) -> None:
    for name in VIEW_MODULES:
        app.register_blueprint(import_module(f"ismartsync.views.{name}").bp)
    # Every tenant's emails, reset links included: for a developer's own machine only (the view also checks loopback).
    if app.config["DEV_OUTBOX"] and (app.debug or app.testing):
        app.register_blueprint(import_module("ismartsync.views.dev").bp)
