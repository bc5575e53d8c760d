"""A usable access token for a Shopify connection: refreshed before it runs out, one worker at a time.

OAuth connections hold a 60-minute token and a rotating refresh token; client-credentials connections hold a
24-hour token fetched again with the merchant's own app; pasted admin tokens do not expire.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from ismartsync.errors import DomainError
from ismartsync.models import ShopifyConnection
from ismartsync.models.base import utcnow
from ismartsync.models.shopify import AuthMethod, ConnectionStatus
from ismartsync.shopify import oauth
from ismartsync.shopify.errors import ShopifyAuthError
from ismartsync.shopify.oauth import ShopifyApp

if TYPE_CHECKING:
    from ismartsync.shopify.client import ShopifyClient

# Refresh this long before expiry, so a request started with the token does not meet its end halfway.
REFRESH_MARGIN = timedelta(minutes=5)


class NotConnected(DomainError, ShopifyAuthError):
    """No working Shopify connection (never connected, disconnected, revoked, or the token could not be renewed).

    A DomainError for screens, and a ShopifyAuthError for jobs: either way the merchant must reconnect.
    """


def current_app_settings() -> ShopifyApp:
    """Our Shopify app as the running Flask app is configured."""
    return ShopifyApp.from_config(current_app.config)


def _needs_refresh(connection: ShopifyConnection, now: datetime) -> bool:
    expires = connection.access_token_expires_at
    return connection.access_token is None or (expires is not None and expires - now < REFRESH_MARGIN)


def access_token_for(
    session: Session, connection: ShopifyConnection, *, app: ShopifyApp | None = None, now: datetime | None = None
) -> str:
    """The connection's access token, refreshed first if under five minutes remain.

    The refresh happens under a row lock (`SELECT … FOR UPDATE`): a second worker waits, then finds the fresh token
    instead of rotating again. The new tokens are flushed, not committed; commit soon, since the row stays locked
    until then. A rolled-back refresh loses nothing: Shopify keeps the old refresh token valid until the new one is
    first used.
    """
    now = now or utcnow()
    if connection.status != ConnectionStatus.CONNECTED:
        raise NotConnected("Shopify is not connected. Connect the store in Settings → Shopify.")
    if not _needs_refresh(connection, now):
        return connection.access_token or ""
    locked = session.scalars(
        select(ShopifyConnection)
        .where(ShopifyConnection.id == connection.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()
    if locked.status != ConnectionStatus.CONNECTED:
        raise NotConnected("Shopify is not connected. Connect the store in Settings → Shopify.")
    if _needs_refresh(locked, now):
        _renew(session, locked, app or current_app_settings())
    return locked.access_token or ""


def _renew(session: Session, connection: ShopifyConnection, app: ShopifyApp) -> None:
    try:
        if connection.auth_method == AuthMethod.OAUTH and connection.refresh_token:
            tokens = oauth.refresh_tokens(app, connection.shop_domain, connection.refresh_token)
            # Rotation: the old refresh token stops working once this one is used, so keep only the new one.
            connection.refresh_token = tokens.refresh_token or connection.refresh_token
            connection.refresh_token_expires_at = tokens.refresh_token_expires_at
        elif connection.auth_method == AuthMethod.CLIENT_CREDENTIALS and connection.client_secret:
            tokens = oauth.client_credentials_token(
                app.api_base, connection.shop_domain, connection.client_id, connection.client_secret
            )
        else:
            raise oauth.OAuthError("The stored Shopify token has expired and cannot be renewed.")
    except oauth.OAuthError as exc:
        connection.last_error = f"Could not renew the Shopify token: {exc.message}"
        session.flush()
        raise NotConnected(f"{connection.last_error} Connect the store again in Settings → Shopify.") from exc
    connection.access_token = tokens.access_token
    connection.access_token_expires_at = tokens.expires_at
    if tokens.scopes:
        connection.scopes = ",".join(tokens.scopes)
    connection.last_error = ""
    session.flush()


def client_for(
    session: Session, connection: ShopifyConnection, *, app: ShopifyApp | None = None, **options: Any
) -> ShopifyClient:
    """A GraphQL client for the connection's shop, with a token good for at least five more minutes."""
    from ismartsync.queue import redis_connection
    from ismartsync.shopify.client import ShopifyClient, read_timeout

    app = app or current_app_settings()
    token = access_token_for(session, connection, app=app)
    options.setdefault("redis", redis_connection())
    if seconds := current_app.config.get("SHOPIFY_TIMEOUT_SECONDS"):
        options.setdefault("timeout", read_timeout(float(seconds)))
    return ShopifyClient(connection.shop_domain, token, api_base_template=app.api_base, **options)
