"""Shopify OAuth on httpx: request signatures, the authorize URL, code exchange, refresh and client credentials.

Nothing here touches the database; `services/shopify_store/connection.py` stores what these functions return.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import httpx

from ismartsync.errors import DomainError

SHOP_DOMAIN_RE = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9\-]*\.myshopify\.com$")
SIGNATURE_MAX_AGE = timedelta(hours=24)
TIMEOUT = httpx.Timeout(15.0, connect=5.0)


class OAuthError(DomainError):
    """Shopify refused, or a request claiming to come from Shopify does not check out."""


class OAuthUnavailable(OAuthError):
    """Shopify's token endpoint did not answer (network, 429, 5xx): nothing was refused, try again later."""


@dataclass(frozen=True)
class ShopifyApp:
    """Our app as registered with Shopify, and where its shops are reached."""

    client_id: str
    client_secret: str
    scopes: tuple[str, ...]
    api_base: str  # "https://{shop}" in production, "http://127.0.0.1:5001/shops/{shop}" for the sandbox
    previous_client_secret: str = ""  # during a secret rotation Shopify may still sign with the old one

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> ShopifyApp:
        return cls(
            client_id=config.get("SHOPIFY_CLIENT_ID") or "",
            client_secret=config.get("SHOPIFY_CLIENT_SECRET") or "",
            scopes=split_scopes(config.get("SHOPIFY_SCOPES")),
            api_base=config.get("SHOPIFY_API_BASE") or "https://{shop}",
            previous_client_secret=config.get("SHOPIFY_PREVIOUS_CLIENT_SECRET") or "",
        )

    @property
    def secrets(self) -> list[str]:
        return [s for s in (self.client_secret, self.previous_client_secret) if s]


@dataclass(frozen=True)
class Tokens:
    """What `/admin/oauth/access_token` answered, with lifetimes turned into times."""

    access_token: str
    scopes: tuple[str, ...]
    expires_at: datetime | None = None
    refresh_token: str | None = None
    refresh_token_expires_at: datetime | None = None


def split_scopes(value: str | Iterable[str] | None) -> tuple[str, ...]:
    """`"read_products, write_inventory"` or a list → unique scope names in order."""
    items = value.split(",") if isinstance(value, str) else list(value or ())
    return tuple(dict.fromkeys(s.strip() for s in items if s and s.strip()))


def normalize_shop_domain(value: str) -> str:
    """A shop as a person types it (`zari-demo`, `https://Zari-Demo.myshopify.com/`) → `zari-demo.myshopify.com`."""
    shop = value.strip().lower().removeprefix("https://").removeprefix("http://").split("/")[0]
    if shop and "." not in shop:
        shop += ".myshopify.com"
    if not SHOP_DOMAIN_RE.match(shop):
        raise OAuthError("Enter the store's .myshopify.com address, like zari-demo.myshopify.com.", field="shop")
    return shop


def is_shop_domain(value: str | None) -> bool:
    return bool(value) and SHOP_DOMAIN_RE.match(value or "") is not None


def shop_url(api_base: str, shop: str) -> str:
    return api_base.format(shop=shop).rstrip("/")


def query_signature(params: Mapping[str, str], secret: str) -> str:
    """Shopify's hex HMAC-SHA256 over the sorted `k=v` pairs joined by `&`, leaving out `hmac` and `signature`."""
    message = "&".join(f"{k}={v}" for k, v in sorted(params.items()) if k not in ("hmac", "signature"))
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()


def verify_query(params: Mapping[str, str], secrets_: Iterable[str], *, now: datetime | None = None) -> str:
    """Check a signed install or callback request; return its shop domain or raise `OAuthError`."""
    given = params.get("hmac") or ""
    if not any(hmac.compare_digest(query_signature(params, s), given) for s in secrets_ if s):
        raise OAuthError("This link is not signed by Shopify. Start again from your Shopify admin.")
    try:
        signed_at = datetime.fromtimestamp(int(params.get("timestamp") or ""), UTC)
    except (ValueError, OverflowError) as exc:
        raise OAuthError("This link has no valid time stamp. Start again from your Shopify admin.") from exc
    if abs((now or datetime.now(UTC)) - signed_at) > SIGNATURE_MAX_AGE:
        raise OAuthError("This link from Shopify has expired. Start again from your Shopify admin.")
    shop = params.get("shop") or ""
    if not is_shop_domain(shop):
        raise OAuthError("The store address in this link is not a .myshopify.com address.")
    return shop


