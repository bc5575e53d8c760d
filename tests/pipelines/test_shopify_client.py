"""A job's Shopify client against the sandbox: its token renewed before it runs out and once after a 401, a refused
renewal (and only that) marks the connection "Reconnect the store", two workers spend a refresh token once."""

from __future__ import annotations

from datetime import timedelta

import pytest

from ismartsync.extensions import db
from ismartsync.models import ShopifyConnection
from ismartsync.models.base import utcnow
from ismartsync.models.shopify import AuthMethod, ConnectionStatus
from ismartsync.pipelines.shopify_client import ConnectionTokens, open_client
from ismartsync.services.shopify_store.tokens import NotConnected
from ismartsync.shopify.errors import ShopifyAuthError, ShopifyUnavailable
from tests.sandbox_fixtures import CLIENT_ID, SHOP, TOKEN, requests_log
from tests.shopify.fixtures import install_with_oauth

HOUR = 3600


def reload(connection: ShopifyConnection) -> ShopifyConnection:
    db.session.expire_all()
    return db.session.get(ShopifyConnection, connection.id)


def refreshes(sandbox) -> int:
    """How many times Shopify renewed a token with a refresh token."""
    return sum(r.uses for r in sandbox.sandbox.auth.refresh_tokens.values())


def statuses(sandbox, operation: str = "Shop") -> list[int]:
    return [r["status"] for r in requests_log(sandbox) if r["operation_name"] == operation]


def test_open_client_gives_a_working_client(shopify_app, owner, sandbox):
    install_with_oauth(shopify_app, owner)
    with open_client(db.session, owner.merchant_id) as client:
        assert client.query("Shop", {})["shop"]["myshopifyDomain"] == SHOP


def test_a_token_with_under_five_minutes_left_is_renewed_before_the_request(shopify_app, owner, sandbox):
    connection = install_with_oauth(shopify_app, owner)
    old = connection.access_token
    connection.access_token_expires_at = utcnow() + timedelta(minutes=4)  # as if issued 56 minutes ago
    db.session.commit()

    with open_client(db.session, owner.merchant_id) as client:
        client.query("Shop", {})

    saved = reload(connection)
    assert saved.access_token != old and saved.access_token_expires_at > utcnow() + timedelta(minutes=59)
    assert statuses(sandbox) == [200, 200]  # the install's check, then ours: no 401 on the way
    assert refreshes(sandbox) == 1


def test_a_401_renews_the_token_once_and_sends_the_same_request_again(shopify_app, owner, sandbox):
    connection = install_with_oauth(shopify_app, owner)
    old = connection.access_token
    with open_client(db.session, owner.merchant_id) as client:
        client.query("Shop", {})
        sandbox.control("POST", "/clock", {"advance_seconds": HOUR + 1})  # Shopify's hour is up; ours says not yet
        assert client.query("Shop", {})["shop"]["myshopifyDomain"] == SHOP
        client.query("Shop", {})  # the renewed token goes on serving

    assert statuses(sandbox) == [200, 200, 401, 200, 200]
    assert refreshes(sandbox) == 1
    saved = reload(connection)
    assert saved.access_token != old and saved.status == ConnectionStatus.CONNECTED


def test_a_refused_renewal_marks_the_connection_reconnect_the_store(shopify_app, owner, sandbox):
    connection = install_with_oauth(shopify_app, owner)
    with open_client(db.session, owner.merchant_id) as client:
        sandbox.control("POST", f"/shops/{SHOP}/uninstall", {"client_id": CLIENT_ID})  # every credential revoked
        with pytest.raises(NotConnected, match="Reconnect the store") as refused:
            client.query("Shop", {})
    assert isinstance(refused.value, ShopifyAuthError)

    saved = reload(connection)
    assert saved.status == ConnectionStatus.RECONNECT and not saved.is_connected
    assert "invalid, expired or already replaced" in saved.last_error
    assert "Reconnect the store" in saved.last_error
    with pytest.raises(NotConnected, match="Reconnect the store"):  # the next job stops at once, asking the same
        open_client(db.session, owner.merchant_id)


