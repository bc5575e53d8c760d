"""The merchant's Shopify store: the connection, its locations (mapped to branches) and import runs."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ismartsync.crypto import EncryptedText
from ismartsync.models.base import Base, TenantMixin, utcnow
from ismartsync.models.merchant import Branch


class AuthMethod(StrEnum):
    OAUTH = "oauth"  # authorization-code grant, expiring offline token + refresh token
    CLIENT_CREDENTIALS = "client_credentials"  # the merchant's own Dev Dashboard app; 24 h tokens
    ADMIN_TOKEN = "admin_token"  # a pasted token of an existing admin-created custom app


class ConnectionStatus(StrEnum):
    CONNECTED = "connected"
    DISCONNECTED = "disconnected"
    REVOKED = "revoked"  # the app was uninstalled in Shopify
    RECONNECT = "reconnect"  # Shopify refused to renew the token: "Reconnect the store"


class ShopifyConnection(TenantMixin, Base):
    __tablename__ = "shopify_connections"
    __table_args__ = (sa.UniqueConstraint("merchant_id"),)

    shop_domain: Mapped[str] = mapped_column(sa.String(255), index=True)
    auth_method: Mapped[str] = mapped_column(sa.String(24))
    status: Mapped[str] = mapped_column(sa.String(16), default=ConnectionStatus.CONNECTED)
    scopes: Mapped[str] = mapped_column(sa.Text, default="")
    access_token: Mapped[str | None] = mapped_column(EncryptedText)
    access_token_expires_at: Mapped[datetime | None]
    refresh_token: Mapped[str | None] = mapped_column(EncryptedText)
    refresh_token_expires_at: Mapped[datetime | None]
    # The merchant's own app: its client ID and secret (client credentials), or only the secret (a pasted token's
    # custom app, whose "API secret key" signs that shop's webhooks).
    client_id: Mapped[str] = mapped_column(sa.String(255), default="")
    client_secret: Mapped[str | None] = mapped_column(EncryptedText)
    shop_name: Mapped[str] = mapped_column(sa.String(255), default="")
    connected_at: Mapped[datetime] = mapped_column(default=utcnow)
    connected_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    disconnected_at: Mapped[datetime | None]
    served_api_version: Mapped[str] = mapped_column(sa.String(16), default="")
    last_error: Mapped[str] = mapped_column(sa.Text, default="")

    @property
    def is_connected(self) -> bool:
        return self.status == ConnectionStatus.CONNECTED

    @property
    def uses_app_config(self) -> bool:
        """Installed through our app: its webhooks are declared in `shopify.app.toml`, not created per shop."""
        return self.auth_method == AuthMethod.OAUTH

    @property
    def can_verify_webhooks(self) -> bool:
        """Whether we hold the secret that signs this shop's webhooks (ours, or the merchant's own app's)."""
        return self.uses_app_config or bool(self.client_secret)


class ShopifyLocation(TenantMixin, Base):
    """A Shopify location; at most one per branch and one branch per location."""

    __tablename__ = "shopify_locations"
    __table_args__ = (sa.UniqueConstraint("merchant_id", "shopify_id"), sa.UniqueConstraint("branch_id"))

    shopify_id: Mapped[str] = mapped_column(sa.String(64))
    name: Mapped[str] = mapped_column(sa.String(255))
    address: Mapped[str] = mapped_column(sa.String(500), default="")
    active: Mapped[bool] = mapped_column(default=True)
    fulfills_online_orders: Mapped[bool] = mapped_column(default=False)
    branch_id: Mapped[int | None] = mapped_column(sa.ForeignKey("branches.id", ondelete="SET NULL"))
    synced_at: Mapped[datetime] = mapped_column(default=utcnow)

    branch: Mapped[Branch | None] = relationship()


class SubscriptionStatus(StrEnum):
    ACTIVE = "active"  # exists in Shopify (seen at the last check)
    DECLARED = "declared"  # in our app's configuration (shopify.app.toml): Shopify keeps it for every install
    FAILED = "failed"  # Shopify refused to create it, or could not be reached; `last_error` says why
    UNVERIFIABLE = "unverifiable"  # not created: without the app's secret its deliveries could not be verified
    ORPHANED = "orphaned"  # the store was disconnected but deleting it in Shopify failed


class WebhookSubscription(TenantMixin, Base):
    """One webhook topic the sync needs from the merchant's store, and what we know of its subscription."""

    __tablename__ = "shopify_webhook_subscriptions"
    __table_args__ = (sa.UniqueConstraint("connection_id", "topic"),)

    connection_id: Mapped[int] = mapped_column(sa.ForeignKey("shopify_connections.id", ondelete="CASCADE"))
    topic: Mapped[str] = mapped_column(sa.String(64))
    status: Mapped[str] = mapped_column(sa.String(16), default=SubscriptionStatus.FAILED)
    shopify_id: Mapped[str] = mapped_column(sa.String(120), default="")  # "" when declared or not created
    callback_url: Mapped[str] = mapped_column(sa.String(500), default="")
    created_at: Mapped[datetime | None]  # when we created it in Shopify
    checked_at: Mapped[datetime | None]
    last_delivery_at: Mapped[datetime | None]
    last_error: Mapped[str] = mapped_column(sa.Text, default="")


class ImportStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class ImportRun(TenantMixin, Base):
    """One catalog import, full (bulk operation) or incremental (by `updated_at`), with its progress."""

    __tablename__ = "import_runs"

    kind: Mapped[str] = mapped_column(sa.String(16))
    status: Mapped[str] = mapped_column(sa.String(16), default=ImportStatus.QUEUED)
    step: Mapped[str] = mapped_column(sa.String(120), default="")
    done: Mapped[int] = mapped_column(default=0)
    total: Mapped[int | None]
    created: Mapped[int] = mapped_column(default=0)
    updated: Mapped[int] = mapped_column(default=0)
    bulk_operation_id: Mapped[str] = mapped_column(sa.String(120), default="")
    # High-water mark of Shopify `updatedAt` seen; the next incremental run starts a little before it.
    since: Mapped[datetime | None]
    high_water_mark: Mapped[datetime | None]
    error: Mapped[str] = mapped_column(sa.Text, default="")
    started_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]

    @property
    def percent(self) -> int:
        if not self.total:
            return 100 if self.status == ImportStatus.SUCCEEDED else 0
        return min(100, round(self.done * 100 / self.total))
