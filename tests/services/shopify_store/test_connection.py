"""Connecting a store against the sandbox: OAuth, own app, pasted token; tokens encrypted, wiped (renewing them:
test_tokens.py)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, text

from ismartsync.crypto import decrypt
from ismartsync.errors import DomainError
from ismartsync.extensions import db
from ismartsync.models import AuditEntry, ShopifyConnection
from ismartsync.models.base import utcnow
from ismartsync.models.shopify import AuthMethod, ConnectionStatus
from ismartsync.services.audit import Actor
from ismartsync.services.shopify_store import connection as connections
from ismartsync.services.shopify_store.tokens import NotConnected, access_token_for
from ismartsync.shopify import oauth
from tests import factories
from tests.sandbox_fixtures import OTHER_SHOP
from tests.shopify.fixtures import CLIENT_ID, CLIENT_SECRET, SHOP, TOKEN, callback_params, press_install

SHOP_QUERY = "{ shop { name } }"


def install(app: oauth.ShopifyApp, actor: Actor, shop: str = SHOP) -> ShopifyConnection:
    url = oauth.authorize_url(app, shop, redirect_uri="http://127.0.0.1:5000/shopify/callback", state="s")
    params = callback_params(press_install(url))
    return connections.connect_with_oauth(db.session, actor, app, shop=shop, code=params["code"])


def reload(connection: ShopifyConnection) -> ShopifyConnection:
    db.session.expire_all()
    return db.session.get(ShopifyConnection, connection.id)


@pytest.fixture
def actor(owner) -> Actor:
    return Actor(owner, ip_address="203.0.113.9")


def test_oauth_install_stores_the_tokens_encrypted(shopify_app, actor, merchant, sandbox):
    connection = install(shopify_app, actor)
    saved = reload(connection)
    assert (saved.shop_domain, saved.auth_method, saved.status) == (SHOP, AuthMethod.OAUTH, ConnectionStatus.CONNECTED)
    assert saved.shop_name == "Zari Demo"
    assert set(saved.scopes.split(",")) == set(shopify_app.scopes)
    assert timedelta(minutes=59) < saved.access_token_expires_at - utcnow() <= timedelta(minutes=60)
    assert sandbox.graphql(SHOP_QUERY, token=saved.access_token).status == 200
    row = db.session.execute(
        text("SELECT access_token, refresh_token FROM shopify_connections WHERE merchant_id = :m"), {"m": merchant.id}
    ).one()
    assert saved.access_token not in row.access_token and "shpat_" not in row.access_token
    assert saved.refresh_token not in row.refresh_token and "shprt_" not in row.refresh_token
    assert decrypt(row.access_token) == saved.access_token and decrypt(row.refresh_token) == saved.refresh_token


def test_connecting_is_audited_without_the_secrets(shopify_app, actor, merchant):
    connection = install(shopify_app, actor)
    entry = db.session.scalar(
        select(AuditEntry).where(AuditEntry.merchant_id == merchant.id, AuditEntry.action == "shopify.connect")
    )
    assert entry.actor_id == actor.user.id and entry.target_id == connection.id
    assert entry.after["shop_domain"] == SHOP and entry.after["auth_method"] == "oauth"
    assert connection.access_token not in str(entry.after) and connection.refresh_token not in str(entry.after)


def test_install_missing_a_scope_is_refused_and_nothing_is_stored(start_sandbox, use_sandbox, actor, merchant):
    narrow = start_sandbox(
        apps=[
            {
                "client_id": CLIENT_ID,
                "client_secret": CLIENT_SECRET,
                "grant_scopes": ["read_products", "read_locations"],
            }
        ]
    )
    app = use_sandbox(narrow)
    with pytest.raises(oauth.OAuthError, match="missing: write_inventory, read_orders, read_customers"):
        install(app, actor)
    assert connections.connection_of(db.session, merchant.id) is None


def test_reconnecting_replaces_every_credential(shopify_app, actor, merchant):
    first = install(shopify_app, actor)
    second = connections.connect_with_client_credentials(
        db.session, actor, shopify_app, shop=SHOP, client_id=CLIENT_ID, client_secret=CLIENT_SECRET
    )
    assert second.id == first.id
    saved = reload(second)
    assert saved.auth_method == AuthMethod.CLIENT_CREDENTIALS
    assert saved.refresh_token is None and saved.refresh_token_expires_at is None
    assert saved.client_secret == CLIENT_SECRET
    rows = db.session.scalars(select(ShopifyConnection.id).where(ShopifyConnection.merchant_id == merchant.id))
    assert list(rows) == [first.id]


def test_a_store_connected_to_another_merchant_is_refused(shopify_app, actor, outsider):
    install(shopify_app, Actor(outsider))
    with pytest.raises(DomainError, match="already connected to another iSmartSync account") as exc:
        install(shopify_app, actor)
    assert exc.value.field == "shop"


def test_wrong_client_secret_is_reported_beside_the_secret(shopify_app, actor, merchant):
    with pytest.raises(DomainError, match="did not accept this client ID and secret") as exc:
        connections.connect_with_client_credentials(
            db.session, actor, shopify_app, shop=SHOP, client_id=CLIENT_ID, client_secret="not-the-secret"
        )
    assert exc.value.field == "client_secret"
    assert connections.connection_of(db.session, merchant.id) is None


def test_pasted_token_is_checked_with_a_shop_query_before_saving(shopify_app, actor):
    connection = connections.connect_with_admin_token(db.session, actor, shopify_app, shop=SHOP, token=f" {TOKEN} ")
    saved = reload(connection)
    assert (saved.auth_method, saved.access_token, saved.shop_name) == (AuthMethod.ADMIN_TOKEN, TOKEN, "Zari Demo")
    assert saved.access_token_expires_at is None
    assert access_token_for(db.session, saved, now=utcnow() + timedelta(days=400)) == TOKEN


@pytest.mark.parametrize("token", ["shpat_made_up", "other-shop"])
def test_pasted_token_shopify_refuses_is_not_saved(shopify_app, actor, merchant, sandbox, token):
    if token == "other-shop":
        token = sandbox.control("POST", "/tokens", {"shop": OTHER_SHOP, "client_id": CLIENT_ID})["access_token"]
    with pytest.raises(DomainError, match="Shopify did not accept this token") as exc:
        connections.connect_with_admin_token(db.session, actor, shopify_app, shop=SHOP, token=token)
    assert exc.value.field == "access_token"
    assert connections.connection_of(db.session, merchant.id) is None


def test_disconnect_forgets_every_credential(shopify_app, actor, merchant):
    connection = install(shopify_app, actor)
    connections.disconnect(db.session, actor, connection)
    saved = reload(connection)
    assert saved.status == ConnectionStatus.DISCONNECTED and saved.disconnected_at is not None
    assert (saved.access_token, saved.refresh_token, saved.client_secret) == (None, None, None)
    raw = db.session.execute(text("SELECT access_token, refresh_token FROM shopify_connections")).all()
    assert all(r.access_token is None and r.refresh_token is None for r in raw if r)
    assert db.session.scalar(select(AuditEntry.id).where(AuditEntry.action == "shopify.disconnect"))
    with pytest.raises(NotConnected):
        access_token_for(db.session, saved)


def test_uninstall_revokes_only_that_apps_connection_of_that_shop(shopify_app, actor, merchant):
    ours = install(shopify_app, actor)
    other_merchant = factories.MerchantFactory()
    other_owner = factories.UserFactory(merchant=other_merchant, role=factories.roles_of(other_merchant)["Owner"])
    own_app = connections.connect_with_client_credentials(
        db.session, Actor(other_owner), shopify_app, shop=OTHER_SHOP, client_id=CLIENT_ID, client_secret=CLIENT_SECRET
    )

    revoked = connections.revoke_on_uninstall(db.session, SHOP, signed_by=CLIENT_ID, app=shopify_app)

    assert [c.id for c in revoked] == [ours.id]
    saved = reload(ours)
    assert saved.status == ConnectionStatus.REVOKED and saved.access_token is None and saved.refresh_token is None
    assert "uninstalled in Shopify" in saved.last_error
    assert reload(own_app).status == ConnectionStatus.CONNECTED
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "shopify.revoke"))
    assert entry.merchant_id == merchant.id and entry.actor_id is None
    assert connections.revoke_on_uninstall(db.session, SHOP, signed_by="someone-else", app=shopify_app) == []
