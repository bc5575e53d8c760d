"""The merchant's Shopify connection: connect (OAuth, own app, pasted token), disconnect, revoke on uninstall.

Tokens are stored encrypted (`EncryptedText`); `services/shopify_store/tokens.py` hands them out and refreshes them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ismartsync.errors import DomainError
from ismartsync.models import AuditEntry, ShopifyConnection
from ismartsync.models.base import utcnow
from ismartsync.models.shopify import AuthMethod, ConnectionStatus
from ismartsync.services.audit import Actor, record_audit
from ismartsync.services.online_orders import sync as order_sync
from ismartsync.services.shopify_store import subscriptions
from ismartsync.shopify import oauth
from ismartsync.shopify.errors import ShopifyAuthError, ShopifyError
from ismartsync.shopify.oauth import ShopifyApp, Tokens

AUDITED = ["shop_domain", "auth_method", "status", "scopes", "client_id"]
# Who signed a webhook from a store connected with a pasted token: that store's custom app (it has no client ID here).
CUSTOM_APP_SIGNER = "custom-app"


def connection_of(session: Session, merchant_id: int) -> ShopifyConnection | None:
    """The merchant's connection row (there is at most one), whatever its status."""
    return session.scalar(select(ShopifyConnection).where(ShopifyConnection.merchant_id == merchant_id))


def _check_shop_is_free(session: Session, merchant_id: int, shop: str) -> None:
    """One store feeds one merchant: webhooks and imports are routed by shop domain."""
    taken = session.scalar(
        select(ShopifyConnection.id).where(
            ShopifyConnection.shop_domain == shop,
            ShopifyConnection.merchant_id != merchant_id,
            ShopifyConnection.status == ConnectionStatus.CONNECTED,
        )
    )
    if taken is not None:
        raise DomainError("This Shopify store is already connected to another iSmartSync account.", field="shop")


def _save(
    session: Session,
    actor: Actor,
    shop: str,
    method: AuthMethod,
    tokens: Tokens,
    *,
    shop_name: str = "",
    client_id: str = "",
    client_secret: str | None = None,
) -> ShopifyConnection:
    """Create the merchant's connection, or replace every credential of the existing one."""
    _check_shop_is_free(session, actor.merchant_id, shop)
    connection = connection_of(session, actor.merchant_id)
    before = _snapshot(connection) if connection else None
    if connection is None:
        connection = ShopifyConnection(merchant_id=actor.merchant_id)
        session.add(connection)
    connection.shop_domain = shop
    connection.auth_method = method
    connection.status = ConnectionStatus.CONNECTED
    connection.scopes = ",".join(tokens.scopes)
    connection.access_token = tokens.access_token
    connection.access_token_expires_at = tokens.expires_at
    connection.refresh_token = tokens.refresh_token
    connection.refresh_token_expires_at = tokens.refresh_token_expires_at
    connection.client_id = client_id
    connection.client_secret = client_secret
    same_shop = before is not None and before["shop_domain"] == shop
    connection.shop_name = shop_name or (connection.shop_name if same_shop else "")
    connection.connected_at = utcnow()
    connection.connected_by_id = actor.user.id
    connection.disconnected_at = None
    connection.last_error = ""
    session.flush()
    subscriptions.enqueue_check(session, actor.merchant_id)  # a reconnect checks them too
    order_sync.enqueue_sync(session, actor.merchant_id)  # the last 60 days of orders, or what changed while away
    record_audit(
        session,
        actor,
        "shopify.connect",
        f"Connected Shopify store {shop} ({method.value.replace('_', ' ')})",
        target=connection,
        before=before,
        after=_snapshot(connection),
    )
    return connection


