"""OAuth against the sandbox: shop domains, request signatures, code exchange, refresh rotation, client credentials."""

from __future__ import annotations

import base64
import hashlib
import hmac
import socket
import time
from datetime import UTC, datetime, timedelta

import pytest

from ismartsync.shopify import oauth
from ismartsync.shopify.oauth import OAuthError, ShopifyApp
from tests.shopify.fixtures import (
    CLIENT_ID,
    CLIENT_SECRET,
    SHOP,
    callback_params,
    http,
    press_install,
    sign,
)

REDIRECT = "http://127.0.0.1:5000/shopify/callback"


def _install(app: ShopifyApp, state: str = "nonce-1") -> dict[str, str]:
    return callback_params(press_install(oauth.authorize_url(app, SHOP, redirect_uri=REDIRECT, state=state)))


@pytest.mark.parametrize(
    "typed, shop",
    [
        ("zari-demo.myshopify.com", "zari-demo.myshopify.com"),
        ("  Zari-Demo.MyShopify.com ", "zari-demo.myshopify.com"),
        ("https://zari-demo.myshopify.com/admin", "zari-demo.myshopify.com"),
        ("zari-demo", "zari-demo.myshopify.com"),
    ],
)
def test_shop_domain_is_normalised(typed, shop):
    assert oauth.normalize_shop_domain(typed) == shop


FOREIGN = [
    "",
    "zari.example.com",
    "zari-demo.myshopify.com.evil.com",
    "-zari.myshopify.com",
    "zari demo",
    "a@b.myshopify.com",
]


@pytest.mark.parametrize("typed", FOREIGN)
def test_foreign_shop_domains_are_refused(typed):
    with pytest.raises(OAuthError) as exc:
        oauth.normalize_shop_domain(typed)
    assert exc.value.field == "shop"


def test_callback_signed_by_the_sandbox_verifies_and_names_the_shop(shopify_app):
    params = _install(shopify_app)
    assert oauth.verify_query(params, shopify_app.secrets) == SHOP


def test_callback_with_a_changed_parameter_is_refused(shopify_app):
    params = _install(shopify_app)
    with pytest.raises(OAuthError, match="not signed by Shopify"):
        oauth.verify_query({**params, "shop": "noor-footwear.myshopify.com"}, shopify_app.secrets)
    with pytest.raises(OAuthError, match="not signed by Shopify"):
        oauth.verify_query({**params, "hmac": "0" * 64}, shopify_app.secrets)
    with pytest.raises(OAuthError, match="not signed by Shopify"):
        oauth.verify_query({k: v for k, v in params.items() if k != "hmac"}, shopify_app.secrets)


def test_signature_from_the_previous_secret_is_accepted_during_a_rotation():
    app = ShopifyApp(CLIENT_ID, "new-secret", (), "https://{shop}", previous_client_secret=CLIENT_SECRET)
    params = sign({"shop": SHOP, "timestamp": str(int(time.time()))})
    assert oauth.verify_query(params, app.secrets) == SHOP
    assert oauth.verify_query(sign(params, "new-secret"), app.secrets) == SHOP


@pytest.mark.parametrize("age", [timedelta(hours=25), timedelta(hours=-25)])
def test_signed_request_older_or_newer_than_a_day_is_refused(age):
    stamp = datetime.now(UTC) - age
    params = sign({"shop": SHOP, "timestamp": str(int(stamp.timestamp()))})
    with pytest.raises(OAuthError, match="expired"):
        oauth.verify_query(params, [CLIENT_SECRET])


def test_signed_request_for_a_foreign_domain_is_refused():
    params = sign({"shop": "zari.example.com", "timestamp": str(int(time.time()))})
    with pytest.raises(OAuthError, match=r"not a \.myshopify\.com address"):
        oauth.verify_query(params, [CLIENT_SECRET])


def test_authorize_url_asks_for_our_scopes_and_carries_the_state(shopify_app, sandbox):
    url = oauth.authorize_url(shopify_app, SHOP, redirect_uri=REDIRECT, state="nonce-7")
    assert url.startswith(f"{sandbox.url}/shops/{SHOP}/admin/oauth/authorize?")
    page = http("GET", url).body.decode()
    assert "Install iSmartSync on Zari Demo" in page
    assert "write_inventory" in page and "read_customers" in page
    assert callback_params(press_install(url))["state"] == "nonce-7"


