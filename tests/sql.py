"""Counting what the database is asked: for tests that hold a page or a list to a fixed number of statements."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa

from ismartsync.extensions import db


@contextmanager
def statements_sent() -> Iterator[list[str]]:
    """The SQL statements the session sends inside the block, in order (the list fills as they go)."""
    statements: list[str] = []

    def record(conn, cursor, statement, *args) -> None:  # type: ignore[no-untyped-def]
        statements.append(statement)

    bind = db.session.get_bind()
    sa.event.listen(bind, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        sa.event.remove(bind, "before_cursor_execute", record)
