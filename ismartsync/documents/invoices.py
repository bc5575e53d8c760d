"""A sale's A4 tax invoice as a PDF, with everything SRO 1006 asks (fbr.md §1.2), and the figures it prints."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from ismartsync.documents.buyer import buyer_of
from ismartsync.documents.render import render_pdf
from ismartsync.fiscal.payload import pct_code_for
from ismartsync.models import FiscalDocument, Sale, SaleLine, Tender

TEMPLATE = "documents/sale_invoice.html"
_UNSAFE_IN_FILENAME = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True)
class InvoiceLine:
    """One item as the invoice prints it: every amount excluding tax until the tax and the line total."""

    line: SaleLine
    pct_code: str
    unit_price_excl_minor: int
    gross_excl_minor: int

    @property
    def discount_excl_minor(self) -> int:
        return self.line.discount_excl_minor


@dataclass(frozen=True)
class InvoiceTotals:
    gross_excl_minor: int  # the items at their price excluding tax, before discounts
    discount_excl_minor: int
    value_minor: int  # total sale value: excluding tax, net of discounts (FBR TotalSaleValue)
    tax_minor: int
    total_minor: int  # value + tax (FBR TotalBillAmount)
    pos_fee_minor: int
    payable_minor: int
    received_minor: int
    change_minor: int


def _div_half_up(numerator: int, denominator: int) -> int:
    quotient, remainder = divmod(numerator, denominator)
    return quotient + (1 if 2 * remainder >= denominator else 0)


def invoice_lines(sale: Sale) -> list[InvoiceLine]:
    """The sale's lines with the unit price excluding tax FBR asks for (gross excl. tax / quantity, half up)."""
    default_pct = sale.merchant.default_pct_code
    lines = []
    for line in sale.lines:
        gross_excl = line.value_minor + line.discount_excl_minor
        unit_excl = _div_half_up(gross_excl, line.quantity) if line.quantity > 0 else gross_excl
        lines.append(InvoiceLine(line, pct_code_for(line.pct_code, default_pct), unit_excl, gross_excl))
    return lines


def invoice_totals(sale: Sale, lines: list[InvoiceLine]) -> InvoiceTotals:
    return InvoiceTotals(
        gross_excl_minor=sum(ln.gross_excl_minor for ln in lines),
        discount_excl_minor=sum(ln.discount_excl_minor for ln in lines),
        value_minor=sale.value_minor,
        tax_minor=sale.tax_minor,
        total_minor=sale.total_minor,
        pos_fee_minor=sale.pos_fee_minor,
        payable_minor=sale.payable_minor,
        received_minor=sum(p.tendered_minor for p in sale.payments),
        change_minor=sale.change_minor,
    )


def payment_mode(sale: Sale) -> str:
    """How the sale was paid, in words: "Cash", "Card", or "Mixed: Card, Cash"."""
    kinds = list(dict.fromkeys(Tender(p.tender).label for p in sale.payments))
    if not kinds:
        return Tender.CASH.label
    return kinds[0] if len(kinds) == 1 else "Mixed: " + ", ".join(kinds)


def placed_local(sale: Sale) -> datetime:
    """When the sale was placed, in the merchant's time zone (the law's "date and time of sale")."""
    assert sale.placed_at is not None
    return sale.placed_at.astimezone(ZoneInfo(sale.merchant.time_zone))


def invoice_filename(sale: Sale) -> str:
    """`<USIN>.pdf`, with anything a file name or a Content-Disposition header could trip on replaced."""
    stem = _UNSAFE_IN_FILENAME.sub("-", sale.usin or f"sale-{sale.id}").strip("-.") or f"sale-{sale.id}"
    return f"{stem}.pdf"


def sale_invoice_pdf(sale: Sale, fiscal: FiscalDocument | None, *, masked: bool = False) -> bytes:
    """The A4 tax invoice of a placed sale. `fiscal` is None at a counter that does not report to FBR (no FBR block);
    `masked`: for a shared link or an email, the buyer's CNIC and phone show only their last four digits."""
    lines = invoice_lines(sale)
    return render_pdf(
        TEMPLATE,
        sale=sale,
        merchant=sale.merchant,
        fiscal=fiscal,
        pos_id=(fiscal.pos_id or sale.counter.fbr_pos_id) if fiscal else None,
        buyer=buyer_of(sale, masked),
        lines=lines,
        totals=invoice_totals(sale, lines),
        payment_mode=payment_mode(sale),
        placed=placed_local(sale),
    )
