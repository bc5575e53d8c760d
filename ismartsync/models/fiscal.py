"""Fiscal documents: what is reported to FBR for each sale (and later each credit note), every attempt, FBR's answer."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ismartsync.models.base import Base, TenantMixin, utcnow
from ismartsync.models.merchant import Counter
from ismartsync.models.online_invoice import OnlineInvoice
from ismartsync.models.sale import Sale
from ismartsync.models.sale_return import SaleReturn
from ismartsync.models.staff import User


class FiscalStatus(StrEnum):
    PENDING = "pending"  # not reported yet: an attempt is due (or under way)
    REPORTED = "reported"  # FBR answered with its invoice number
    REJECTED = "rejected"  # FBR refused the data (Code ≠ 100): a person must look at it
    UNKNOWN = "unknown"  # sent, no answer: FBR may have recorded it, so it is reconciled, never blindly resent

    @property
    def label(self) -> str:
        return {
            "pending": "Pending",
            "reported": "Reported",
            "rejected": "Rejected",
            "unknown": "Needs checking",
        }[self.value]

    @property
    def open(self) -> bool:
        """Still without an FBR number: counts towards the 24-hour duty (150XC)."""
        return self is not FiscalStatus.REPORTED


class InvoiceType(StrEnum):
    SALE = "1"
    CREDIT_NOTE = "3"


class AttemptOutcome(StrEnum):
    """How one attempt ended (fbr.md §2.7's error classes)."""

    REPORTED = "reported"  # HTTP 2xx, Code "100" and a real number
    REJECTED = "rejected"  # HTTP 2xx but Code ≠ "100": the data was refused
    UNREACHABLE = "unreachable"  # no connection, connection dropped, 5xx: FBR recorded nothing, retry
    REFUSED = "refused"  # 401/403 from the gateway: our credentials or environment are wrong, retry after a fix
    UNKNOWN = "unknown"  # the request went out and no answer came back in time: FBR may have recorded it

    @property
    def label(self) -> str:
        return {
            "reported": "Reported",
            "rejected": "Rejected by FBR",
            "unreachable": "FBR unreachable",
            "refused": "Credentials refused",
            "unknown": "No answer in time",
        }[self.value]


class FiscalDocument(TenantMixin, Base):
    """One per sale at an FBR counter, written pending in the checkout transaction with its exact request body.

    Its USIN, POSID and body are fixed when it is written: every resend sends the same bytes, never a new USIN.
    """

    __tablename__ = "fiscal_documents"
    __table_args__ = (
        sa.UniqueConstraint("merchant_id", "usin"),
        sa.Index("ix_fiscal_documents_status_next_attempt_at", "status", "next_attempt_at"),
        sa.Index("ix_fiscal_documents_merchant_fbr_number", "merchant_id", "fbr_number"),  # a return's lookup
    )

    # A sale's own document, or (with `sale_return_id`) a credit note: then `sale` is the sale it corrects. An online
    # order's invoice or credit note has no sale: `online_invoice` is what it reports (exactly one of the two is set).
    sale_id: Mapped[int | None] = mapped_column(sa.ForeignKey("sales.id", ondelete="CASCADE"), index=True)
    sale_return_id: Mapped[int | None] = mapped_column(sa.ForeignKey("sale_returns.id", ondelete="CASCADE"), index=True)
    online_invoice_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("online_invoices.id", ondelete="CASCADE"), index=True
    )
    counter_id: Mapped[int] = mapped_column(sa.ForeignKey("counters.id", ondelete="CASCADE"), index=True)
    invoice_type: Mapped[str] = mapped_column(sa.String(2), default=InvoiceType.SALE)
    usin: Mapped[str] = mapped_column(sa.String(40))
    ref_usin: Mapped[str | None] = mapped_column(sa.String(40))
    # The counter's POSID and the merchant's FBR environment when the document was written.
    pos_id: Mapped[int | None] = mapped_column(sa.BigInteger)
    environment: Mapped[str | None] = mapped_column(sa.String(12))
    status: Mapped[str] = mapped_column(sa.String(12), default=FiscalStatus.PENDING)
    fbr_number: Mapped[str | None] = mapped_column(sa.String(64))
    attempts: Mapped[int] = mapped_column(default=0)
    request: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    response: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    # The receipt went out without an FBR number (FBR unreachable at the sale): it says so for good (150XC).
    offline_issued: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    next_attempt_at: Mapped[datetime | None]
    # Set while an attempt is on its way; one left set too long died with its process (its fate is unknown).
    sending_since: Mapped[datetime | None]
    last_attempt_at: Mapped[datetime | None]
    last_error: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    # When the owner was told it had been open 12 h (the law allows 24 h).
    alerted_at: Mapped[datetime | None]
    # A person settled it by hand (an FBR number found in IRIS for an unknown one).
    resolved_at: Mapped[datetime | None]
    resolved_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    resolution_note: Mapped[str] = mapped_column(sa.String(300), default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    reported_at: Mapped[datetime | None]

    sale: Mapped[Sale | None] = relationship()
    sale_return: Mapped[SaleReturn | None] = relationship()
    online_invoice: Mapped[OnlineInvoice | None] = relationship()
    counter: Mapped[Counter] = relationship()
    resolved_by: Mapped[User | None] = relationship()
    attempt_log: Mapped[list[FiscalAttempt]] = relationship(
        back_populates="document", order_by="FiscalAttempt.number", cascade="all, delete-orphan"
    )

    @property
    def status_label(self) -> str:
        return FiscalStatus(self.status).label

    @property
    def is_open(self) -> bool:
        return FiscalStatus(self.status).open

    @property
    def is_credit_note(self) -> bool:
        return self.invoice_type == InvoiceType.CREDIT_NOTE

    def __repr__(self) -> str:
        return f"<FiscalDocument {self.id} {self.usin} {self.status}>"


class FiscalAttempt(TenantMixin, Base):
    """One send of a fiscal document and what came back: append-only, the audit trail of every fiscal attempt."""

    __tablename__ = "fiscal_attempts"
    __table_args__ = (sa.UniqueConstraint("document_id", "number"),)

    document_id: Mapped[int] = mapped_column(sa.ForeignKey("fiscal_documents.id", ondelete="CASCADE"), index=True)
    number: Mapped[int]
    # What started it: "checkout" (inline, right after the sale), "queue" (the fiscal queue), "manual" (a person).
    trigger: Mapped[str] = mapped_column(sa.String(12))
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
    outcome: Mapped[str | None] = mapped_column(sa.String(12))
    http_status: Mapped[int | None]
    # FBR's answer as sent: parsed JSON when it was JSON, else the text.
    response: Mapped[Any | None] = mapped_column(sa.JSON)
    error: Mapped[str] = mapped_column(sa.String(500), default="")
    elapsed_ms: Mapped[int | None]

    document: Mapped[FiscalDocument] = relationship(back_populates="attempt_log")

    @property
    def outcome_label(self) -> str:
        return AttemptOutcome(self.outcome).label if self.outcome else "Under way"