def connect_with_oauth(session: Session, actor: Actor, app: ShopifyApp, *, shop: str, code: str) -> ShopifyConnection:
    """Finish an install: exchange the code for an expiring offline token, check the scopes, store it."""
    tokens = oauth.exchange_code(app, shop, code)
    oauth.check_scopes(tokens.scopes, app.scopes)
    name = _shop_name_or_blank(app, shop, tokens.access_token)
    return _save(session, actor, shop, AuthMethod.OAUTH, tokens, shop_name=name)


def connect_with_client_credentials(
    session: Session,
    actor: Actor,
    app: ShopifyApp,
    *,
    shop: str,
    client_id: str,
    client_secret: str,
) -> ShopifyConnection:
    """Use the merchant's own Dev Dashboard app: fetch a token now (and again whenever it runs out)."""
    try:
        tokens = oauth.client_credentials_token(app.api_base, shop, client_id.strip(), client_secret.strip())
    except oauth.OAuthError as exc:
        raise DomainError(
            f"Shopify did not accept this client ID and secret for {shop}. {exc.message}", field="client_secret"
        ) from exc
    name, _ = shop_identity(app, shop, tokens.access_token, field="client_secret")
    return _save(
        session,
        actor,
        shop,
        AuthMethod.CLIENT_CREDENTIALS,
        tokens,
        shop_name=name,
        client_id=client_id.strip(),
        client_secret=client_secret.strip(),
    )


def connect_with_admin_token(
    session: Session, actor: Actor, app: ShopifyApp, *, shop: str, token: str, api_secret_key: str = ""
) -> ShopifyConnection:
    """Store a pasted admin API token of an existing custom app, once a `Shop` query proves it works, with that
    app's API secret key (it signs the store's webhooks). Without the key no webhook can be verified: none are
    subscribed and the store is compared with Shopify more often instead."""
    token = token.strip()
    name, _ = shop_identity(app, shop, token)
    return _save(
        session,
        actor,
        shop,
        AuthMethod.ADMIN_TOKEN,
        Tokens(access_token=token, scopes=()),
        shop_name=name,
        client_secret=api_secret_key.strip() or None,
    )


def disconnect(
    session: Session,
    actor: Actor,
    connection: ShopifyConnection,
    *,
    subscriptions_removed: int = 0,
    subscriptions_left: int = 0,
) -> None:
    """Stop using the store: forget every credential; imported data stays. The counts say what became of the
    webhook subscriptions we had created in Shopify (deleted, or left because Shopify could not be reached)."""
    if connection.status == ConnectionStatus.DISCONNECTED:
        return
    before = _snapshot(connection)
    _wipe(connection, ConnectionStatus.DISCONNECTED)
    session.flush()
    summary = f"Disconnected Shopify store {connection.shop_domain}"
    if subscriptions_removed or subscriptions_left:
        summary += f"; {subscriptions_removed} webhook subscriptions deleted in Shopify"
        if subscriptions_left:
            summary += f", {subscriptions_left} could not be deleted"
    record_audit(
        session,
        actor,
        "shopify.disconnect",
        summary,
        target=connection,
        before=before,
        after=_snapshot(connection),
    )


def revoke_on_uninstall(session: Session, shop: str, *, signed_by: str, app: ShopifyApp) -> list[ShopifyConnection]:
    """`app/uninstalled`: Shopify has already revoked the app's tokens for `shop`, so wipe ours and say so.

    `signed_by` is the client id whose secret signed the webhook: our app's (OAuth connections) or a merchant's
    own app (that client-credentials connection only).
    """
    query = select(ShopifyConnection).where(
        ShopifyConnection.shop_domain == shop, ShopifyConnection.status == ConnectionStatus.CONNECTED
    )
    revoked = []
    for connection in session.scalars(query):
        ours = signed_by == app.client_id and connection.auth_method == AuthMethod.OAUTH
        own_app = connection.auth_method == AuthMethod.CLIENT_CREDENTIALS and connection.client_id == signed_by
        custom_app = connection.auth_method == AuthMethod.ADMIN_TOKEN and signed_by == CUSTOM_APP_SIGNER
        if not (ours or own_app or custom_app):
            continue
        before = _snapshot(connection)
        _wipe(connection, ConnectionStatus.REVOKED)
        # Shopify deletes an uninstalled app's subscriptions itself.
        subscriptions.drop_rows(session, list(subscriptions.subscriptions_of(session, connection).values()))
        connection.last_error = "The app was uninstalled in Shopify. Connect the store again to resume syncing."
        session.add(
            AuditEntry(
                merchant_id=connection.merchant_id,
                action="shopify.revoke",
                summary=f"Shopify store {shop} uninstalled the app; its access was revoked",
                target_type="ShopifyConnection",
                target_id=connection.id,
                before=before,
                after=_snapshot(connection),
            )
        )
        revoked.append(connection)
    session.flush()
    return revoked


