"""Sales: a cart is a draft sale on a counter; checkout places it with its lines, payments and sale number."""

from __future__ import annotations

import secrets
from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ismartsync.models.base import Base, TenantMixin, utcnow
from ismartsync.models.catalog import Customer, Variant
from ismartsync.models.merchant import Branch, Counter
from ismartsync.models.register import Register, Shift
from ismartsync.models.staff import User


class SaleStatus(StrEnum):
    DRAFT = "draft"  # a cart being rung up, parked, or kept as a quote
    PLACED = "placed"  # checked out: never edited again
    PARTLY_REFUNDED = "partly_refunded"  # placed, then some of it returned (services.returns keeps this)
    REFUNDED = "refunded"  # placed, then every unit returned

    @property
    def label(self) -> str:
        return "PARTIALLY REFUNDED" if self is SaleStatus.PARTLY_REFUNDED else self.value.upper()


# A sale that was placed, whatever came back since: what reports and the drawer count as sold.
PLACED_STATUSES = (SaleStatus.PLACED, SaleStatus.PARTLY_REFUNDED, SaleStatus.REFUNDED)


class Tender(StrEnum):
    CASH = "cash"
    CARD = "card"
    BANK = "bank"
    WALLET = "wallet"
    STORE_CREDIT = "store_credit"  # the customer's store credit (services.returns.store_credit)
    EXCHANGE = "exchange"  # an exchange's returned goods paying towards its new sale (never typed at the till)

    @property
    def label(self) -> str:
        return {
            "cash": "Cash",
            "card": "Card",
            "bank": "Bank transfer",
            "wallet": "Wallet",
            "store_credit": "Store credit",
            "exchange": "Exchange credit",
        }[self.value]


class Sale(TenantMixin, Base):
    """A draft cart until checkout; then a placed sale with a gapless number on its counter."""

    __tablename__ = "sales"
    __table_args__ = (
        sa.UniqueConstraint("merchant_id", "uuid"),
        sa.UniqueConstraint("counter_id", "number"),
        # The cart on screen: at most one unparked draft per counter, whatever two requests do at once.
        sa.Index(
            "uq_sales_active_cart",
            "counter_id",
            unique=True,
            postgresql_where=sa.text("status = 'draft' AND parked_at IS NULL"),
            sqlite_where=sa.text("status = 'draft' AND parked_at IS NULL"),
        ),
        sa.Index("ix_sales_branch_status_placed", "branch_id", "status", "placed_at"),
        sa.Index("ix_sales_customer_placed", "customer_id", "placed_at"),  # a customer's purchases, for a return
    )

    # Generated when the cart is created and sent back with the checkout: a repeated checkout finds the sale placed.
    uuid: Mapped[str] = mapped_column(sa.String(36))
    branch_id: Mapped[int] = mapped_column(sa.ForeignKey("branches.id", ondelete="CASCADE"))
    counter_id: Mapped[int] = mapped_column(sa.ForeignKey("counters.id", ondelete="CASCADE"))
    register_id: Mapped[int | None] = mapped_column(sa.ForeignKey("registers.id"), index=True)
    shift_id: Mapped[int | None] = mapped_column(sa.ForeignKey("shifts.id"), index=True)
    status: Mapped[str] = mapped_column(sa.String(16), default=SaleStatus.DRAFT)
    number: Mapped[int | None]
    # FBR's unique sale identifier: branch code, counter and number; never reused.
    usin: Mapped[str | None] = mapped_column(sa.String(40))
    label: Mapped[str] = mapped_column(sa.String(80), default="")
    parked_at: Mapped[datetime | None]
    cashier_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    salesperson_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    customer_id: Mapped[int | None] = mapped_column(sa.ForeignKey("customers.id", ondelete="SET NULL"))
    # The buyer as printed: copied from the customer at checkout, so a later edit never changes an invoice.
    buyer_name: Mapped[str] = mapped_column(sa.String(200), default="")
    buyer_phone: Mapped[str] = mapped_column(sa.String(40), default="")
    buyer_cnic: Mapped[str] = mapped_column(sa.String(15), default="")
    buyer_ntn: Mapped[str] = mapped_column(sa.String(20), default="")
    prices_include_tax: Mapped[bool] = mapped_column(default=True)
    order_discount_kind: Mapped[str | None] = mapped_column(sa.String(8))
    order_discount_value: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    # The largest share of the subtotal a supervisor let the cart's discounts reach (basis points; 0: none yet).
    approved_discount_bp: Mapped[int] = mapped_column(default=0, server_default="0")
    quantity: Mapped[int] = mapped_column(default=0)
    subtotal_minor: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    discount_minor: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    value_minor: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    tax_minor: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    total_minor: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    pos_fee_minor: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    payable_minor: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    paid_minor: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    change_minor: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    placed_at: Mapped[datetime | None]
    # The key in its public receipt link (/r/<key>): random, so no link can be guessed from another, and no secret
    # key signs it, so rotating the app's keys breaks no link a customer was sent.
    receipt_key: Mapped[str] = mapped_column(sa.String(32), default=lambda: secrets.token_hex(16), unique=True)
    # A cart only: the exchange it is sold against (what comes back, as services.returns.exchange keeps it), so the
    # exchange is parked, recalled and finished with the cart on any counter; cleared when the exchange is placed.
    exchange_request: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)

    branch: Mapped[Branch] = relationship()
    counter: Mapped[Counter] = relationship()
    register: Mapped[Register | None] = relationship()
    shift: Mapped[Shift | None] = relationship()
    cashier: Mapped[User] = relationship(foreign_keys=[cashier_id])
    salesperson: Mapped[User | None] = relationship(foreign_keys=[salesperson_id])
    customer: Mapped[Customer | None] = relationship()
    lines: Mapped[list[SaleLine]] = relationship(
        back_populates="sale", order_by="SaleLine.position", cascade="all, delete-orphan"
    )
    payments: Mapped[list[SalePayment]] = relationship(
        back_populates="sale", order_by="SalePayment.id", cascade="all, delete-orphan"
    )

    @property
    def is_draft(self) -> bool:
        return self.status == SaleStatus.DRAFT

    @property
    def status_label(self) -> str:
        return SaleStatus(self.status).label

    def __repr__(self) -> str:
        return f"<Sale {self.id} {self.status} {self.usin or self.uuid}>"