def new_state() -> str:
    """The nonce that ties Shopify's callback to the browser that started the install."""
    return secrets.token_urlsafe(24)


def authorize_url(app: ShopifyApp, shop: str, *, redirect_uri: str, state: str) -> str:
    """Where the merchant approves the install; offline access (no `grant_options[]=per-user`)."""
    query = urlencode(
        {"client_id": app.client_id, "scope": ",".join(app.scopes), "redirect_uri": redirect_uri, "state": state}
    )
    return f"{shop_url(app.api_base, shop)}/admin/oauth/authorize?{query}"


def check_scopes(granted: Iterable[str], required: Iterable[str]) -> None:
    """Refuse a grant that lacks a scope we need; a `write_` scope implies its `read_` scope, as in Shopify."""
    have = set(granted)
    missing = [s for s in required if s not in have and not (s.startswith("read_") and f"write_{s[5:]}" in have)]
    if missing:
        raise OAuthError(
            "Shopify did not grant everything iSmartSync needs (missing: "
            f"{', '.join(missing)}). Approve all requested permissions when installing."
        )


def exchange_code(app: ShopifyApp, shop: str, code: str, *, http: httpx.Client | None = None) -> Tokens:
    """Authorization code → expiring offline token (60 min) and a refresh token."""
    return _token_request(
        app.api_base,
        shop,
        {"client_id": app.client_id, "client_secret": app.client_secret, "code": code, "expiring": "1"},
        http,
    )


def refresh_tokens(app: ShopifyApp, shop: str, refresh_token: str, *, http: httpx.Client | None = None) -> Tokens:
    """A new access token and a new refresh token; the caller must store the new refresh token (it rotates)."""
    return _token_request(
        app.api_base,
        shop,
        {
            "grant_type": "refresh_token",
            "refresh_token": refresh_token,
            "client_id": app.client_id,
            "client_secret": app.client_secret,
        },
        http,
    )


def client_credentials_token(
    api_base: str, shop: str, client_id: str, client_secret: str, *, http: httpx.Client | None = None
) -> Tokens:
    """A token for the merchant's own Dev Dashboard app (about 24 h; fetched again when it runs out)."""
    return _token_request(
        api_base,
        shop,
        {"grant_type": "client_credentials", "client_id": client_id, "client_secret": client_secret},
        http,
    )


def verify_webhook_hmac(raw_body: bytes, header: str | None, secrets_: Iterable[str]) -> bool:
    """Check `X-Shopify-Hmac-Sha256` (base64 HMAC-SHA256 of the raw body) against the current and older secrets."""
    given = (header or "").encode()
    return any(
        hmac.compare_digest(base64.b64encode(hmac.new(s.encode(), raw_body, hashlib.sha256).digest()), given)
        for s in secrets_
        if s
    )


def _token_request(api_base: str, shop: str, form: dict[str, str], http: httpx.Client | None) -> Tokens:
    url = f"{shop_url(api_base, shop)}/admin/oauth/access_token"
    try:
        if http is not None:
            response = http.post(url, data=form, headers={"Accept": "application/json"})
        else:
            with httpx.Client(timeout=TIMEOUT) as client:
                response = client.post(url, data=form, headers={"Accept": "application/json"})
    except httpx.HTTPError as exc:
        raise OAuthUnavailable("Shopify did not answer. Check the store address and try again in a minute.") from exc
    try:
        body = response.json()
    except ValueError:
        body = {}
    if response.status_code == 429 or response.status_code >= 500:
        raise OAuthUnavailable(f"Shopify did not answer (HTTP {response.status_code}). Try again in a minute.")
    if response.status_code != 200 or not isinstance(body, dict) or not body.get("access_token"):
        detail = body.get("error_description") or body.get("error") if isinstance(body, dict) else None
        raise OAuthError(f"Shopify refused the request ({detail or f'HTTP {response.status_code}'}).")
    return _tokens(body, datetime.now(UTC))


def _tokens(body: dict[str, Any], received_at: datetime) -> Tokens:
    def at(seconds: Any) -> datetime | None:
        return received_at + timedelta(seconds=int(seconds)) if seconds not in (None, "") else None

    return Tokens(
        access_token=str(body["access_token"]),
        scopes=split_scopes(body.get("scope")),
        expires_at=at(body.get("expires_in")),
        refresh_token=body.get("refresh_token") or None,
        refresh_token_expires_at=at(body.get("refresh_token_expires_in")),
    )
