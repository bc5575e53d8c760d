"""Settings → Shopify against the sandbox: OAuth install end to end and every rejection, own app, pasted token,
disconnect, the uninstall webhook, permissions and tenants."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from sqlalchemy import func, select, text

from ismartsync.extensions import db
from ismartsync.models import AuditEntry, ShopifyConnection, SubscriptionStatus, WebhookSubscription
from ismartsync.models.shopify import ConnectionStatus
from ismartsync.pipelines.shopify_client import open_client
from ismartsync.services.audit import Actor
from ismartsync.services.shopify_store import connection as connections
from ismartsync.services.shopify_store.subscriptions import SYNC_TOPICS
from ismartsync.services.shopify_store.tokens import NotConnected
from tests.markup import element, field_text, is_fragment, text_of
from tests.sandbox_fixtures import OTHER_SHOP
from tests.shopify.fixtures import (
    APP_TOML,
    CLIENT_ID,
    CLIENT_SECRET,
    SHOP,
    TOKEN,
    callback_params,
    install_with_oauth,
    press_install,
    signed_query,
)


@pytest.fixture
def signed_in(browser, owner, shopify_app):
    browser.sign_in(owner)
    return browser


def saved_connection(merchant) -> ShopifyConnection | None:
    db.session.expire_all()
    return db.session.scalar(select(ShopifyConnection).where(ShopifyConnection.merchant_id == merchant.id))


def start(browser, shop: str = "zari-demo") -> str:
    """Press "Connect with Shopify"; return the Shopify authorize URL we are sent to."""
    response = browser.post("/shopify/connect", {"oauth-shop": shop})
    assert response.status_code == 303, response.get_data(as_text=True)
    return response.headers["Location"]


def local(url: str) -> str:
    """Shopify redirects to our BASE_URL; the test client only needs the path and query."""
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


def test_owner_sees_the_status_and_three_ways_to_connect(signed_in):
    page = signed_in.get("/shopify").get_data(as_text=True)
    assert "Not connected" in text_of(page, "shopify-status")
    assert "Connect with Shopify" in text_of(page, "connect-oauth")
    assert "Use your own app" in text_of(page, "connect-own")
    assert "Paste an admin token" in text_of(page, "connect-token")
    assert 'class="tab is-current">Shopify</a>' in page


def test_oauth_install_end_to_end(signed_in, merchant, sandbox):
    authorize = start(signed_in)
    assert authorize.startswith(f"{sandbox.url}/shops/{SHOP}/admin/oauth/authorize?")
    query = parse_qs(urlsplit(authorize).query)
    assert query["client_id"] == [CLIENT_ID] and query["state"][0]
    assert query["redirect_uri"] == ["http://127.0.0.1:5000/shopify/callback"]

    back = signed_in.get(local(press_install(authorize)))

    assert back.status_code == 303 and back.headers["Location"].endswith("/shopify")
    page = signed_in.get("/shopify").get_data(as_text=True)
    status = text_of(page, "shopify-status")
    assert "Connected" in status and "Zari Demo" in status and "Shopify app (OAuth)" in status
    assert "write_inventory" in status and "renews automatically" in status and "2026-07" in status
    connection = saved_connection(merchant)
    raw = db.session.execute(
        text("SELECT access_token, refresh_token FROM shopify_connections WHERE id = :i"), {"i": connection.id}
    ).one()
    assert connection.access_token.startswith("shpat_") and connection.access_token not in raw.access_token
    assert connection.refresh_token.startswith("shprt_") and connection.refresh_token not in raw.refresh_token
    assert sandbox.graphql("{ shop { name } }", token=connection.access_token).status == 200


def test_connect_over_htmx_redirects_the_whole_window(signed_in, sandbox):
    response = signed_in.post("/shopify/connect", {"oauth-shop": SHOP}, htmx=True)
    assert response.status_code == 204
    assert response.headers["HX-Redirect"].startswith(f"{sandbox.url}/shops/{SHOP}/admin/oauth/authorize?")


def test_connection_page_lets_the_connect_form_post_on_to_shopify(signed_in, sandbox):
    csp = signed_in.get("/shopify").headers["Content-Security-Policy"]
    assert f"form-action 'self' {sandbox.url}" in csp


@pytest.mark.parametrize("shop", ["", "zari.example.com", "zari-demo.myshopify.com.evil.com"])
def test_bad_shop_domain_is_shown_beside_the_field(signed_in, shop):
    response = signed_in.post("/shopify/connect", {"oauth-shop": shop})
    assert response.status_code == 422
    assert ".myshopify.com address" in field_text(response.get_data(as_text=True), "oauth-shop")


def test_bad_shop_domain_over_htmx_returns_only_the_form(signed_in):
    response = signed_in.post("/shopify/connect", {"oauth-shop": "zari.example.com"}, htmx=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and is_fragment(html)
    assert element(html, "connect-oauth") is not None and element(html, "connect-own") is None


def test_connect_without_our_app_configured_says_so(signed_in, app):
    app.config["SHOPIFY_CLIENT_SECRET"] = None  # use_sandbox puts it back after the test
    response = signed_in.post("/shopify/connect", {"oauth-shop": SHOP})
    assert response.status_code == 422
    assert "not set up on this server" in text_of(response.get_data(as_text=True), "connect-oauth")


def _refused(browser, path: str, merchant, message: str) -> None:
    response = browser.get(path)
    assert response.status_code == 400
    assert message in text_of(response.get_data(as_text=True), "shopify-error")
    assert saved_connection(merchant) is None


def test_callback_with_a_bad_hmac_is_refused(signed_in, merchant):
    params = callback_params(press_install(start(signed_in)))
    params["hmac"] = "0" * 64
    _refused(signed_in, f"/shopify/callback?{urlencode(params)}", merchant, "not signed by Shopify")


def test_callback_with_a_wrong_state_is_refused(signed_in, merchant):
    params = callback_params(press_install(start(signed_in)))
    params.pop("hmac")
    _refused(signed_in, f"/shopify/callback?{signed_query(**{**params, 'state': 'forged'})}", merchant, "not started")


def test_callback_in_a_browser_that_did_not_start_the_install_is_refused(signed_in, make_browser, owner, merchant):
    callback = local(press_install(start(signed_in)))
    other = make_browser()
    other.sign_in(owner)
    _refused(other, callback, merchant, "not started from this browser")


def test_callback_can_be_used_once(signed_in, merchant):
    callback = local(press_install(start(signed_in)))
    assert signed_in.get(callback).status_code == 303
    again = signed_in.get(callback)
    assert again.status_code == 400 and "already finished" in again.get_data(as_text=True)


def test_callback_for_a_foreign_shop_domain_is_refused(signed_in, merchant):
    params = callback_params(press_install(start(signed_in)))
    params.pop("hmac")
    query = signed_query(**{**params, "shop": "zari.example.com"})
    _refused(signed_in, f"/shopify/callback?{query}", merchant, "not a .myshopify.com address")


def test_callback_for_another_shop_than_the_one_started_is_refused(signed_in, merchant):
    params = callback_params(press_install(start(signed_in)))
    params.pop("hmac")
    query = signed_query(**{**params, "shop": OTHER_SHOP})
    _refused(signed_in, f"/shopify/callback?{query}", merchant, f"Shopify answered for {OTHER_SHOP}, not for {SHOP}")


def test_callback_with_an_expired_timestamp_is_refused(signed_in, merchant):
    params = callback_params(press_install(start(signed_in)))
    params.pop("hmac")
    query = signed_query(**{**params, "timestamp": str(int(time.time()) - 25 * 3600)})
    _refused(signed_in, f"/shopify/callback?{query}", merchant, "has expired")


def test_callback_missing_a_scope_is_refused(browser, owner, merchant, start_sandbox, use_sandbox):
    narrow = start_sandbox(
        apps=[
            {
                "client_id": CLIENT_ID,
                "client_secret": CLIENT_SECRET,
                "grant_scopes": ["read_products"],
            }
        ]
    )
    use_sandbox(narrow)
    browser.sign_in(owner)
    _refused(browser, local(press_install(start(browser))), merchant, "missing: write_inventory")


def test_install_link_from_shopify_starts_oauth_for_a_signed_in_owner(signed_in, sandbox):
    response = signed_in.get(f"/shopify/install?{signed_query(shop=SHOP, host='YWRtaW4')}")
    assert response.status_code == 303
    assert response.headers["Location"].startswith(f"{sandbox.url}/shops/{SHOP}/admin/oauth/authorize?")


def test_install_link_asks_to_sign_in_first_and_comes_back(browser, owner, shopify_app, sandbox):
    install = f"/shopify/install?{signed_query(shop=SHOP, host='YWRtaW4')}"
    response = browser.get(install)
    assert response.status_code in (302, 303) and "/sign-in" in response.headers["Location"]
    signed = browser.post(response.headers["Location"], {"email": owner.email, "password": "correct-horse-battery"})
    assert local(signed.headers["Location"]).startswith("/shopify/install?")
    assert browser.get(local(signed.headers["Location"])).headers["Location"].startswith(sandbox.url)


def test_install_link_with_a_bad_signature_is_refused(signed_in, merchant):
    query = signed_query(secret="not-our-secret", shop=SHOP)
    _refused(signed_in, f"/shopify/install?{query}", merchant, "not signed by Shopify")


def test_install_link_for_the_store_already_connected_opens_the_status(signed_in):
    signed_in.get(local(press_install(start(signed_in))))
    response = signed_in.get(f"/shopify/install?{signed_query(shop=SHOP)}")
    assert response.status_code == 303 and response.headers["Location"].endswith("/shopify")


def test_owner_connects_with_their_own_app(signed_in, merchant):
    response = signed_in.post(
        "/shopify/client-credentials",
        {"own-shop": SHOP, "own-client_id": CLIENT_ID, "own-client_secret": CLIENT_SECRET},
    )
    assert response.status_code == 303
    status = text_of(signed_in.get("/shopify").get_data(as_text=True), "shopify-status")
    assert "Your own app (client credentials)" in status and "Zari Demo" in status
    assert saved_connection(merchant).client_secret == CLIENT_SECRET


def test_wrong_client_secret_is_shown_beside_the_secret(signed_in, merchant):
    response = signed_in.post(
        "/shopify/client-credentials", {"own-shop": SHOP, "own-client_id": CLIENT_ID, "own-client_secret": "nope"}
    )
    assert response.status_code == 422
    assert "did not accept this client ID and secret" in field_text(
        response.get_data(as_text=True), "own-client_secret"
    )
    assert saved_connection(merchant) is None


def test_owner_pastes_a_working_admin_token(signed_in, merchant):
    response = signed_in.post("/shopify/token", {"paste-shop": SHOP, "paste-access_token": TOKEN})
    assert response.status_code == 303
    status = text_of(signed_in.get("/shopify").get_data(as_text=True), "shopify-status")
    assert "Admin API token" in status and "does not expire" in status


def test_pasted_token_shopify_refuses_is_shown_beside_the_token(signed_in, merchant):
    response = signed_in.post("/shopify/token", {"paste-shop": SHOP, "paste-access_token": "shpat_made_up"}, htmx=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and is_fragment(html)
    assert "Shopify did not accept this token" in field_text(html, "paste-access_token")
    assert saved_connection(merchant) is None


def test_disconnect_forgets_the_credentials(signed_in, merchant):
    signed_in.post("/shopify/token", {"paste-shop": SHOP, "paste-access_token": TOKEN})
    response = signed_in.post("/shopify/disconnect")
    assert response.status_code == 303
    status = text_of(signed_in.get("/shopify").get_data(as_text=True), "shopify-status")
    assert "Disconnected" in status and "Disconnect" not in status.replace("Disconnected", "")
    connection = saved_connection(merchant)
    assert connection.status == ConnectionStatus.DISCONNECTED and connection.access_token is None


def test_uninstall_webhook_revokes_the_connection(
    browser, owner, merchant, start_sandbox, use_sandbox, webhook_receiver, app
):
    # Our app's webhooks are the ones shopify.app.toml declares; the sandbox delivers them to its app URL.
    running = start_sandbox(
        app_url=webhook_receiver.url.removesuffix("/webhooks/shopify"),
        apps=[
            {
                "client_id": CLIENT_ID,
                "client_secret": CLIENT_SECRET,
                "app_toml": APP_TOML,
                "redirect_urls": [app.config["BASE_URL"] + "/shopify/callback"],
            }
        ],
    )
    use_sandbox(running)
    browser.sign_in(owner)
    browser.get(local(press_install(start(browser))))
    running.control("POST", f"/shops/{SHOP}/uninstall", {"client_id": CLIENT_ID})
    running.control("POST", "/webhooks/wait", {"timeout": 10})
    delivery = next(c for c in webhook_receiver.calls if c["headers"].get("X-Shopify-Topic") == "app/uninstalled")
    headers = {k: v for k, v in delivery["headers"].items() if k.startswith("X-Shopify")}

    forged = browser.client.post(
        "/webhooks/shopify", data=delivery["body"], headers={**headers, "X-Shopify-Hmac-Sha256": "bm9wZQ=="}
    )
    assert forged.status_code == 401 and saved_connection(merchant).is_connected

    response = browser.client.post("/webhooks/shopify", data=delivery["body"], headers=headers)  # no CSRF token
    assert response.status_code == 200
    connection = saved_connection(merchant)
    assert connection.status == ConnectionStatus.REVOKED and connection.access_token is None
    assert db.session.scalar(select(AuditEntry.summary).where(AuditEntry.action == "shopify.revoke"))
    assert "Uninstalled in Shopify" in text_of(browser.get("/shopify").get_data(as_text=True), "shopify-status")


def _paste(browser, sandbox, secret: str | bool | None = None) -> None:
    form = {"paste-shop": SHOP, "paste-access_token": TOKEN}
    if secret is not False:
        form["paste-api_secret_key"] = secret or sandbox.custom_app_secret()
    assert browser.post("/shopify/token", form).status_code == 303


def test_other_webhook_topics_are_acknowledged_and_change_nothing(signed_in, merchant, client, sandbox):
    _paste(signed_in, sandbox)
    body = b'{"id": 1}'
    secret = sandbox.custom_app_secret()
    signature = base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()
    headers = {
        "X-Shopify-Topic": "products/update",
        "X-Shopify-Shop-Domain": SHOP,
        "X-Shopify-Hmac-Sha256": signature,
        "X-Shopify-Webhook-Id": "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043",
    }
    assert client.post("/webhooks/shopify", data=body, headers=headers).status_code == 200
    assert saved_connection(merchant).is_connected


@pytest.mark.parametrize(
    "method, path",
    [
        ("get", "/shopify"),
        ("post", "/shopify/connect"),
        ("post", "/shopify/client-credentials"),
        ("post", "/shopify/token"),
        ("post", "/shopify/disconnect"),
        ("get", "/shopify/callback?code=x"),
    ],
)
def test_cashier_cannot_reach_shopify_settings(browser, cashier, method, path):
    browser.sign_in(cashier)
    response = getattr(browser, method)(path, **({"data": {"oauth-shop": SHOP}} if method == "post" else {}))
    assert response.status_code == 403


def test_cashier_opening_the_install_link_is_refused(browser, cashier, shopify_app):
    browser.sign_in(cashier)
    assert browser.get(f"/shopify/install?{signed_query(shop=SHOP)}").status_code == 403


def test_another_merchants_connection_is_neither_shown_nor_touched(signed_in, merchant, outsider, shopify_app):
    theirs = connections.connect_with_admin_token(db.session, Actor(outsider), shopify_app, shop=SHOP, token=TOKEN)
    db.session.commit()
    page = signed_in.get("/shopify").get_data(as_text=True)
    assert "Not connected" in text_of(page, "shopify-status") and "Zari Demo" not in page
    signed_in.post("/shopify/disconnect")
    db.session.expire_all()
    assert db.session.get(ShopifyConnection, theirs.id).is_connected
    assert saved_connection(merchant) is None


def test_token_form_asks_for_the_api_secret_key_and_says_where_to_find_it(signed_in):
    form = signed_in.get("/shopify").get_data(as_text=True)

    assert element(form, "field-paste-api_secret_key") is not None
    help_text = text_of(form, "api-secret-key-help")
    assert "Settings → Apps and sales channels → Develop apps → the app → API credentials → API secret key" in help_text


def test_pasted_token_with_its_secret_subscribes_the_store_and_disconnect_deletes_them(
    signed_in, merchant, sandbox, run_jobs
):
    _paste(signed_in, sandbox)
    run_jobs("shopify")
    assert saved_connection(merchant).client_secret == sandbox.custom_app_secret()
    assert len(sandbox.subscriptions()) == len(SYNC_TOPICS)
    status = text_of(signed_in.get("/shopify").get_data(as_text=True), "shopify-webhooks")
    assert status == "subscribed by iSmartSync, verified with the app's API secret key"

    response = signed_in.post("/shopify/disconnect")

    assert response.status_code == 303
    assert sandbox.subscriptions() == []
    summary = db.session.scalar(select(AuditEntry.summary).where(AuditEntry.action == "shopify.disconnect"))
    assert summary == f"Disconnected Shopify store {SHOP}; {len(SYNC_TOPICS)} webhook subscriptions deleted in Shopify"
    assert db.session.scalar(select(func.count()).select_from(WebhookSubscription)) == 0


def test_disconnect_goes_through_when_shopify_cannot_delete_the_subscriptions(signed_in, merchant, sandbox, run_jobs):
    _paste(signed_in, sandbox)
    run_jobs("shopify")
    sandbox.control("POST", "/faults", {"mode": "503", "count": 100, "operation": "WebhookSubscriptionDelete"})

    response = signed_in.post("/shopify/disconnect")

    assert response.status_code == 303
    assert saved_connection(merchant).status == ConnectionStatus.DISCONNECTED
    summary = db.session.scalar(select(AuditEntry.summary).where(AuditEntry.action == "shopify.disconnect"))
    assert summary.endswith(f"0 webhook subscriptions deleted in Shopify, {len(SYNC_TOPICS)} could not be deleted")
    left = db.session.scalars(select(WebhookSubscription.status)).all()
    assert set(left) == {SubscriptionStatus.ORPHANED} and len(left) == len(SYNC_TOPICS)


def test_pasted_token_without_its_secret_says_webhooks_cannot_be_verified(signed_in, merchant, sandbox, run_jobs):
    _paste(signed_in, sandbox, secret=False)
    run_jobs("shopify")

    status = text_of(signed_in.get("/shopify").get_data(as_text=True), "shopify-webhooks")

    assert status.startswith("none: without the app's API secret key they cannot be verified.")
    assert sandbox.subscriptions() == []


def test_a_store_whose_token_renewal_was_refused_asks_to_reconnect_until_it_is(
    signed_in, owner, merchant, shopify_app, sandbox
):
    install_with_oauth(shopify_app, owner)
    sandbox.control("POST", f"/shops/{SHOP}/uninstall", {"client_id": CLIENT_ID})  # Shopify revoked everything
    with open_client(db.session, merchant.id) as client, pytest.raises(NotConnected):
        client.query("Shop", {})  # a job's request: 401, and the renewal is refused

    page = signed_in.get("/shopify").get_data(as_text=True)
    status = text_of(page, "shopify-status")
    assert "Reconnect the store" in status and "refused to renew" in status
    assert "Connect with Shopify" in text_of(page, "connect-oauth")

    install_with_oauth(shopify_app, owner)  # the owner connects again
    assert saved_connection(merchant).status == ConnectionStatus.CONNECTED
    assert "Reconnect the store" not in text_of(signed_in.get("/shopify").get_data(as_text=True), "shopify-status")