def webhook_secrets(session: Session, shop: str, app: ShopifyApp) -> list[tuple[str, str]]:
    """(signer, secret) pairs that may sign a webhook from `shop`: a merchant's own app (by its client id) or a
    pasted token's custom app (its API secret key, signer CUSTOM_APP_SIGNER) when the store is connected that way;
    otherwise our app's (its installs, and stores no one has connected: an uninstall, a compliance request)."""
    own = list(
        session.scalars(
            select(ShopifyConnection).where(
                ShopifyConnection.shop_domain == shop,
                ShopifyConnection.auth_method.in_([AuthMethod.CLIENT_CREDENTIALS, AuthMethod.ADMIN_TOKEN]),
                ShopifyConnection.status == ConnectionStatus.CONNECTED,
            )
        )
    )
    # A store connected through another app never gets webhooks from ours: our signature is no proof for it.
    pairs = [] if own else [(app.client_id, s) for s in app.secrets]
    for c in own:
        if c.client_secret:
            pairs.append(
                (c.client_id if c.auth_method == AuthMethod.CLIENT_CREDENTIALS else CUSTOM_APP_SIGNER, c.client_secret)
            )
    return pairs


def shop_identity(app: ShopifyApp, shop: str, token: str, *, field: str = "access_token") -> tuple[str, str]:
    """Ask Shopify which shop a token opens (a `Shop` query); a refused token is a DomainError beside `field`."""
    from ismartsync.queue import redis_connection
    from ismartsync.shopify.client import ShopifyClient

    # Two attempts at most: a person is waiting for the answer.
    with ShopifyClient(shop, token, api_base_template=app.api_base, redis=redis_connection(), max_attempts=2) as client:
        try:
            data = client.query("Shop", {})
        except ShopifyAuthError as exc:
            raise DomainError(f"Shopify did not accept this token for {shop}.", field=field) from exc
        except ShopifyError as exc:
            raise DomainError(f"Could not check the token with Shopify: {exc.message}", field=field) from exc
    found = data.get("shop") or {}
    domain = str(found.get("myshopifyDomain") or shop)
    if domain != shop:
        raise DomainError(f"This token belongs to {domain}, not {shop}.", field="shop")
    return str(found.get("name") or ""), domain


def _shop_name_or_blank(app: ShopifyApp, shop: str, token: str) -> str:
    try:
        return shop_identity(app, shop, token)[0]
    except DomainError:
        return ""  # the name is only for display; the install itself succeeded


def _wipe(connection: ShopifyConnection, status: ConnectionStatus) -> None:
    connection.status = status
    connection.access_token = None
    connection.access_token_expires_at = None
    connection.refresh_token = None
    connection.refresh_token_expires_at = None
    connection.client_secret = None
    connection.disconnected_at = utcnow()


def _snapshot(connection: ShopifyConnection) -> dict[str, Any]:
    # Never the tokens or secrets: the audit log is readable by accountants.
    values: dict[str, Any] = {name: getattr(connection, name) for name in AUDITED}
    expires: datetime | None = connection.access_token_expires_at
    values["access_token_expires_at"] = expires.isoformat() if expires else None
    return values
