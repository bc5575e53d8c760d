"""OAuth as Shopify does it: install page, HMAC-signed callback, code exchange, expiring tokens and refresh rotation,
client credentials."""

from __future__ import annotations

import hashlib
import hmac
import re
from urllib.parse import parse_qsl, urlencode, urlsplit

from tests.sandbox.conftest import CLIENT_ID, CLIENT_SECRET, SHOP, RunningSandbox, http

APP_URL = "http://127.0.0.1:5000"
REDIRECT = f"{APP_URL}/shopify/callback"


def authorize_url(sandbox: RunningSandbox, **params: str) -> str:
    query = {
        "client_id": CLIENT_ID,
        "scope": "read_products,write_inventory,read_locations",
        "redirect_uri": REDIRECT,
        "state": "nonce-123",
        **params,
    }
    return f"{sandbox.url}/shops/{SHOP}/admin/oauth/authorize?{urlencode(query)}"


def install(sandbox: RunningSandbox, **params: str) -> dict[str, str]:
    """Open the install page, press Install, and return the callback's query parameters."""
    page = http("GET", authorize_url(sandbox, **params))
    assert page.status == 200
    html = page.body.decode()
    assert "Install iSmartSync on Zari Demo" in html
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', html))
    answer = http("POST", authorize_url(sandbox, **params).split("?")[0], fields, form=True)
    assert answer.status == 302
    location = answer.headers["Location"]
    assert location.startswith(REDIRECT + "?")
    return dict(parse_qsl(urlsplit(location).query))


def shopify_hmac_is_valid(params: dict[str, str], secret: str) -> bool:
    message = "&".join(f"{k}={v}" for k, v in sorted(params.items()) if k != "hmac")
    digest = hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()
    return hmac.compare_digest(digest, params["hmac"])


def token_request(sandbox: RunningSandbox, **params: str) -> tuple[int, dict]:
    response = http(
        "POST",
        f"{sandbox.url}/shops/{SHOP}/admin/oauth/access_token",
        {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, **params},
    )
    return response.status, response.json()


def test_install_signs_the_callback_and_exchanges_an_expiring_token(shopify_sandbox: RunningSandbox) -> None:
    callback = install(shopify_sandbox)

    assert set(callback) == {"code", "hmac", "host", "shop", "state", "timestamp"}
    assert callback["shop"] == SHOP and callback["state"] == "nonce-123"
    assert shopify_hmac_is_valid(callback, CLIENT_SECRET)
    assert not shopify_hmac_is_valid({**callback, "shop": "evil.myshopify.com"}, CLIENT_SECRET)
    status, token = token_request(shopify_sandbox, code=callback["code"], expiring="1")
    assert status == 200
    assert token["expires_in"] == 3600 and token["refresh_token"] and token["refresh_token_expires_in"] > 0
    assert token["scope"] == "read_products,write_inventory,read_locations"
    assert shopify_sandbox.graphql("{ shop { name } }", token=token["access_token"]).status == 200
    reused, error = token_request(shopify_sandbox, code=callback["code"], expiring="1")
    assert reused == 400 and error["error"] == "invalid_request"


def test_refresh_tokens_rotate_and_access_tokens_expire(shopify_sandbox: RunningSandbox) -> None:
    _, first = token_request(shopify_sandbox, code=install(shopify_sandbox)["code"], expiring="1")

    _, second = token_request(shopify_sandbox, grant_type="refresh_token", refresh_token=first["refresh_token"])
    _, third = token_request(shopify_sandbox, grant_type="refresh_token", refresh_token=second["refresh_token"])
    status, error = token_request(shopify_sandbox, grant_type="refresh_token", refresh_token=first["refresh_token"])

    assert second["refresh_token"] != first["refresh_token"] and second["expires_in"] == 3600
    assert third["access_token"] not in (first["access_token"], second["access_token"])
    assert (status, error["error"]) == (400, "invalid_grant")
    shopify_sandbox.control("POST", "/clock", {"advance_seconds": 3601})
    assert shopify_sandbox.graphql("{ shop { name } }", token=third["access_token"]).status == 401


