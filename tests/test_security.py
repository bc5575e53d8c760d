"""Security headers, cookie flags, CSRF on every form, and the production configuration."""

from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import select

from ismartsync import create_app
from ismartsync.extensions import db
from ismartsync.models import Branch
from tests import factories
from tests.conftest import REDIS_URL, TEST_ENCRYPTION_KEY
from tests.markup import text_of

SIGNED_OUT_PAGES = ["/sign-in", "/sign-up", "/password/forgot", "/no-such-page"]
SIGNED_IN_PAGES = [
    "/",
    "/account",
    "/staff",
    "/staff/invite",
    "/roles",
    "/settings/business",
    "/settings/branches",
    "/audit",
]


def _assert_security_headers(response, path: str) -> None:
    headers = response.headers
    csp = headers.get("Content-Security-Policy", "")
    assert "default-src 'self'" in csp, path
    assert "script-src 'self'" in csp, path
    assert "frame-ancestors 'none'" in csp, path
    assert "'unsafe-inline'" not in csp and "'unsafe-eval'" not in csp, path
    assert headers.get("X-Frame-Options") == "DENY", path
    assert headers.get("X-Content-Type-Options") == "nosniff", path
    assert headers.get("Referrer-Policy") == "same-origin", path
    assert headers.get("Cache-Control") == "no-store", path


def _assert_works_under_csp(html: str, path: str) -> None:
    """The CSP forbids inline code, so a page with any would silently break in the browser."""
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), f"inline <script> on {path}"
    assert not re.search(r"<style\b", html), f"inline <style> on {path}"
    assert not re.search(r"\sstyle=", html), f"style attribute on {path}"
    assert not re.search(r"\son[a-z]+=", html), f"inline event handler on {path}"


def test_signed_out_pages_send_security_headers_and_no_inline_code(browser):
    for path in SIGNED_OUT_PAGES:
        response = browser.get(path)
        _assert_security_headers(response, path)
        _assert_works_under_csp(response.get_data(as_text=True), path)


def test_signed_in_pages_send_security_headers_and_no_inline_code(browser, owner, branch, counter):
    browser.sign_in(owner)
    for path in [*SIGNED_IN_PAGES, f"/settings/branches/{branch.id}", f"/staff/{owner.id}"]:
        response = browser.get(path)
        assert response.status_code == 200, path
        _assert_security_headers(response, path)
        _assert_works_under_csp(response.get_data(as_text=True), path)


def test_json_and_error_answers_send_security_headers(browser, cashier):
    _assert_security_headers(browser.get("/healthz"), "/healthz")
    browser.sign_in(cashier)
    forbidden = browser.get("/staff")
    assert forbidden.status_code == 403
    _assert_security_headers(forbidden, "/staff (403)")


def test_session_cookie_is_http_only_and_same_site_lax(browser, owner):
    browser.get("/sign-in")
    response = browser.post("/sign-in", {"email": owner.email, "password": factories.PASSWORD})
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("session="))
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


@pytest.fixture
def production_config(database_url, monkeypatch) -> dict[str, object]:
    """What a production deployment sets: real secrets, no DEBUG, no TESTING."""
    for name in ("ISMARTSYNC_DEBUG", "ISMARTSYNC_DEV_OUTBOX"):
        monkeypatch.delenv(name, raising=False)
    return {
        "SECRET_KEY": "a-real-secret-from-the-environment",
        "ENCRYPTION_KEYS": TEST_ENCRYPTION_KEY,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "REDIS_URL": REDIS_URL,
        # The same limiter storage as the test app: the limiter extension is shared between apps.
        "RATELIMIT_STORAGE_URI": REDIS_URL or "memory://",
    }


