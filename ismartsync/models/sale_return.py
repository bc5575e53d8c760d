"""Returns: what came back from a sale (its lines, why, whether restocked), how the money went back, the merchant's
return reasons, and store credit as a customer balance with its append-only ledger.

A placed sale is never edited: a return is a document of its own (with its own USIN and, at an FBR counter, its own
credit note) that points at the sale it corrects. The money of each line is fixed when the return is recorded
(`services.returns.amounts`), so a return reads back exactly as it was refunded.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ismartsync.models.base import Base, TenantMixin, utcnow
from ismartsync.models.catalog import Customer, Variant
from ismartsync.models.merchant import Branch, Counter
from ismartsync.models.register import Shift
from ismartsync.models.sale import Sale, SaleLine, SalePayment
from ismartsync.models.staff import User


class ReturnKind(StrEnum):
    REFUND = "refund"  # the money goes back (to the tenders, or as store credit)
    EXCHANGE = "exchange"  # what came back pays towards a new sale in the same ticket

    @property
    def label(self) -> str:
        return {"refund": "Return", "exchange": "Exchange"}[self.value]


class ReturnReason(TenantMixin, Base):
    """One of the merchant's reasons a customer brings something back, as the return screen offers them.

    `restock` is what the screen ticks by default; a reason that is not `sellable` (defective) never goes back into
    sellable stock, whatever is ticked: the line is recorded as not sellable and not restocked.
    """

    __tablename__ = "return_reasons"
    __table_args__ = (sa.UniqueConstraint("merchant_id", "code"),)

    code: Mapped[str] = mapped_column(sa.String(32))
    label: Mapped[str] = mapped_column(sa.String(80))
    restock: Mapped[bool] = mapped_column(default=True)
    sellable: Mapped[bool] = mapped_column(default=True)
    position: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(default=True)


class SaleReturn(TenantMixin, Base):
    """A return (or the returned half of an exchange) at a counter: its lines, refunds and credit note.

    `uuid` is the client's idempotency key: the same return sent twice is recorded once. `number` is taken from the
    counter's gapless sequence that sales use, so the credit note's USIN is one of the counter's own.
    """

    __tablename__ = "sale_returns"
    __table_args__ = (
        sa.UniqueConstraint("merchant_id", "uuid"),
        sa.UniqueConstraint("counter_id", "number"),
        sa.Index("ix_sale_returns_branch_created_at", "branch_id", "created_at"),
    )

    uuid: Mapped[str] = mapped_column(sa.String(36))
    kind: Mapped[str] = mapped_column(sa.String(12), default=ReturnKind.REFUND)
    branch_id: Mapped[int] = mapped_column(sa.ForeignKey("branches.id", ondelete="CASCADE"))
    counter_id: Mapped[int] = mapped_column(sa.ForeignKey("counters.id", ondelete="CASCADE"))
    # The sale it corrects; None for a return without a receipt (store credit or exchange only, approved).
    sale_id: Mapped[int | None] = mapped_column(sa.ForeignKey("sales.id", ondelete="CASCADE"), index=True)
    # The sale that went out in an exchange (its own fiscal document), once placed in the same transaction.
    exchange_sale_id: Mapped[int | None] = mapped_column(sa.ForeignKey("sales.id", ondelete="SET NULL"), index=True)
    customer_id: Mapped[int | None] = mapped_column(sa.ForeignKey("customers.id", ondelete="SET NULL"), index=True)
    cashier_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    approved_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    shift_id: Mapped[int | None] = mapped_column(sa.ForeignKey("shifts.id"), index=True)
    number: Mapped[int]
    usin: Mapped[str] = mapped_column(sa.String(40))
    ref_usin: Mapped[str | None] = mapped_column(sa.String(40))
    no_receipt: Mapped[bool] = mapped_column(default=False)
    note: Mapped[str] = mapped_column(sa.String(300), default="")
    quantity: Mapped[int] = mapped_column(default=0)
    value_minor: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    tax_minor: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    # What the lines came to: owed back to the customer, as refunds (or towards the exchange's new sale).
    total_minor: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    branch: Mapped[Branch] = relationship()
    counter: Mapped[Counter] = relationship()
    sale: Mapped[Sale | None] = relationship(foreign_keys=[sale_id])
    exchange_sale: Mapped[Sale | None] = relationship(foreign_keys=[exchange_sale_id])
    customer: Mapped[Customer | None] = relationship()
    cashier: Mapped[User] = relationship(foreign_keys=[cashier_id])
    approved_by: Mapped[User | None] = relationship(foreign_keys=[approved_by_id])
    shift: Mapped[Shift | None] = relationship()
    lines: Mapped[list[ReturnLine]] = relationship(
        back_populates="sale_return", order_by="ReturnLine.position", cascade="all, delete-orphan"
    )
    refunds: Mapped[list[ReturnRefund]] = relationship(
        back_populates="sale_return", order_by="ReturnRefund.id", cascade="all, delete-orphan"
    )

    @property
    def kind_label(self) -> str:
        return ReturnKind(self.kind).label

    @property
    def refunded_minor(self) -> int:
        return sum(r.amount_minor for r in self.refunds)

    def __repr__(self) -> str:
        return f"<SaleReturn {self.id} {self.usin}>"


class ReturnLine(TenantMixin, Base):
    """One item that came back: from which sale line, how many, why, whether restocked, and its refund.

    The item's facts are copied from the sale line (or the variant, without a receipt) so the credit note is built
    from the return alone. Money in the sale's convention: `total_minor` = `value_minor` + `tax_minor`.
    """

    __tablename__ = "return_lines"

    sale_return_id: Mapped[int] = mapped_column(sa.ForeignKey("sale_returns.id", ondelete="CASCADE"), index=True)
    sale_line_id: Mapped[int | None] = mapped_column(sa.ForeignKey("sale_lines.id", ondelete="CASCADE"), index=True)
    variant_id: Mapped[int | None] = mapped_column(sa.ForeignKey("variants.id", ondelete="SET NULL"))
    position: Mapped[int] = mapped_column(default=0)
    name: Mapped[str] = mapped_column(sa.String(300))
    sku: Mapped[str] = mapped_column(sa.String(255), default="")
    barcode: Mapped[str] = mapped_column(sa.String(255), default="")
    pct_code: Mapped[str] = mapped_column(sa.String(8), default="")
    tax_rate_bp: Mapped[int] = mapped_column(default=0)
    third_schedule: Mapped[bool] = mapped_column(default=False)
    quantity: Mapped[int]
    unit_price_minor: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    reason_code: Mapped[str] = mapped_column(sa.String(32))
    reason_label: Mapped[str] = mapped_column(sa.String(80))
    restock: Mapped[bool] = mapped_column(default=True)
    sellable: Mapped[bool] = mapped_column(default=True)
    gross_minor: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    discount_excl_minor: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    value_minor: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    tax_minor: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    total_minor: Mapped[int] = mapped_column(sa.BigInteger, default=0)

    sale_return: Mapped[SaleReturn] = relationship(back_populates="lines")
    sale_line: Mapped[SaleLine | None] = relationship()
    variant: Mapped[Variant | None] = relationship()


class ReturnRefund(TenantMixin, Base):
    """Money given back for a return: which tender, how much, the reference of a card, bank or wallet refund, and
    (when it goes back to a tender the sale was paid with) that payment, so no tender is refunded more than it paid."""

    __tablename__ = "return_refunds"

    sale_return_id: Mapped[int] = mapped_column(sa.ForeignKey("sale_returns.id", ondelete="CASCADE"), index=True)
    sale_payment_id: Mapped[int | None] = mapped_column(sa.ForeignKey("sale_payments.id", ondelete="SET NULL"))
    tender: Mapped[str] = mapped_column(sa.String(16))
    payment_method_id: Mapped[int | None] = mapped_column(sa.ForeignKey("payment_methods.id"))
    label: Mapped[str] = mapped_column(sa.String(120), default="")
    amount_minor: Mapped[int] = mapped_column(sa.BigInteger)
    reference: Mapped[str] = mapped_column(sa.String(80), default="")
    # The drawer a cash refund came out of (the shift counts it in `cash_refunds_minor`).
    shift_id: Mapped[int | None] = mapped_column(sa.ForeignKey("shifts.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    sale_return: Mapped[SaleReturn] = relationship(back_populates="refunds")
    sale_payment: Mapped[SalePayment | None] = relationship()


class StoreCreditKind(StrEnum):
    RETURN = "return"  # credited for goods returned
    SPENT = "spent"  # spent as a tender at checkout

    @property
    def label(self) -> str:
        return {"return": "Credit from a return", "spent": "Spent at checkout"}[self.value]


class StoreCreditEntry(TenantMixin, Base):
    """One change to a customer's store credit: append-only; the customer's `store_credit_minor` is their sum, kept in
    the same transaction under the customer's row lock (and never below zero: a check constraint)."""

    __tablename__ = "store_credit_entries"
    __table_args__ = (sa.Index("ix_store_credit_entries_customer", "customer_id", "id"),)

    customer_id: Mapped[int] = mapped_column(sa.ForeignKey("customers.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(sa.String(12))
    delta_minor: Mapped[int] = mapped_column(sa.BigInteger)
    balance_after_minor: Mapped[int] = mapped_column(sa.BigInteger)
    sale_return_id: Mapped[int | None] = mapped_column(sa.ForeignKey("sale_returns.id", ondelete="SET NULL"))
    sale_id: Mapped[int | None] = mapped_column(sa.ForeignKey("sales.id", ondelete="SET NULL"))
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    customer: Mapped[Customer] = relationship()
