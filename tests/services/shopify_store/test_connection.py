"""Connecting a store against the sandbox: OAuth, own app, pasted token; tokens encrypted, refreshed, wiped."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from ismartsync.crypto import decrypt
from ismartsync.errors import DomainError
from ismartsync.extensions import db
from ismartsync.models import AuditEntry, Merchant, ShopifyConnection
from ismartsync.models.base import utcnow
from ismartsync.models.shopify import AuthMethod, ConnectionStatus
from ismartsync.services.audit import Actor
from ismartsync.services.shopify_store import connection as connections
from ismartsync.services.shopify_store.tokens import NotConnected, access_token_for
from ismartsync.shopify import oauth
from ismartsync.shopify.errors import ShopifyAuthError
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


def test_token_is_refreshed_before_it_expires_and_the_rotation_is_kept(shopify_app, actor, sandbox):
    connection = install(shopify_app, actor)
    old_access, old_refresh = connection.access_token, connection.refresh_token
    assert access_token_for(db.session, connection, now=utcnow() + timedelta(minutes=50)) == old_access

    sandbox.control("POST", "/clock", {"advance_seconds": 56 * 60})  # 4 minutes left: inside the margin
    fresh = access_token_for(db.session, connection, now=utcnow() + timedelta(minutes=56))
    saved = reload(connection)
    assert fresh != old_access and saved.access_token == fresh
    assert saved.refresh_token not in (None, old_refresh)

    sandbox.control("POST", "/clock", {"advance_seconds": 5 * 60})  # the old token has now expired in Shopify
    assert sandbox.graphql(SHOP_QUERY, token=old_access).status == 401
    assert sandbox.graphql(SHOP_QUERY, token=fresh).status == 200

    sandbox.control("POST", "/clock", {"advance_seconds": 60 * 60})  # the next refresh uses the stored new one
    again = access_token_for(db.session, saved, now=utcnow() + timedelta(minutes=121))
    assert sandbox.graphql(SHOP_QUERY, token=again).status == 200
    with pytest.raises(oauth.OAuthError):  # the refresh token we replaced is dead once its successor was used
        oauth.refresh_tokens(shopify_app, SHOP, old_refresh)


def test_a_refresh_shopify_refuses_leaves_a_clear_error(shopify_app, actor, sandbox):
    connection = install(shopify_app, actor)
    sandbox.control("POST", f"/shops/{SHOP}/uninstall", {"client_id": CLIENT_ID})  # every credential revoked
    with pytest.raises(NotConnected, match="Could not renew the Shopify token") as exc:
        access_token_for(db.session, connection, now=utcnow() + timedelta(minutes=58))
    assert isinstance(exc.value, ShopifyAuthError)  # an import job stops and asks for a reconnect
    assert "invalid, expired or already replaced" in reload(connection).last_error


def test_client_credentials_token_is_fetched_again_when_it_runs_out(shopify_app, actor, sandbox):
    connection = connections.connect_with_client_credentials(
        db.session, actor, shopify_app, shop=SHOP, client_id=CLIENT_ID, client_secret=CLIENT_SECRET
    )
    first = connection.access_token
    assert connection.shop_name == "Zari Demo"
    assert timedelta(hours=23) < connection.access_token_expires_at - utcnow() <= timedelta(hours=24)
    sandbox.control("POST", "/clock", {"advance_seconds": 24 * 3600})
    fresh = access_token_for(db.session, connection, now=utcnow() + timedelta(hours=24))
    assert fresh != first
    assert sandbox.graphql(SHOP_QUERY, token=first).status == 401
    assert sandbox.graphql(SHOP_QUERY, token=fresh).status == 200


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


@pytest.mark.committing
def test_two_workers_refreshing_at_once_rotate_the_token_only_once(database_url, shopify_app, sandbox):
    """Each worker in its own connection, committing for real: the second waits on the row lock, then finds the
    token the first one got instead of spending the refresh token again."""
    if not database_url.startswith("postgresql"):
        pytest.skip("needs ISMARTSYNC_TEST_DATABASE_URL: SQLite has no row locks to race on")
    url = oauth.authorize_url(shopify_app, SHOP, redirect_uri="http://127.0.0.1:5000/shopify/callback", state="s")
    tokens = oauth.exchange_code(shopify_app, SHOP, callback_params(press_install(url))["code"])
    engine = sa.create_engine(database_url, pool_size=4)
    with Session(engine) as session:
        merchant = Merchant(legal_name="Race Ltd", brand_name="Race")
        connection = ShopifyConnection(
            merchant=merchant,
            shop_domain=SHOP,
            auth_method=AuthMethod.OAUTH,
            access_token=tokens.access_token,
            access_token_expires_at=utcnow() + timedelta(minutes=2),  # as if issued 58 minutes ago
            refresh_token=tokens.refresh_token,
        )
        session.add_all([merchant, connection])
        session.commit()
        ids = merchant.id, connection.id
    issued_before = len(sandbox.sandbox.auth.refresh_tokens)
    start = threading.Barrier(2)
    results: list[str] = []

    def worker() -> None:
        with Session(engine) as session:
            row = session.get(ShopifyConnection, ids[1])
            start.wait()
            results.append(access_token_for(session, row, app=shopify_app))  # both see two minutes left
            session.commit()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        assert len(results) == 2 and results[0] == results[1] != tokens.access_token
        assert len(sandbox.sandbox.auth.refresh_tokens) == issued_before + 1
        with Session(engine) as session:
            assert session.get(ShopifyConnection, ids[1]).access_token == results[0]
    finally:
        with engine.begin() as conn:
            conn.execute(sa.text("DELETE FROM shopify_connections WHERE id = :id"), {"id": ids[1]})
            conn.execute(sa.text("DELETE FROM merchants WHERE id = :id"), {"id": ids[0]})
        engine.dispose()