def test_a_token_endpoint_that_does_not_answer_is_retried_later_not_reconnect(shopify_app, owner, sandbox):
    connection = install_with_oauth(shopify_app, owner)
    sandbox.control("POST", "/faults", {"mode": "503", "target": "oauth"})
    connection.access_token_expires_at = utcnow() + timedelta(minutes=2)
    db.session.commit()

    with open_client(db.session, owner.merchant_id) as client, pytest.raises(ShopifyUnavailable):
        client.query("Shop", {})

    assert reload(connection).status == ConnectionStatus.CONNECTED
    with open_client(db.session, owner.merchant_id) as client:  # Shopify answers again: renewed, on we go
        client.query("Shop", {})
    assert reload(connection).access_token_expires_at > utcnow() + timedelta(minutes=59)


def test_a_pasted_token_shopify_refuses_fails_the_request_and_marks_nothing(shopify_app, merchant, owner, sandbox):
    connection = ShopifyConnection(
        merchant=merchant, shop_domain=SHOP, auth_method=AuthMethod.ADMIN_TOKEN, access_token="shpat_made_up"
    )
    db.session.add(connection)
    db.session.commit()

    with open_client(db.session, merchant.id) as client, pytest.raises(ShopifyAuthError, match="HTTP 401") as exc:
        client.query("Shop", {})

    assert not isinstance(exc.value, NotConnected)
    assert statuses(sandbox) == [401]  # nothing to renew it with: not sent again
    saved = reload(connection)
    assert (saved.status, saved.last_error) == (ConnectionStatus.CONNECTED, "")


def test_a_missing_permission_is_not_a_reason_to_renew_or_reconnect(start_sandbox, use_sandbox, owner):
    narrow = start_sandbox(
        apps=[{"client_id": CLIENT_ID, "client_secret": "ismartsync-demo-secret", "webhook_uri": None}],
        tokens=[{"token": TOKEN, "shop": SHOP, "client_id": CLIENT_ID, "scope": "read_products"}],
    )
    use_sandbox(narrow)
    connection = ShopifyConnection(
        merchant_id=owner.merchant_id, shop_domain=SHOP, auth_method=AuthMethod.ADMIN_TOKEN, access_token=TOKEN
    )
    db.session.add(connection)
    db.session.commit()

    with open_client(db.session, owner.merchant_id) as client, pytest.raises(ShopifyAuthError, match="ccess denied"):
        client.query("Locations", {})

    assert reload(connection).status == ConnectionStatus.CONNECTED
    assert refreshes(narrow) == 0


@pytest.mark.committing
def test_two_workers_refused_at_once_spend_the_refresh_token_once(raced_connection, shopify_app, sandbox):
    """Both workers were sent 401 for the same token: the first renews it under the row lock, the second waits,
    reads the row again and takes the token the first stored instead of spending the refresh token again."""
    raced = raced_connection(expires_in=timedelta(minutes=50))  # fine by our clock: only the 401 says not
    sandbox.control("POST", "/clock", {"advance_seconds": HOUR + 1})

    def worker(session, ready) -> str | None:
        source = ConnectionTokens(session, session.get(ShopifyConnection, raced.id), shopify_app)
        session.commit()
        ready()
        return source.renew(raced.tokens.access_token)

    results = raced.in_two_workers(worker)
    assert len(results) == 2 and results[0] == results[1] not in (None, raced.tokens.access_token)
    assert sandbox.sandbox.auth.refresh_tokens[raced.tokens.refresh_token].uses == 1
    assert refreshes(sandbox) == 1
    assert sandbox.graphql("{ shop { name } }", token=results[0]).status == 200
    assert raced.saved_access_token() == results[0]
