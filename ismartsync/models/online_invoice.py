"""Online invoices: the tax invoice of what one dispatch shipped of an online order from a branch, and the credit
note of a refused or returned parcel; the lines each one prints and reports; and, per branch, the counter (POSID)
that reports the branch's online orders to FBR.

An online invoice is to an online order what a sale is to the counter: it takes its number and USIN from the
reporting counter's gapless sequence, and its `FiscalDocument` (with `online_invoice_id`) is reported by the same
pipeline. Written by `services/online_orders/invoicing.py`; never edited once written.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ismartsync.models.base import Base, TenantMixin, utcnow
from ismartsync.models.merchant import Branch, Counter
from ismartsync.models.online_order import OnlineOrder, OnlineOrderLine


class OnlineReportingCounter(TenantMixin, Base):
    """The counter whose POSID reports a branch's online orders (one per branch; none: they are not reported)."""

    __tablename__ = "online_reporting_counters"
    __table_args__ = (sa.UniqueConstraint("branch_id"),)

    branch_id: Mapped[int] = mapped_column(sa.ForeignKey("branches.id", ondelete="CASCADE"))
    counter_id: Mapped[int] = mapped_column(sa.ForeignKey("counters.id", ondelete="CASCADE"), index=True)

    branch: Mapped[Branch] = relationship()
    counter: Mapped[Counter] = relationship()


class OnlineInvoiceKind(StrEnum):
    INVOICE = "invoice"  # what a dispatch shipped
    CREDIT_NOTE = "credit_note"  # what came back: a refused or returned parcel

    @property
    def label(self) -> str:
        return {"invoice": "Tax invoice", "credit_note": "Credit note"}[self.value]


class OnlineInvoice(TenantMixin, Base):
    """The invoice of one dispatch of an online order (or a credit note against one), with the buyer as the order
    names them. `reference` is the dispatch's (or the return's) own reference: one invoice per dispatch, one credit
    note per return, however often the caller asks."""

    __tablename__ = "online_invoices"
    __table_args__ = (
        sa.UniqueConstraint("merchant_id", "usin"),
        sa.UniqueConstraint("merchant_id", "kind", "reference"),
    )

    order_id: Mapped[int] = mapped_column(sa.ForeignKey("online_orders.id", ondelete="CASCADE"), index=True)
    branch_id: Mapped[int] = mapped_column(sa.ForeignKey("branches.id", ondelete="CASCADE"), index=True)
    counter_id: Mapped[int] = mapped_column(sa.ForeignKey("counters.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(12), default=OnlineInvoiceKind.INVOICE)
    # A credit note's invoice (the one it corrects); None on an invoice.
    invoice_id: Mapped[int | None] = mapped_column(sa.ForeignKey("online_invoices.id", ondelete="CASCADE"), index=True)
    reference: Mapped[str] = mapped_column(sa.String(120))
    number: Mapped[int]  # from the counter's sequence, which its sales and returns share
    usin: Mapped[str] = mapped_column(sa.String(40))
    buyer_name: Mapped[str] = mapped_column(sa.String(150), default="")
    buyer_phone: Mapped[str] = mapped_column(sa.String(40), default="")
    cod: Mapped[bool] = mapped_column(default=False)  # paid in cash at the door: PaymentMode Cash, else Card
    prices_include_tax: Mapped[bool] = mapped_column(default=True)
    reason: Mapped[str] = mapped_column(sa.String(200), default="")  # a credit note's: "Refused at the door"
    value_minor: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    tax_minor: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    total_minor: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    order: Mapped[OnlineOrder] = relationship()
    branch: Mapped[Branch] = relationship()
    counter: Mapped[Counter] = relationship()
    invoice: Mapped[OnlineInvoice | None] = relationship(remote_side="OnlineInvoice.id")
    lines: Mapped[list[OnlineInvoiceLine]] = relationship(
        back_populates="online_invoice", cascade="all, delete-orphan", order_by="OnlineInvoiceLine.position"
    )

    # What the FBR payload reads of its buyer (as of a sale): online orders carry no NTN or CNIC.
    buyer_ntn = ""
    buyer_cnic = ""

    @property
    def is_credit_note(self) -> bool:
        return self.kind == OnlineInvoiceKind.CREDIT_NOTE

    @property
    def kind_label(self) -> str:
        return OnlineInvoiceKind(self.kind).label


class OnlineInvoiceLine(TenantMixin, Base):
    """One item as invoiced: the order line's facts copied in and its priced figures (as `SaleLine` holds them)."""

    __tablename__ = "online_invoice_lines"

    online_invoice_id: Mapped[int] = mapped_column(sa.ForeignKey("online_invoices.id", ondelete="CASCADE"), index=True)
    order_line_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("online_order_lines.id", ondelete="SET NULL"), index=True
    )
    position: Mapped[int] = mapped_column(default=0)
    name: Mapped[str] = mapped_column(sa.String(300))
    sku: Mapped[str] = mapped_column(sa.String(255), default="")
    barcode: Mapped[str] = mapped_column(sa.String(255), default="")
    pct_code: Mapped[str] = mapped_column(sa.String(8), default="")
    quantity: Mapped[int] = mapped_column(default=1)
    unit_price_minor: Mapped[int] = mapped_column(sa.BigInteger)  # as the order charged it (after line discounts)
    tax_rate_bp: Mapped[int] = mapped_column(default=0)
    third_schedule: Mapped[bool] = mapped_column(default=False)
    gross_minor: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    discount_excl_minor: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    value_minor: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    tax_minor: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    total_minor: Mapped[int] = mapped_column(sa.BigInteger, default=0)

    online_invoice: Mapped[OnlineInvoice] = relationship(back_populates="lines")
    order_line: Mapped[OnlineOrderLine | None] = relationship()