def test_production_config_sends_cookies_only_over_https(production_config):
    prod = create_app(production_config)
    assert not prod.debug and not prod.testing
    assert prod.config["SESSION_COOKIE_SECURE"] is True
    assert prod.config["REMEMBER_COOKIE_SECURE"] is True
    assert prod.config["DEVICE_COOKIE_SECURE"] is True
    assert prod.config["SESSION_COOKIE_HTTPONLY"] is True
    assert prod.config["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_production_has_no_development_outbox(production_config):
    prod = create_app(production_config)
    assert prod.test_client().get("/dev/outbox").status_code == 404


def test_development_outbox_switched_on_without_debug_stays_hidden(production_config):
    prod = create_app({**production_config, "DEV_OUTBOX": True})
    assert prod.test_client().get("/dev/outbox").status_code == 404


def test_development_outbox_in_debug_answers_only_the_machine_itself(production_config):
    demo = create_app({**production_config, "DEV_OUTBOX": True, "DEBUG": True})
    client = demo.test_client()
    try:
        assert client.get("/dev/outbox").status_code == 200  # the developer's own browser (127.0.0.1)
        assert client.get("/dev/outbox", environ_base={"REMOTE_ADDR": "::1"}).status_code == 200
        for address in ("192.168.1.20", "203.0.113.9", "not-an-address"):
            assert client.get("/dev/outbox", environ_base={"REMOTE_ADDR": address}).status_code == 404, address
    finally:
        with demo.app_context():
            db.engine.dispose()


# Behind a reverse proxy


def _sign_in_from(client, forwarded_for: str, password: str = "wrong-password"):
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/sign-in").get_data(as_text=True)).group(1)
    return client.post(
        "/sign-in",
        data={"email": "someone@example.pk", "password": password, "csrf_token": token},
        headers={"X-Forwarded-For": forwarded_for, "X-Forwarded-Proto": "https"},
    )


@pytest.mark.parametrize("hops, sent", [(0, False), (1, True)])
def test_hsts_is_sent_behind_a_tls_terminating_proxy_only_when_trusted(production_config, hops, sent):
    prod = create_app({**production_config, "PROXY_HOPS": hops})
    response = prod.test_client().get("/sign-in", headers={"X-Forwarded-Proto": "https"})
    assert ("Strict-Transport-Security" in response.headers) is sent


def test_sign_in_throttling_counts_the_address_the_trusted_proxy_forwards(production_config):
    # A plain-http test client must get its session cookie back, so only here cookies are not https-only.
    prod = create_app({**production_config, "PROXY_HOPS": 1, "SESSION_COOKIE_SECURE": False})
    client = prod.test_client()
    try:
        for _ in range(5):
            assert _sign_in_from(client, "198.51.100.7").status_code == 401
        assert _sign_in_from(client, "198.51.100.7").status_code == 429
        assert _sign_in_from(client, "198.51.100.8").status_code == 401  # another client behind the same proxy
    finally:
        with prod.app_context():
            db.engine.dispose()


def test_forwarded_headers_are_ignored_without_a_trusted_proxy(production_config):
    prod = create_app({**production_config, "SESSION_COOKIE_SECURE": False})
    client = prod.test_client()
    try:
        for n in range(5):
            assert _sign_in_from(client, f"198.51.100.{n}").status_code == 401
        assert _sign_in_from(client, "198.51.100.99").status_code == 429  # a forged header gains nothing
    finally:
        with prod.app_context():
            db.engine.dispose()


@pytest.mark.parametrize("setting", ["SECRET_KEY", "ENCRYPTION_KEYS"])
def test_production_refuses_to_start_with_development_secrets(setting, production_config):
    del production_config[setting]  # falls back to the development default
    with pytest.raises(RuntimeError, match="ISMARTSYNC_SECRET_KEY"):
        create_app(production_config)


# CSRF


def _branch_named(owner, name: str) -> Branch | None:
    db.session.expire_all()
    return db.session.scalar(select(Branch).where(Branch.merchant_id == owner.merchant_id, Branch.name == name))


def test_form_post_without_csrf_token_is_rejected_and_changes_nothing(browser, owner):
    browser.sign_in(owner)
    response = browser.client.post("/settings/branches", data={"name": "Forged", "code": "FRG", "active": "y"})
    assert response.status_code == 400
    assert "Page expired" in text_of(response.get_data(as_text=True), "error")
    assert _branch_named(owner, "Forged") is None


def test_form_post_with_a_wrong_csrf_token_is_rejected(browser, owner):
    browser.sign_in(owner)
    data = {"csrf_token": "not-the-token", "name": "Forged", "code": "FRG", "active": "y"}
    assert browser.client.post("/settings/branches", data=data).status_code == 400
    assert _branch_named(owner, "Forged") is None


def test_csrf_token_of_another_session_is_rejected(browser, make_browser, owner):
    browser.sign_in(owner)
    stranger_token = make_browser().csrf()
    data = {"csrf_token": stranger_token, "name": "Forged", "code": "FRG", "active": "y"}
    assert browser.client.post("/settings/branches", data=data).status_code == 400
    assert _branch_named(owner, "Forged") is None


def test_htmx_request_passes_csrf_in_the_x_csrftoken_header(browser, owner):
    browser.sign_in(owner)
    token = browser.csrf("/settings/branches")
    response = browser.client.post(
        "/settings/branches",
        data={"name": "By htmx", "code": "HTMX", "active": "y"},
        headers={"HX-Request": "true", "X-CSRFToken": token},
    )
    assert response.status_code == 204
    branch = _branch_named(owner, "By htmx")
    assert branch is not None
    assert response.headers["HX-Redirect"] == f"/settings/branches/{branch.id}"


def test_sign_in_without_csrf_token_is_rejected(browser, owner):
    response = browser.client.post("/sign-in", data={"email": owner.email, "password": factories.PASSWORD})
    assert response.status_code == 400
    assert browser.get("/").status_code == 303  # still signed out


def test_the_page_gives_htmx_its_csrf_token(browser, owner):
    browser.sign_in(owner)
    html = browser.get("/").get_data(as_text=True)
    match = re.search(r"hx-headers='\{\"X-CSRFToken\": \"([^\"]+)\"\}'", html)
    assert match, "the body carries the CSRF header for htmx requests"
    response = browser.client.post(
        "/settings/branches",
        data={"name": "From the header", "code": "HDR", "active": "y"},
        headers={"HX-Request": "true", "X-CSRFToken": match.group(1)},
    )
    assert response.status_code == 204


def test_a_body_larger_than_the_request_limit_is_refused_with_413_unread(browser):
    """Forms are a few kilobytes; a 2 MB upload to any form used to be parsed (its file spooled to disk)."""
    part = b'--b\r\nContent-Disposition: form-data; name="file"; filename="big.bin"\r\n\r\n'
    body = part + (b"x" * 98 + b"\r\n") * 20_000 + b"\r\n--b--\r\n"  # 2 MB in lines, as a file is sent
    multipart = "multipart/form-data; boundary=b"
    response = browser.client.post("/sign-in", input_stream=io.BytesIO(body), content_type=multipart)
    assert response.status_code == 413
    assert "Too large" in text_of(response.get_data(as_text=True), "main")


def test_the_request_limit_is_a_setting(monkeypatch):
    from ismartsync.config import Settings

    assert Settings().flask_config()["MAX_CONTENT_LENGTH"] == 1024 * 1024
    monkeypatch.setenv("ISMARTSYNC_MAX_CONTENT_LENGTH", "2048")
    monkeypatch.setenv("ISMARTSYNC_WEBHOOK_MAX_CONTENT_LENGTH", "4096")
    config = Settings().flask_config()
    assert (config["MAX_CONTENT_LENGTH"], config["WEBHOOK_MAX_CONTENT_LENGTH"]) == (2048, 4096)