class SaleLine(TenantMixin, Base):
    """One item on a sale, with the catalog facts copied in and its priced figures (see services.pricing)."""

    __tablename__ = "sale_lines"

    sale_id: Mapped[int] = mapped_column(sa.ForeignKey("sales.id", ondelete="CASCADE"), index=True)
    variant_id: Mapped[int | None] = mapped_column(sa.ForeignKey("variants.id", ondelete="SET NULL"))
    position: Mapped[int] = mapped_column(default=0)
    name: Mapped[str] = mapped_column(sa.String(300))
    sku: Mapped[str] = mapped_column(sa.String(255), default="")
    barcode: Mapped[str] = mapped_column(sa.String(255), default="")
    pct_code: Mapped[str] = mapped_column(sa.String(8), default="")
    quantity: Mapped[int] = mapped_column(default=1)
    # The catalog price when the line was added, and the price charged (different after an override).
    list_price_minor: Mapped[int] = mapped_column(sa.BigInteger)
    unit_price_minor: Mapped[int] = mapped_column(sa.BigInteger)
    tax_rate_bp: Mapped[int] = mapped_column(default=0)
    third_schedule: Mapped[bool] = mapped_column(default=False)
    discount_kind: Mapped[str | None] = mapped_column(sa.String(8))
    discount_value: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    # The largest share of the line's gross a supervisor let its discount reach (basis points; 0: none yet).
    approved_discount_bp: Mapped[int] = mapped_column(default=0, server_default="0")
    gross_minor: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    discount_minor: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    discount_excl_minor: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    value_minor: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    tax_minor: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    total_minor: Mapped[int] = mapped_column(sa.BigInteger, default=0)

    sale: Mapped[Sale] = relationship(back_populates="lines")
    variant: Mapped[Variant | None] = relationship()

    @property
    def price_overridden(self) -> bool:
        return self.unit_price_minor != self.list_price_minor


class SalePayment(TenantMixin, Base):
    """A tender on a placed sale: what it paid, and for cash what was handed over and given back."""

    __tablename__ = "sale_payments"

    sale_id: Mapped[int] = mapped_column(sa.ForeignKey("sales.id", ondelete="CASCADE"), index=True)
    tender: Mapped[str] = mapped_column(sa.String(16))
    payment_method_id: Mapped[int | None] = mapped_column(sa.ForeignKey("payment_methods.id"))
    # As printed, e.g. "JazzCash 0300 1234567": kept if the method is later renamed or switched off.
    label: Mapped[str] = mapped_column(sa.String(120), default="")
    amount_minor: Mapped[int] = mapped_column(sa.BigInteger)
    tendered_minor: Mapped[int] = mapped_column(sa.BigInteger)
    change_minor: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    reference: Mapped[str] = mapped_column(sa.String(80), default="")

    sale: Mapped[Sale] = relationship(back_populates="payments")


class PaymentMethod(TenantMixin, Base):
    """A bank account or mobile wallet the merchant takes payment into, offered at the till."""

    __tablename__ = "payment_methods"

    kind: Mapped[str] = mapped_column(sa.String(8))  # Tender.BANK or Tender.WALLET
    name: Mapped[str] = mapped_column(sa.String(80))  # "Meezan Bank", "JazzCash"
    account_title: Mapped[str] = mapped_column(sa.String(120), default="")
    account_number: Mapped[str] = mapped_column(sa.String(40), default="")
    iban: Mapped[str] = mapped_column(sa.String(34), default="")
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def label(self) -> str:
        tail = self.account_number[-4:] if self.account_number else ""
        return f"{self.name} ··{tail}" if tail else self.name


class QuickKey(TenantMixin, Base):
    """A favourite on the counter's quick-key grid: one tap adds it (the merchant's list, shared by its branches)."""

    __tablename__ = "quick_keys"
    __table_args__ = (sa.UniqueConstraint("merchant_id", "variant_id"),)

    variant_id: Mapped[int] = mapped_column(sa.ForeignKey("variants.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(default=0)

    variant: Mapped[Variant] = relationship(lazy="joined")
