"""The catalog imported from Shopify: products, variants and customers, keyed by Shopify ids."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ismartsync.models.base import Base, TenantMixin, utcnow


class Product(TenantMixin, Base):
    __tablename__ = "products"
    __table_args__ = (sa.UniqueConstraint("merchant_id", "shopify_id"),)

    shopify_id: Mapped[str] = mapped_column(sa.String(64))
    title: Mapped[str] = mapped_column(sa.String(255))
    handle: Mapped[str] = mapped_column(sa.String(255), default="")
    vendor: Mapped[str] = mapped_column(sa.String(255), default="")
    product_type: Mapped[str] = mapped_column(sa.String(255), default="")
    status: Mapped[str] = mapped_column(sa.String(16), default="ACTIVE")
    shopify_updated_at: Mapped[datetime | None]
    synced_at: Mapped[datetime] = mapped_column(default=utcnow)

    variants: Mapped[list[Variant]] = relationship(back_populates="product", order_by="Variant.position")


class Variant(TenantMixin, Base):
    __tablename__ = "variants"
    __table_args__ = (
        sa.UniqueConstraint("merchant_id", "shopify_id"),
        sa.UniqueConstraint("merchant_id", "internal_barcode"),
        sa.Index("ix_variants_merchant_barcode", "merchant_id", "barcode"),
        sa.Index("ix_variants_merchant_sku", "merchant_id", "sku"),
        sa.Index("ix_variants_merchant_inventory_item", "merchant_id", "inventory_item_id"),
        # Counter search: "lawn 3pc" finds any variant whose text holds both pieces, fast over 100k+ variants.
        sa.Index(
            "ix_variants_search_text_trgm",
            "search_text",
            postgresql_using="gin",
            postgresql_ops={"search_text": "gin_trgm_ops"},
        ),
    )

    product_id: Mapped[int] = mapped_column(sa.ForeignKey("products.id", ondelete="CASCADE"), index=True)
    shopify_id: Mapped[str] = mapped_column(sa.String(64))
    inventory_item_id: Mapped[str | None] = mapped_column(sa.String(64))
    title: Mapped[str] = mapped_column(sa.String(255), default="")
    position: Mapped[int] = mapped_column(default=0)
    sku: Mapped[str] = mapped_column(sa.String(255), default="")
    barcode: Mapped[str] = mapped_column(sa.String(255), default="")
    # Ours, for variants without a barcode of their own, so every variant can be scanned.
    internal_barcode: Mapped[str | None] = mapped_column(sa.String(32))
    options: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON, default=list)
    price_minor: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    compare_at_price_minor: Mapped[int | None] = mapped_column(sa.BigInteger)
    tracked: Mapped[bool] = mapped_column(default=True)
    # Tax: None means the merchant's standard rate. PCT code: FBR's 8-digit Pakistan Customs Tariff heading.
    tax_rate_bp: Mapped[int | None]
    pct_code: Mapped[str] = mapped_column(sa.String(8), default="")
    third_schedule: Mapped[bool] = mapped_column(default=False)
    # Why Shopify will not take stock changes for this item (a bundle, say); empty when it does.
    sync_skip_reason: Mapped[str] = mapped_column(sa.String(200), default="", server_default="")
    # Lower-cased product title, variant title, SKU and barcode, for the counter's search (see search_text()).
    search_text: Mapped[str] = mapped_column(sa.String(1000), default="", server_default="")
    shopify_updated_at: Mapped[datetime | None]
    deleted_at: Mapped[datetime | None]

    product: Mapped[Product] = relationship(back_populates="variants", lazy="joined")

    @property
    def scan_code(self) -> str:
        return self.barcode or self.internal_barcode or ""

    @property
    def display_name(self) -> str:
        title = self.product.title
        return title if self.title in ("", "Default Title") else f"{title} — {self.title}"


def search_text(product_title: str, variant_title: str, sku: str, barcode: str) -> str:
    """What the counter's search matches a variant against."""
    title = "" if variant_title == "Default Title" else variant_title
    return " ".join(p for p in (product_title, title, sku, barcode) if p).lower()[:1000]


class Customer(TenantMixin, Base):
    __tablename__ = "customers"
    __table_args__ = (
        sa.UniqueConstraint("merchant_id", "shopify_id"),
        sa.Index("ix_customers_merchant_phone", "merchant_id", "phone"),
        sa.CheckConstraint("store_credit_minor >= 0", name="store_credit_not_negative"),
    )

    shopify_id: Mapped[str | None] = mapped_column(sa.String(64))
    first_name: Mapped[str] = mapped_column(sa.String(120), default="")
    last_name: Mapped[str] = mapped_column(sa.String(120), default="")
    email: Mapped[str] = mapped_column(sa.String(254), default="")
    phone: Mapped[str] = mapped_column(sa.String(40), default="")
    # For FBR invoices to registered or identified buyers; kept here, never sent to Shopify.
    cnic: Mapped[str] = mapped_column(sa.String(15), default="", server_default="")
    ntn: Mapped[str] = mapped_column(sa.String(20), default="", server_default="")
    # The sum of the customer's store credit entries, changed only by services.returns.store_credit under this row's
    # lock in the entry's own transaction.
    store_credit_minor: Mapped[int] = mapped_column(sa.BigInteger, default=0, server_default="0")
    shopify_updated_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def full_name(self) -> str:
        return " ".join(p for p in (self.first_name, self.last_name) if p) or self.email or self.phone or "Customer"
