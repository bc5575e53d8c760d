"""The migrations are the only source of the schema: on a brand-new database they build exactly the models."""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask_migrate import downgrade, upgrade

from ismartsync import create_app
from ismartsync.extensions import db
from tests.conftest import make_test_config

VERSIONS = Path(__file__).resolve().parents[1] / "migrations" / "versions"


@pytest.fixture
def empty_database(database_url: str) -> Iterator[str]:
    """A brand-new PostgreSQL database of its own, dropped afterwards."""
    url = sa.make_url(database_url)
    if url.get_backend_name() != "postgresql":
        pytest.skip("needs ISMARTSYNC_TEST_DATABASE_URL: production runs PostgreSQL, and its trigger is part of it")
    name = f"ismartsync_migrations_{secrets.token_hex(4)}"
    admin = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def _tables(engine: sa.Engine) -> set[str]:
    return set(sa.inspect(engine).get_table_names())


def _has_append_only_trigger(engine: sa.Engine) -> bool:
    query = sa.text("SELECT 1 FROM pg_trigger WHERE tgname = 'audit_entries_no_update'")
    with engine.connect() as conn:
        return conn.scalar(query) is not None


def test_upgrade_builds_the_schema_the_models_describe_and_downgrade_removes_it(empty_database):
    fresh = create_app(make_test_config(empty_database))
    with fresh.app_context():
        try:
            upgrade()
            engine = db.engine
            assert _tables(engine) == {t.name for t in db.metadata.sorted_tables} | {"alembic_version"}
            with engine.connect() as conn:
                # The options `flask db migrate` compares with, so "no differences" means autogenerate finds none.
                opts = dict(fresh.extensions["migrate"].configure_args)
                context = MigrationContext.configure(conn, opts=opts)
                differences = compare_metadata(context, db.metadata)
            assert differences == [], "the models and the migrations disagree: add a migration"
            assert _has_append_only_trigger(engine)

            downgrade(revision="base")
            assert _tables(engine) == {"alembic_version"}
            assert not _has_append_only_trigger(engine)

            upgrade()  # and back up again, as a rollback-then-redeploy would
            assert "audit_entries" in _tables(engine)
        finally:
            db.engine.dispose()


def test_migrations_form_one_line_of_history():
    script = ScriptDirectory(str(VERSIONS.parent))
    assert len(script.get_heads()) == 1, "two migrations share a parent: merge them"


def test_migration_files_are_date_prefixed_and_named():
    names = sorted(p.name for p in VERSIONS.glob("*.py"))
    assert names
    for name in names:
        assert re.fullmatch(r"\d{8}_\d{4}_[0-9a-f]{12}_[a-z0-9_]+\.py", name), name


@pytest.fixture
def sqlite_demo_database(tmp_path: Path) -> str:
    """A SQLite file of its own, as `make run` keeps the demo in."""
    return f"sqlite:///{tmp_path / 'demo.sqlite3'}"


def test_the_cash_upgrade_keeps_a_demo_databases_rows_and_hands_each_drawer_to_one_shift(sqlite_demo_database):
    """On SQLite a batch migration copies and drops tables: with foreign keys on, dropping `merchants` used to take
    every branch, member, register and shift with it. Two cashiers' shifts open on one register (allowed before)
    leave the earliest with the drawer."""
    app = create_app(make_test_config(sqlite_demo_database))
    with app.app_context():
        try:
            upgrade(revision="2068187e793b")  # the schema before cash management
            with db.engine.begin() as conn:
                for statement in (
                    "INSERT INTO merchants (id, legal_name, brand_name, ntn, strn, tax_office, address, phone,"
                    " currency, time_zone, prices_include_tax, default_tax_rate_bp, created_at)"
                    " VALUES (1, 'Zari', 'Zari', '', '', '', '', '', 'PKR', 'Asia/Karachi', true, 1800, '2026-01-01')",
                    "INSERT INTO branches (id, merchant_id, name, code, address, phone, active, created_at)"
                    " VALUES (1, 1, 'Gulberg', 'GUL', '', '', true, '2026-01-01')",
                    "INSERT INTO counters (id, merchant_id, branch_id, name, active, created_at)"
                    " VALUES (1, 1, 1, 'Counter 1', true, '2026-01-01')",
                    "INSERT INTO roles (id, merchant_id, name, description, is_owner, is_default, created_at)"
                    " VALUES (1, 1, 'Owner', '', true, true, '2026-01-01')",
                    "INSERT INTO users (id, merchant_id, email, full_name, phone, role_id, active, all_branches,"
                    " session_version, totp_enabled, created_at) VALUES"
                    " (1, 1, 'sana@example.pk', 'Sana', '', 1, true, true, 1, false, '2026-01-01'),"
                    " (2, 1, 'omar@example.pk', 'Omar', '', 1, true, true, 1, false, '2026-01-01')",
                    "INSERT INTO registers (id, merchant_id, counter_id, branch_id, status, opening_float_minor,"
                    " opened_by_id, opened_at) VALUES (1, 1, 1, 1, 'open', 500000, 1, '2026-01-01')",
                    "INSERT INTO shifts (id, merchant_id, register_id, user_id, status, opened_at)"
                    " VALUES (1, 1, 1, 1, 'open', '2026-01-01'), (2, 1, 1, 2, 'open', '2026-01-01')",
                ):
                    conn.exec_driver_sql(statement)
            upgrade()
            with db.engine.connect() as conn:
                counts = {t: conn.scalar(sa.text(f"SELECT count(*) FROM {t}")) for t in ("branches", "users", "shifts")}
                shifts = conn.execute(sa.text("SELECT id, status, opening_float_minor FROM shifts ORDER BY id")).all()
                assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1  # back on for the app
        finally:
            db.engine.dispose()
    assert counts == {"branches": 1, "users": 2, "shifts": 2}
    assert [tuple(s) for s in shifts] == [(1, "open", 500_000), (2, "closed", 0)]
