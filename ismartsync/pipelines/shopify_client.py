"""A Shopify client for a merchant's connection whose token lasts as long as the job: the one home of the rule.

Before every request the client asks `ConnectionTokens` for the token; with under five minutes left it is renewed
first. After a 401 the client asks once for a renewed token and sends the same request again. Each renewal runs in a
short transaction of its own (row locked, read again, renewed only if still stale, committed at once), so it is kept
whatever happens to the job's own work and two workers never spend one refresh token twice. Only Shopify refusing
the renewal marks the connection "Reconnect the store" (`services/shopify_store/tokens.py`).
"""

from __future__ import annotations

from collections.abc import Callable

from flask import current_app
from sqlalchemy.orm import Session

from ismartsync.models import ShopifyConnection
from ismartsync.models.base import utcnow
from ismartsync.queue import redis_connection
from ismartsync.services.shopify_store import tokens
from ismartsync.services.shopify_store.connection import connection_of
from ismartsync.services.shopify_store.tokens import NotConnected
from ismartsync.shopify.client import ShopifyClient, read_timeout
from ismartsync.shopify.oauth import ShopifyApp

# A renewal waits at most this long for another transaction holding the connection row (PostgreSQL), then fails
# the request instead of waiting for ever on a job that holds the row and waits for the token.
LOCK_TIMEOUT = "20s"


class ConnectionTokens:
    """The access token of one connection, for a client that may outlive it (a `TokenSource`)."""

    def __init__(self, session: Session, connection: ShopifyConnection, app: ShopifyApp) -> None:
        self._bind = session.get_bind()
        self._connection_id = connection.id
        self._app = app
        self._token = connection.access_token
        self._expires_at = connection.access_token_expires_at

    def token(self) -> str:
        if tokens.needs_refresh(self._token, self._expires_at, utcnow()):
            self._in_own_transaction(lambda session, row: tokens.access_token_for(session, row, app=self._app))
        return self._token or ""

    def renew(self, rejected: str) -> str | None:
        return self._in_own_transaction(
            lambda session, row: tokens.renew_refused_token(session, row.id, rejected, app=self._app)
        )

    def _in_own_transaction(self, step: Callable[[Session, ShopifyConnection], str | None]) -> str | None:
        """Run `step` on the connection row in a transaction of its own, commit, and adopt the token it leaves."""
        with Session(bind=self._bind, join_transaction_mode="create_savepoint", expire_on_commit=False) as session:
            if session.get_bind().dialect.name == "postgresql":
                session.connection().exec_driver_sql(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'")
            row = session.get(ShopifyConnection, self._connection_id)
            if row is None:
                raise NotConnected("Shopify is not connected.")
            try:
                token = step(session, row)
            except NotConnected:
                session.commit()  # a refused renewal is recorded on the connection: "Reconnect the store"
                raise
            session.commit()
            self._token, self._expires_at = row.access_token, row.access_token_expires_at
            return token


def open_client(session: Session, merchant_id: int, **options: object) -> ShopifyClient:
    """A client for the merchant's shop whose token is renewed as the job goes; NotConnected when the merchant has
    no working connection."""
    connection = connection_of(session, merchant_id)
    if connection is None or not connection.is_connected:
        raise NotConnected((connection.last_error if connection else "") or "Shopify is not connected.")
    app = tokens.current_app_settings()
    options.setdefault("redis", redis_connection())
    if seconds := current_app.config.get("SHOPIFY_TIMEOUT_SECONDS"):
        options.setdefault("timeout", read_timeout(float(seconds)))
    return ShopifyClient(
        connection.shop_domain, ConnectionTokens(session, connection, app), api_base_template=app.api_base, **options
    )
