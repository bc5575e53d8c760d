"""Apps, installations and credentials: authorization codes, access tokens (offline, expiring, online, client
credentials, pasted admin tokens) and rotating refresh tokens; each shop's custom app (the one a merchant creates
under Develop apps, whose admin token is pasted and whose API secret key signs its webhooks). The HTTP side is in
oauth.py."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sandbox.shopify.core import Sandbox


def split_scopes(value: str | list[str] | tuple[str, ...] | None) -> tuple[str, ...]:
    items = value.split(",") if isinstance(value, str) else list(value or ())
    seen: dict[str, None] = {}
    for item in items:
        if item.strip():
            seen[item.strip()] = None
    return tuple(seen)


def has_scope(scopes: tuple[str, ...] | frozenset[str], wanted: str) -> bool:
    """A write scope implies its read scope, as in Shopify."""
    return wanted in scopes or (wanted.startswith("read_") and "write_" + wanted[5:] in scopes)


@dataclass(eq=False)
class Token:
    value: str
    shop: str
    client_id: str
    scopes: tuple[str, ...]
    kind: str
    created_at: float
    expires_at: float | None = None
    user: dict[str, Any] | None = None


@dataclass(eq=False)
class RefreshToken:
    value: str
    shop: str
    client_id: str
    scopes: tuple[str, ...]
    expires_at: float
    parent: str | None = None
    revoked: bool = False
    uses: int = 0  # refreshes made with it (a worker race spends one twice)


@dataclass(eq=False)
class Grant:
    code: str
    shop: str
    client_id: str
    scopes: tuple[str, ...]
    redirect_uri: str
    expires_at: float
    online: bool
    used: bool = False


@dataclass(eq=False)
class Auth:
    sandbox: Sandbox
    tokens: dict[str, Token] = field(default_factory=dict)
    refresh_tokens: dict[str, RefreshToken] = field(default_factory=dict)
    grants: dict[str, Grant] = field(default_factory=dict)
    installs: dict[tuple[str, str], tuple[str, ...]] = field(default_factory=dict)

    def app(self, client_id: str | None, *, custom: bool = True) -> dict[str, Any] | None:
        """A registered app by client id, or (unless `custom` is false: OAuth knows none) a shop's custom app."""
        found = next((a for a in self.sandbox.config["apps"] if a["client_id"] == client_id), None)
        if found is None and custom:
            found = next((a for a in self.sandbox.custom_apps.values() if a["client_id"] == client_id), None)
        return found

    def ttl(self, name: str) -> float:
        return float(self.sandbox.config["ttl"][name])

    def granted(self, app: dict[str, Any], asked: tuple[str, ...]) -> tuple[str, ...]:
        """What the merchant grants: what was asked (or the app's declared scopes), narrowed by `grant_scopes`."""
        scopes = asked or split_scopes(app["scopes"])
        if app.get("grant_scopes") is not None:
            allowed = split_scopes(app["grant_scopes"])
            scopes = tuple(s for s in scopes if s in allowed)
        return scopes

    def lookup(self, value: str | None) -> Token | None:
        """The live token for an `X-Shopify-Access-Token` value: known, installed and not expired."""
        token = self.tokens.get(value or "")
        if token is None or (token.shop, token.client_id) not in self.installs:
            return None
        if token.expires_at is not None and token.expires_at <= self.sandbox.now():
            return None
        return token

    def issue(
        self, shop: str, client_id: str, scopes: tuple[str, ...], kind: str, ttl: float | None, prefix: str = "shpat_"
    ) -> Token:
        now = self.sandbox.now()
        token = Token(
            prefix + secrets.token_hex(16), shop, client_id, scopes, kind, now, now + ttl if ttl is not None else None
        )
        self.tokens[token.value] = token
        self.installs[(shop, client_id)] = scopes
        return token

    def issue_refresh(self, shop: str, client_id: str, scopes: tuple[str, ...], parent: str | None) -> RefreshToken:
        refresh = RefreshToken(
            "shprt_" + secrets.token_hex(16),
            shop,
            client_id,
            scopes,
            self.sandbox.now() + self.ttl("refresh_token"),
            parent,
        )
        self.refresh_tokens[refresh.value] = refresh
        return refresh

    def create_grant(
        self, shop: str, client_id: str, scopes: tuple[str, ...], redirect_uri: str, online: bool
    ) -> Grant:
        grant = Grant(
            secrets.token_hex(16), shop, client_id, scopes, redirect_uri, self.sandbox.now() + self.ttl("code"), online
        )
        self.grants[grant.code] = grant
        return grant

    def use_refresh(self, value: str, shop: str, client_id: str) -> RefreshToken | None:
        """Spend a refresh token: valid until its successor is first used (Shopify's behaviour since Aug 2026)."""
        refresh = self.refresh_tokens.get(value)
        if refresh is None or refresh.revoked or refresh.shop != shop or refresh.client_id != client_id:
            return None
        if refresh.expires_at <= self.sandbox.now() or (shop, client_id) not in self.installs:
            return None
        if refresh.parent and refresh.parent in self.refresh_tokens:
            self.refresh_tokens[refresh.parent].revoked = True
        refresh.uses += 1
        return refresh

    def uninstall(self, shop: str, client_id: str) -> bool:
        """Revoke every credential the app holds for the shop."""
        existed = self.installs.pop((shop, client_id), None) is not None
        for store in (self.tokens, self.refresh_tokens):
            for key in [k for k, t in store.items() if t.shop == shop and t.client_id == client_id]:
                del store[key]
        return existed

    def load_configured_tokens(self) -> None:
        """Pre-issued tokens: of the given app, or (no client_id) pasted admin tokens of the shop's custom app."""
        for entry in self.sandbox.config.get("tokens") or []:
            client_id = entry.get("client_id") or self.sandbox.custom_apps[entry["shop"]]["client_id"]
            scopes = split_scopes(entry.get("scope")) or split_scopes(self.app(client_id)["scopes"])
            ttl = entry.get("expires_in")
            token = Token(
                entry["token"],
                entry["shop"],
                client_id,
                scopes,
                "custom",
                self.sandbox.now(),
                self.sandbox.now() + ttl if ttl else None,
            )
            self.tokens[token.value] = token
            self.installs[(token.shop, token.client_id)] = scopes


def custom_app(domain: str, name: str, seed: int, scopes: str) -> dict[str, Any]:
    """The shop's own custom app ("Develop apps" in the admin): a pasted admin token is this app's, and its webhooks
    are signed with its API secret key, which the merchant copies from the app's API credentials. Deterministic for
    a seed, like the rest of the sandbox."""
    digest = hashlib.sha256(f"{seed}:{domain}".encode()).hexdigest()
    return (
        {
            "client_id": digest[32:64],  # the "API key"
            "client_secret": "shpss_" + digest[:32],  # the "API secret key"
            "name": f"{name} custom app",
            "custom": True,
            "scopes": CUSTOM_APP_SCOPES,
            "grant_scopes": None,
            "redirect_urls": [],
            "launch_url": None,
            "declared_webhooks": [],
            "client_credentials": False,
            "protected_customer_data": True,
            "auto_approve": False,
            "shop": domain,
        }
        | ({"scopes": scopes} if scopes else {})
    )


CUSTOM_APP_SCOPES = (
    "read_products,read_inventory,write_inventory,read_locations,read_orders,write_orders,read_customers,"
    "read_merchant_managed_fulfillment_orders,write_merchant_managed_fulfillment_orders"
)
