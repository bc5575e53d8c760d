"""The audit log is append-only: for the ORM everywhere, and for the database itself on PostgreSQL."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from ismartsync.extensions import db
from ismartsync.models import AuditEntry
from ismartsync.services.audit import Actor, record_audit


@pytest.fixture
def entry(owner) -> AuditEntry:
    return record_audit(db.session, Actor(owner), "staff.update", "Updated Sana Iqbal")


def test_audit_entry_cannot_be_changed_through_the_orm(entry):
    entry.summary = "Nothing happened here"
    with pytest.raises(RuntimeError, match="append-only"):
        db.session.flush()


def test_audit_entry_cannot_be_deleted_through_the_orm(entry):
    db.session.delete(entry)
    with pytest.raises(RuntimeError, match="append-only"):
        db.session.flush()


def test_audit_entry_cannot_be_changed_with_raw_sql_on_postgresql(entry):
    if db.session.get_bind().dialect.name != "postgresql":
        pytest.skip("the append-only trigger exists on PostgreSQL only; SQLite relies on the ORM guard")
    update = sa.text("UPDATE audit_entries SET summary = 'Nothing happened here' WHERE id = :id")
    with pytest.raises(sa.exc.DBAPIError, match="audit_entries is append-only"), db.session.begin_nested():
        db.session.execute(update, {"id": entry.id})
    assert db.session.scalar(sa.select(AuditEntry.summary).where(AuditEntry.id == entry.id)) == "Updated Sana Iqbal"
