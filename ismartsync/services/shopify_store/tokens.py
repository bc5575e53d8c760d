"""A usable access token for a Shopify connection: renewed before it runs out or after Shopify refused it, one
worker at a time.

OAuth connections hold a 60-minute token and a rotating refresh token; client-credentials connections hold a
24-hour token fetched again with the merchant's own app; pasted admin tokens do not expire and cannot be renewed.
Only Shopify refusing a renewal (an invalid, expired or replaced refresh token, a revoked app) marks the connection
"Reconnect the store"; a token endpoint that does not answer is ShopifyUnavailable (try again later).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from ismartsync.errors import DomainError
from ismartsync.models import ShopifyConnection
from ismartsync.models.base import utcnow
from ismartsync.models.shopify import AuthMethod, ConnectionStatus
from ismartsync.shopify import oauth
from ismartsync.shopify.errors import ShopifyAuthError, ShopifyUnavailable
from ismartsync.shopify.oauth import ShopifyApp

# Renew this long before expiry, so a request started with the token does not meet its end halfway.
REFRESH_MARGIN = timedelta(minutes=5)
RECONNECT = "Reconnect the store under Settings → Shopify."
NOT_CONNECTED = "Shopify is not connected. Connect the store in Settings → Shopify."


class NotConnected(DomainError, ShopifyAuthError):
    """No working Shopify connection (never connected, disconnected, revoked, or the token could not be renewed).

    A DomainError for screens, and a ShopifyAuthError for jobs: either way the merchant must reconnect.
    """


def current_app_settings() -> ShopifyApp:
    """Our Shopify app as the running Flask app is configured."""
    return ShopifyApp.from_config(current_app.config)


def needs_refresh(token: str | None, expires_at: datetime | None, now: datetime) -> bool:
    """True when the token is missing or has under five minutes left (the one rule every job follows)."""
    return token is None or (expires_at is not None and expires_at - now < REFRESH_MARGIN)


def can_renew(connection: ShopifyConnection) -> bool:
    """OAuth (refresh token) and own-app (client credentials) tokens can be renewed; a pasted one cannot."""
    if connection.auth_method == AuthMethod.OAUTH:
        return bool(connection.refresh_token)
    return connection.auth_method == AuthMethod.CLIENT_CREDENTIALS and bool(connection.client_secret)


def _locked(session: Session, connection_id: int) -> ShopifyConnection:
    """The connection row, locked (`SELECT … FOR UPDATE`) and read again: a second worker waits here, then finds
    what the first one stored."""
    locked = session.scalars(
        select(ShopifyConnection)
        .where(ShopifyConnection.id == connection_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()
    if locked.status != ConnectionStatus.CONNECTED:
        raise NotConnected(locked.last_error or NOT_CONNECTED)
    return locked


def access_token_for(
    session: Session, connection: ShopifyConnection, *, app: ShopifyApp | None = None, now: datetime | None = None
) -> str:
    """The connection's access token, renewed first if under five minutes remain.

    The renewal happens under a row lock: a second worker waits, then finds the fresh token instead of spending the
    refresh token again. The new tokens are flushed, not committed; commit soon, since the row stays locked until
    then. A rolled-back renewal loses nothing: Shopify keeps the old refresh token valid until the new one is first
    used.
    """
    now = now or utcnow()
    if connection.status != ConnectionStatus.CONNECTED:
        raise NotConnected(connection.last_error or NOT_CONNECTED)
    if not needs_refresh(connection.access_token, connection.access_token_expires_at, now):
        return connection.access_token or ""
    locked = _locked(session, connection.id)
    if needs_refresh(locked.access_token, locked.access_token_expires_at, now):
        _renew(session, locked, app or current_app_settings())
    return locked.access_token or ""


def renew_refused_token(
    session: Session, connection_id: int, refused: str, *, app: ShopifyApp | None = None
) -> str | None:
    """After Shopify answered 401 to `refused`: the token to send the request again with, or None when there is
    none (a pasted token Shopify no longer takes).

    Under the row lock: if another worker has already stored a different token, that one is used and nothing is
    renewed; otherwise the token is renewed whatever its stored expiry says (Shopify's clock decides).
    """
    locked = _locked(session, connection_id)
    if locked.access_token and locked.access_token != refused:
        return locked.access_token
    if not can_renew(locked):
        return None
    _renew(session, locked, app or current_app_settings())
    return locked.access_token


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
    except oauth.OAuthUnavailable as exc:
        raise ShopifyUnavailable(f"Could not renew the Shopify token: {exc.message}") from exc
    except oauth.OAuthError as exc:
        connection.status = ConnectionStatus.RECONNECT
        connection.last_error = f"Could not renew the Shopify token: {exc.message} {RECONNECT}"
        session.flush()
        raise NotConnected(connection.last_error) from exc
    connection.access_token = tokens.access_token
    connection.access_token_expires_at = tokens.expires_at
    if tokens.scopes:
        connection.scopes = ",".join(tokens.scopes)
    connection.last_error = ""
    session.flush()
