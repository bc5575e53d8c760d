"""Handing out a connection's access token against the sandbox: renewed before it runs out or after Shopify refused
it, the refresh token's rotation kept, a refused renewal marked "Reconnect the store", one renewal per race."""

from __future__ import annotations

from datetime import timedelta

import pytest

from ismartsync.extensions import db
from ismartsync.models import ShopifyConnection
from ismartsync.models.base import utcnow
from ismartsync.models.shopify import AuthMethod, ConnectionStatus
from ismartsync.services.audit import Actor
from ismartsync.services.shopify_store import connection as connections
from ismartsync.services.shopify_store.tokens import (
    NotConnected,
    access_token_for,
    can_renew,
    needs_refresh,
    renew_refused_token,
)
from ismartsync.shopify import oauth
from ismartsync.shopify.errors import ShopifyAuthError
from tests.shopify.fixtures import (
    CLIENT_ID,
    CLIENT_SECRET,
    SHOP,
    TOKEN,
    install_with_oauth,
)

SHOP_QUERY = "{ shop { name } }"


def reload(connection: ShopifyConnection) -> ShopifyConnection:
    db.session.expire_all()
    return db.session.get(ShopifyConnection, connection.id)


def refreshes(sandbox) -> int:
    """How many times Shopify renewed a token with a refresh token."""
    return sum(r.uses for r in sandbox.sandbox.auth.refresh_tokens.values())


@pytest.mark.parametrize(
    ("token", "left", "expected"),
    [
        (None, None, True),  # never had one
        ("t", None, False),  # a pasted token does not expire
        ("t", timedelta(minutes=5), False),
        ("t", timedelta(minutes=5) - timedelta(seconds=1), True),
        ("t", -timedelta(minutes=1), True),
    ],
)
def test_a_token_needs_refreshing_when_missing_or_under_five_minutes_from_its_end(token, left, expected):
    now = utcnow()
    assert needs_refresh(token, now + left if left is not None else None, now) is expected


@pytest.mark.parametrize(
    ("method", "refresh_token", "client_secret", "expected"),
    [
        (AuthMethod.OAUTH, "shprt_x", None, True),
        (AuthMethod.OAUTH, None, None, False),
        (AuthMethod.CLIENT_CREDENTIALS, None, "secret", True),
        (AuthMethod.CLIENT_CREDENTIALS, None, None, False),
        (AuthMethod.ADMIN_TOKEN, None, "secret", False),  # a pasted token's secret verifies webhooks, renews nothing
    ],
)
def test_only_a_refresh_token_or_the_own_apps_secret_can_renew(method, refresh_token, client_secret, expected):
    connection = ShopifyConnection(
        shop_domain=SHOP, auth_method=method, refresh_token=refresh_token, client_secret=client_secret
    )
    assert can_renew(connection) is expected


def test_token_is_refreshed_before_it_expires_and_the_rotation_is_kept(shopify_app, owner, sandbox):
    connection = install_with_oauth(shopify_app, owner)
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


def test_a_refresh_shopify_refuses_leaves_a_clear_error(shopify_app, owner, sandbox):
    connection = install_with_oauth(shopify_app, owner)
    sandbox.control("POST", f"/shops/{SHOP}/uninstall", {"client_id": CLIENT_ID})  # every credential revoked
    with pytest.raises(NotConnected, match="Could not renew the Shopify token") as exc:
        access_token_for(db.session, connection, now=utcnow() + timedelta(minutes=58))
    assert isinstance(exc.value, ShopifyAuthError)  # an import job stops and asks for a reconnect
    assert "invalid, expired or already replaced" in reload(connection).last_error


def test_client_credentials_token_is_fetched_again_when_it_runs_out(shopify_app, owner, sandbox):
    connection = connections.connect_with_client_credentials(
        db.session, Actor(owner), shopify_app, shop=SHOP, client_id=CLIENT_ID, client_secret=CLIENT_SECRET
    )
    first = connection.access_token
    assert connection.shop_name == "Zari Demo"
    assert timedelta(hours=23) < connection.access_token_expires_at - utcnow() <= timedelta(hours=24)
    sandbox.control("POST", "/clock", {"advance_seconds": 24 * 3600})
    fresh = access_token_for(db.session, connection, now=utcnow() + timedelta(hours=24))
    assert fresh != first
    assert sandbox.graphql(SHOP_QUERY, token=first).status == 401
    assert sandbox.graphql(SHOP_QUERY, token=fresh).status == 200


def test_a_refused_token_is_renewed_whatever_its_stored_expiry_says(shopify_app, owner, sandbox):
    connection = install_with_oauth(shopify_app, owner)
    refused = connection.access_token
    sandbox.control("POST", "/clock", {"advance_seconds": 3601})  # Shopify's hour is up; our row says 60 min left

    fresh = renew_refused_token(db.session, connection.id, refused, app=shopify_app)

    assert fresh not in (None, refused) and reload(connection).access_token == fresh
    assert sandbox.graphql(SHOP_QUERY, token=fresh).status == 200
    assert refreshes(sandbox) == 1


def test_a_token_another_worker_already_renewed_is_taken_as_it_is(shopify_app, owner, sandbox):
    connection = install_with_oauth(shopify_app, owner)
    stale = connection.access_token
    assert renew_refused_token(db.session, connection.id, stale, app=shopify_app) not in (None, stale)

    again = renew_refused_token(db.session, connection.id, stale, app=shopify_app)  # a second worker, same 401

    assert again == reload(connection).access_token
    assert refreshes(sandbox) == 1


def test_a_refused_pasted_token_has_nothing_to_renew_it_with(shopify_app, owner, sandbox):
    connection = connections.connect_with_admin_token(db.session, Actor(owner), shopify_app, shop=SHOP, token=TOKEN)
    assert renew_refused_token(db.session, connection.id, TOKEN, app=shopify_app) is None
    saved = reload(connection)
    assert (saved.status, saved.access_token, saved.last_error) == (ConnectionStatus.CONNECTED, TOKEN, "")


@pytest.mark.committing
def test_two_workers_refreshing_at_once_rotate_the_token_only_once(raced_connection, shopify_app, sandbox):
    """Each worker in its own connection, committing for real: the second waits on the row lock, then finds the
    token the first one got instead of spending the refresh token again."""
    raced = raced_connection(expires_in=timedelta(minutes=2))  # as if issued 58 minutes ago
    issued_before = len(sandbox.sandbox.auth.refresh_tokens)

    def worker(session, ready) -> str:
        row = session.get(ShopifyConnection, raced.id)
        ready()
        token = access_token_for(session, row, app=shopify_app)  # both see two minutes left
        session.commit()
        return token

    results = raced.in_two_workers(worker)
    assert len(results) == 2 and results[0] == results[1] != raced.tokens.access_token
    assert len(sandbox.sandbox.auth.refresh_tokens) == issued_before + 1
    assert raced.saved_access_token() == results[0]
