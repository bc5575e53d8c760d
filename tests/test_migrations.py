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