def test_code_exchange_gives_an_expiring_token_and_a_refresh_token(shopify_app, sandbox):
    params = _install(shopify_app)
    tokens = oauth.exchange_code(shopify_app, SHOP, params["code"])
    assert tokens.refresh_token and tokens.refresh_token != tokens.access_token
    left = tokens.expires_at - datetime.now(UTC)
    assert timedelta(minutes=59) < left <= timedelta(minutes=60)
    assert tokens.refresh_token_expires_at > datetime.now(UTC) + timedelta(days=30)
    assert set(tokens.scopes) == set(shopify_app.scopes)
    assert sandbox.graphql("{ shop { name } }", token=tokens.access_token).status == 200


def test_a_code_works_once(shopify_app):
    code = _install(shopify_app)["code"]
    oauth.exchange_code(shopify_app, SHOP, code)
    with pytest.raises(OAuthError, match="not found or was already used"):
        oauth.exchange_code(shopify_app, SHOP, code)


def test_refresh_rotates_the_refresh_token(shopify_app, sandbox):
    first = oauth.exchange_code(shopify_app, SHOP, _install(shopify_app)["code"])
    second = oauth.refresh_tokens(shopify_app, SHOP, first.refresh_token)
    assert second.access_token != first.access_token
    assert second.refresh_token not in (None, first.refresh_token)
    third = oauth.refresh_tokens(shopify_app, SHOP, second.refresh_token)  # using the new one retires the old one
    with pytest.raises(OAuthError, match="invalid, expired or already replaced"):
        oauth.refresh_tokens(shopify_app, SHOP, first.refresh_token)
    assert sandbox.graphql("{ shop { name } }", token=third.access_token).status == 200


def test_client_credentials_give_a_day_long_token(shopify_app, sandbox):
    tokens = oauth.client_credentials_token(shopify_app.api_base, SHOP, CLIENT_ID, CLIENT_SECRET)
    assert tokens.refresh_token is None
    assert timedelta(hours=23) < tokens.expires_at - datetime.now(UTC) <= timedelta(hours=24)
    assert sandbox.graphql("{ shop { name } }", token=tokens.access_token).status == 200


def test_wrong_client_secret_is_reported_in_shopifys_words(shopify_app):
    with pytest.raises(OAuthError, match="Client authentication failed"):
        oauth.client_credentials_token(shopify_app.api_base, SHOP, CLIENT_ID, "wrong")


def test_unreachable_shopify_is_a_clear_error():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed once the with-block ends: nothing listens there
    with pytest.raises(OAuthError, match="did not answer"):
        oauth.client_credentials_token(f"http://127.0.0.1:{port}/shops/{{shop}}", SHOP, CLIENT_ID, CLIENT_SECRET)


def test_missing_scope_is_named():
    oauth.check_scopes(["write_inventory", "read_products"], ["read_inventory", "read_products"])  # write ⊇ read
    with pytest.raises(OAuthError, match=r"missing: read_customers, write_inventory"):
        oauth.check_scopes(["read_products", "read_inventory"], ["read_products", "read_customers", "write_inventory"])


def test_webhook_signature_is_checked_over_the_raw_body():
    body = b'{"id": 1, "domain": "zari-demo.myshopify.com"}'
    header = base64.b64encode(hmac.new(CLIENT_SECRET.encode(), body, hashlib.sha256).digest()).decode()
    assert oauth.verify_webhook_hmac(body, header, [CLIENT_SECRET])
    assert oauth.verify_webhook_hmac(body, header, ["new-secret", CLIENT_SECRET])  # rotation: old still accepted
    assert not oauth.verify_webhook_hmac(body + b" ", header, [CLIENT_SECRET])
    assert not oauth.verify_webhook_hmac(body, header, ["other-secret"])
    assert not oauth.verify_webhook_hmac(body, None, [CLIENT_SECRET])
    assert not oauth.verify_webhook_hmac(body, header, [""])