def test_offline_token_without_expiring_never_expires(shopify_sandbox: RunningSandbox) -> None:
    _, token = token_request(shopify_sandbox, code=install(shopify_sandbox)["code"])

    assert set(token) == {"access_token", "scope"}
    shopify_sandbox.control("POST", "/clock", {"advance_seconds": 400 * 86400})
    assert shopify_sandbox.graphql("{ shop { name } }", token=token["access_token"]).status == 200


def test_merchant_may_grant_fewer_scopes_than_asked(make_shopify_sandbox) -> None:
    sandbox = make_shopify_sandbox(
        apps=[{"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "grant_scopes": "read_products,read_locations"}]
    )
    _, token = token_request(sandbox, code=install(sandbox)["code"])

    assert token["scope"] == "read_products,read_locations"
    body = sandbox.graphql(
        'mutation { inventoryActivate(inventoryItemId: "gid://shopify/InventoryItem/1", '
        'locationId: "gid://shopify/Location/1") { userErrors { message } } }',
        token=token["access_token"],
    ).json()
    assert body["errors"][0]["extensions"]["code"] == "ACCESS_DENIED"


def test_redirect_uri_outside_the_app_is_refused(shopify_sandbox: RunningSandbox) -> None:
    page = http("GET", authorize_url(shopify_sandbox, redirect_uri="https://evil.example/callback"))

    assert page.status == 400
    assert "redirect_uri is not whitelisted" in page.body.decode()


def test_client_credentials_token_lasts_a_day(shopify_sandbox: RunningSandbox) -> None:
    status, token = token_request(shopify_sandbox, grant_type="client_credentials")

    assert status == 200 and token["expires_in"] == 86399
    assert shopify_sandbox.graphql("{ shop { name } }", token=token["access_token"]).status == 200
    shopify_sandbox.control("POST", "/clock", {"advance_seconds": 86400})
    assert shopify_sandbox.graphql("{ shop { name } }", token=token["access_token"]).status == 401


def test_wrong_client_secret_is_refused(shopify_sandbox: RunningSandbox) -> None:
    status, body = token_request(shopify_sandbox, grant_type="client_credentials", client_secret="nope")

    assert (status, body["error"]) == (401, "invalid_client")


def test_token_lifetimes_are_set_through_the_control_api_and_reset_restores_them(
    shopify_sandbox: RunningSandbox,
) -> None:
    assert shopify_sandbox.control("POST", "/ttl", {"access_token": 90})["ttl"]["access_token"] == 90
    _, short = token_request(shopify_sandbox, code=install(shopify_sandbox)["code"], expiring="1")

    assert short["expires_in"] == 90
    shopify_sandbox.control("POST", "/clock", {"advance_seconds": 89})
    assert shopify_sandbox.graphql("{ shop { name } }", token=short["access_token"]).status == 200
    shopify_sandbox.control("POST", "/clock", {"advance_seconds": 1})  # expired on the sandbox's clock
    assert shopify_sandbox.graphql("{ shop { name } }", token=short["access_token"]).status == 401
    _, renewed = token_request(shopify_sandbox, grant_type="refresh_token", refresh_token=short["refresh_token"])
    assert renewed["expires_in"] == 90 and renewed["refresh_token"] != short["refresh_token"]
    assert http("POST", f"{shopify_sandbox.url}/sandbox/control/ttl", {"access_tokens": 5}).status == 400

    shopify_sandbox.control("POST", "/reset")
    assert shopify_sandbox.control("GET", "/ttl")["ttl"]["access_token"] == 3600


def test_each_use_of_a_refresh_token_is_counted(shopify_sandbox: RunningSandbox) -> None:
    """Until its successor is used a refresh token still works (Shopify since Aug 2026), so a race between two
    workers would spend it twice; the sandbox counts the uses for tests to see."""
    _, first = token_request(shopify_sandbox, code=install(shopify_sandbox)["code"], expiring="1")

    token_request(shopify_sandbox, grant_type="refresh_token", refresh_token=first["refresh_token"])
    token_request(shopify_sandbox, grant_type="refresh_token", refresh_token=first["refresh_token"])

    assert shopify_sandbox.sandbox.auth.refresh_tokens[first["refresh_token"]].uses == 2
