"""Settings read from `ISMARTSYNC_*` environment variables (and `.env` in development)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

PREFIX = "ISMARTSYNC_"
DEV_SECRET_KEY = "dev-only-not-secret"
DEV_ENCRYPTION_KEYS = "ZGV2LW9ubHktZW5jcnlwdGlvbi1rZXktMzJieXRlcyE="
# What iSmartSync asks a shop for (reference/shopify.md §5): catalog, stock at locations, orders, customers, and
# fulfilling orders from a branch, cancelling an order and refunding a refused parcel (write_orders). No
# write_products: the catalog is Shopify's to edit.
SHOPIFY_SCOPES = (
    "read_products,read_inventory,write_inventory,read_locations,read_orders,write_orders,read_customers,"
    "read_merchant_managed_fulfillment_orders,write_merchant_managed_fulfillment_orders"
)


def _env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(PREFIX + name)
    return value if value not in (None, "") else default


def _flag(name: str, default: bool = False) -> bool:
    value = _env(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


@dataclass
class Settings:
    """Everything the app reads from its environment, with development defaults."""

    secret_key: str = field(default_factory=lambda: _env("SECRET_KEY", DEV_SECRET_KEY))
    # Comma-separated earlier secret keys, oldest first: what they signed still opens after a rotation.
    secret_key_fallbacks: str = field(default_factory=lambda: _env("SECRET_KEY_FALLBACKS", ""))
    database_url: str = field(
        default_factory=lambda: _env("DATABASE_URL", "sqlite:///" + os.path.abspath("instance/demo.sqlite3"))
    )
    redis_url: str | None = field(default_factory=lambda: _env("REDIS_URL"))
    encryption_keys: str = field(
        # Comma-separated Fernet keys, newest first: old keys keep decrypting during a rotation.
        default_factory=lambda: _env("ENCRYPTION_KEYS", DEV_ENCRYPTION_KEYS)
    )
    debug: bool = field(default_factory=lambda: _flag("DEBUG"))
    dev_outbox: bool = field(default_factory=lambda: _flag("DEV_OUTBOX"))
    # Without Redis: run jobs on a background thread of the web process instead of right after the commit (the demo).
    jobs_in_background: bool = field(default_factory=lambda: _flag("JOBS_IN_BACKGROUND"))
    smtp_url: str | None = field(default_factory=lambda: _env("SMTP_URL"))
    mail_from: str = field(default_factory=lambda: _env("MAIL_FROM", "iSmartSync <no-reply@ismartsync.local>"))
    base_url: str = field(default_factory=lambda: _env("BASE_URL", "http://127.0.0.1:5000"))
    invite_ttl_hours: int = field(default_factory=lambda: int(_env("INVITE_TTL_HOURS", "72")))
    reset_ttl_minutes: int = field(default_factory=lambda: int(_env("RESET_TTL_MINUTES", "60")))
    # Wrong sign-ins: one account from one address; one account from anywhere; everything from one address (a
    # shop's NAT is one address, so its ceiling is high). PINs and codes count like passwords, with their own limit.
    login_limit: str = field(default_factory=lambda: _env("LOGIN_LIMIT", "5/15minutes"))
    login_account_limit: str = field(default_factory=lambda: _env("LOGIN_ACCOUNT_LIMIT", "30/hour"))
    login_address_limit: str = field(default_factory=lambda: _env("LOGIN_ADDRESS_LIMIT", "300/15minutes"))
    pin_limit: str = field(default_factory=lambda: _env("PIN_LIMIT", "5/5minutes"))
    # Reverse proxies in front of the app that set X-Forwarded-For / X-Forwarded-Proto (0: trust no such header).
    proxy_hops: int = field(default_factory=lambda: int(_env("PROXY_HOPS", "0")))
    log_format: str = field(default_factory=lambda: _env("LOG_FORMAT", "json"))
    # A monitor sending `Authorization: Bearer <this>` to /healthz reads its details (unset: only signed-in members
    # who may open Settings do).
    health_token: str | None = field(default_factory=lambda: _env("HEALTH_TOKEN"))
    # The public receipt page and its PDF, per address: a script gets nowhere, a carrier's shared address still works.
    receipt_limit: str = field(default_factory=lambda: _env("RECEIPT_LIMIT", "60/minute"))
    receipt_pdf_limit: str = field(default_factory=lambda: _env("RECEIPT_PDF_LIMIT", "20/minute;200/hour"))
    # The largest request body read, in bytes: every form fits in a few kilobytes. Larger is refused with 413 before
    # it is read. Shopify's webhooks (a product with many variants) get their own, larger allowance.
    max_content_length: int = field(default_factory=lambda: int(_env("MAX_CONTENT_LENGTH", str(1024 * 1024))))
    webhook_max_content_length: int = field(
        default_factory=lambda: int(_env("WEBHOOK_MAX_CONTENT_LENGTH", str(5 * 1024 * 1024)))
    )
    # Shopify: the API base URL template ("{shop}" is the myshopify.com domain; the sandbox's is
    # http://127.0.0.1:5001/shops/{shop}), the app's credentials, and the scopes it asks for.
    shopify_api_base: str = field(default_factory=lambda: _env("SHOPIFY_API_BASE", "https://{shop}"))
    shopify_client_id: str | None = field(default_factory=lambda: _env("SHOPIFY_CLIENT_ID"))
    shopify_client_secret: str | None = field(default_factory=lambda: _env("SHOPIFY_CLIENT_SECRET"))
    shopify_scopes: str = field(default_factory=lambda: _env("SHOPIFY_SCOPES", SHOPIFY_SCOPES))
    # Where Shopify delivers webhooks (subscriptions created through the API); unset: BASE_URL + /webhooks/shopify.
    shopify_webhook_url: str | None = field(default_factory=lambda: _env("SHOPIFY_WEBHOOK_URL"))
    # Periodic work (jobs/scheduler.py): the sync sweeper, scheduled reconciliations, incremental catalog imports.
    sync_sweep_seconds: int = field(default_factory=lambda: int(_env("SYNC_SWEEP_SECONDS", "30")))
    reconcile_interval_minutes: int = field(default_factory=lambda: int(_env("RECONCILE_INTERVAL_MINUTES", "60")))
    # A store whose webhooks cannot be verified (a pasted token without its app's secret) gets none, so it is
    # compared this often instead.
    reconcile_unverified_minutes: int = field(default_factory=lambda: int(_env("RECONCILE_UNVERIFIED_MINUTES", "10")))
    shopify_incremental_minutes: int = field(default_factory=lambda: int(_env("SHOPIFY_INCREMENTAL_MINUTES", "15")))
    # The incremental order sync behind the order webhooks (which may be late or lost): how often it runs.
    order_sync_minutes: int = field(default_factory=lambda: int(_env("ORDER_SYNC_MINUTES", "10")))
    # A stock batch with no news for this long died with its worker and is sent again (same key).
    sync_stale_seconds: int = field(default_factory=lambda: int(_env("SYNC_STALE_SECONDS", "180")))
    # How long to wait for Shopify's answer before giving up on one attempt.
    shopify_timeout_seconds: float = field(default_factory=lambda: float(_env("SHOPIFY_TIMEOUT_SECONDS", "30")))
    # FBR: the base URL standing in for FBR's hosts (the sandbox's, e.g. http://127.0.0.1:5002; unset: FBR's own),
    # how long the counter waits for FBR after a sale, how long a queued attempt waits, and the fiscal sweeper.
    fbr_api_base: str | None = field(default_factory=lambda: _env("FBR_API_BASE"))
    fbr_inline_timeout_seconds: float = field(default_factory=lambda: float(_env("FBR_INLINE_TIMEOUT_SECONDS", "3")))
    fbr_timeout_seconds: float = field(default_factory=lambda: float(_env("FBR_TIMEOUT_SECONDS", "20")))
    # While FBR fails, the fiscal queue sends one report at a time (a probe) and the rest waits for its answer; after
    # a failed probe the next waits this long (doubling after each failed probe, up to 10 minutes).
    fbr_probe_seconds: float = field(default_factory=lambda: float(_env("FBR_PROBE_SECONDS", "30")))
    fiscal_sweep_seconds: int = field(default_factory=lambda: int(_env("FISCAL_SWEEP_SECONDS", "15")))
    fiscal_alert_hours: int = field(default_factory=lambda: int(_env("FISCAL_ALERT_HOURS", "12")))

    def flask_config(self) -> dict[str, Any]:
        """The settings as Flask and its extensions expect them."""
        secure_cookies = not self.debug
        return {
            "SECRET_KEY": self.secret_key,
            "SECRET_KEY_FALLBACKS": [k.strip() for k in self.secret_key_fallbacks.split(",") if k.strip()],
            "SQLALCHEMY_DATABASE_URI": self.database_url,
            "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
            "REDIS_URL": self.redis_url,
            "ENCRYPTION_KEYS": self.encryption_keys,
            "DEBUG": self.debug,
            "DEV_OUTBOX": self.dev_outbox,
            "JOBS_IN_BACKGROUND": self.jobs_in_background,
            "SMTP_URL": self.smtp_url,
            "MAIL_FROM": self.mail_from,
            "BASE_URL": self.base_url,
            "INVITE_TTL": timedelta(hours=self.invite_ttl_hours),
            "RESET_TTL": timedelta(minutes=self.reset_ttl_minutes),
            "LOGIN_LIMIT": self.login_limit,
            "LOGIN_ACCOUNT_LIMIT": self.login_account_limit,
            "LOGIN_ADDRESS_LIMIT": self.login_address_limit,
            "PIN_LIMIT": self.pin_limit,
            "RECEIPT_LIMIT": self.receipt_limit,
            "RECEIPT_PDF_LIMIT": self.receipt_pdf_limit,
            "LOG_FORMAT": self.log_format,
            "PROXY_HOPS": self.proxy_hops,
            "HEALTH_TOKEN": self.health_token,
            "MAX_CONTENT_LENGTH": self.max_content_length,
            "WEBHOOK_MAX_CONTENT_LENGTH": self.webhook_max_content_length,
            "SHOPIFY_API_BASE": self.shopify_api_base,
            "SHOPIFY_CLIENT_ID": self.shopify_client_id,
            "SHOPIFY_CLIENT_SECRET": self.shopify_client_secret,
            "SHOPIFY_SCOPES": self.shopify_scopes,
            "SHOPIFY_WEBHOOK_URL": self.shopify_webhook_url,
            "SYNC_SWEEP_SECONDS": self.sync_sweep_seconds,
            "RECONCILE_INTERVAL_MINUTES": self.reconcile_interval_minutes,
            "RECONCILE_UNVERIFIED_MINUTES": self.reconcile_unverified_minutes,
            "SHOPIFY_INCREMENTAL_MINUTES": self.shopify_incremental_minutes,
            "ORDER_SYNC_MINUTES": self.order_sync_minutes,
            "SYNC_STALE_SECONDS": self.sync_stale_seconds,
            "SHOPIFY_TIMEOUT_SECONDS": self.shopify_timeout_seconds,
            "FBR_API_BASE": self.fbr_api_base,
            "FBR_INLINE_TIMEOUT_SECONDS": self.fbr_inline_timeout_seconds,
            "FBR_TIMEOUT_SECONDS": self.fbr_timeout_seconds,
            "FBR_PROBE_SECONDS": self.fbr_probe_seconds,
            "FISCAL_SWEEP_SECONDS": self.fiscal_sweep_seconds,
            "FISCAL_ALERT_HOURS": self.fiscal_alert_hours,
            "SESSION_COOKIE_HTTPONLY": True,
            "SESSION_COOKIE_SAMESITE": "Lax",
            "SESSION_COOKIE_SECURE": secure_cookies,
            "REMEMBER_COOKIE_HTTPONLY": True,
            "REMEMBER_COOKIE_SAMESITE": "Lax",
            "REMEMBER_COOKIE_SECURE": secure_cookies,
            "DEVICE_COOKIE_SECURE": secure_cookies,
            "PERMANENT_SESSION_LIFETIME": timedelta(hours=12),
            "WTF_CSRF_TIME_LIMIT": None,
            # Responses as Brotli (every browser we serve reads it) or gzip; static files carry both, made ahead.
            "COMPRESS_ALGORITHM": ["br", "gzip"],
            "WTF_CSRF_SSL_STRICT": False,
            "RATELIMIT_STORAGE_URI": self.redis_url or "memory://",
            # An unreachable Redis must fail fast: sign-in then counts in the process (ismartsync/throttle.py).
            "RATELIMIT_STORAGE_OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
            "RATELIMIT_KEY_PREFIX": "ismartsync",
            "RATELIMIT_HEADERS_ENABLED": False,
            # A limit never costs a request its answer: with Redis down, count in memory; on any other storage
            # error, let the request through.
            "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
            "RATELIMIT_SWALLOW_ERRORS": True,
        }


def check_production(config: dict[str, Any]) -> None:
    """Refuse to serve real traffic with the development secrets."""
    if config.get("DEBUG") or config.get("TESTING"):
        return
    if config["SECRET_KEY"] == DEV_SECRET_KEY or config["ENCRYPTION_KEYS"] == DEV_ENCRYPTION_KEYS:
        raise RuntimeError(
            "Set ISMARTSYNC_SECRET_KEY and ISMARTSYNC_ENCRYPTION_KEYS (or ISMARTSYNC_DEBUG=1 for development)."
        )
