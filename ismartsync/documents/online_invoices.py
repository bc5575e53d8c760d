"""An online order's documents for the parcel: the A4 tax invoice of what a dispatch shipped, or the credit note of
a refused or returned parcel, with the FBR number and QR once FBR has answered ("FBR number pending" before). The
80/58 mm thermal copy is a page (`templates/online_orders/invoice_receipt.html`) over the same figures."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from ismartsync.documents.buyer import Buyer
from ismartsync.documents.render import render_pdf
from ismartsync.fiscal.payload import pct_code_for
from ismartsync.models import FiscalDocument, OnlineInvoice, OnlineInvoiceLine

TEMPLATE = "documents/online_invoice.html"
_UNSAFE_IN_FILENAME = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True)
class OnlineInvoiceItem:
    """One item as printed: the unit price excluding tax FBR asks for (gross excl. tax / quantity, half up)."""

    line: OnlineInvoiceLine
    pct_code: str
    unit_price_excl_minor: int


def items_of(online_invoice: OnlineInvoice) -> list[OnlineInvoiceItem]:
    default_pct = online_invoice.merchant.default_pct_code
    items = []
    for line in online_invoice.lines:
        gross_excl = line.value_minor + line.discount_excl_minor
        quotient, remainder = divmod(gross_excl, max(line.quantity, 1))
        unit = quotient + (1 if 2 * remainder >= max(line.quantity, 1) else 0)
        items.append(OnlineInvoiceItem(line, pct_code_for(line.pct_code, default_pct), unit))
    return items


def buyer_of_order(online_invoice: OnlineInvoice) -> Buyer:
    return Buyer(name=online_invoice.buyer_name, phone=online_invoice.buyer_phone, cnic="", ntn="")


def ship_to(online_invoice: OnlineInvoice) -> list[str]:
    """The order's shipping address as lines for the parcel (name first)."""
    address = online_invoice.order.shipping_address or {}
    keys = ("name", "address1", "address2", "city", "province", "zip", "country")
    return [str(address[k]).strip() for k in keys if str(address.get(k) or "").strip()]


def issued_local(online_invoice: OnlineInvoice) -> datetime:
    return online_invoice.created_at.astimezone(ZoneInfo(online_invoice.merchant.time_zone))


def online_invoice_filename(online_invoice: OnlineInvoice) -> str:
    """`<USIN>.pdf` (`credit-note-<USIN>.pdf`), safe in a file name and a Content-Disposition header."""
    stem = _UNSAFE_IN_FILENAME.sub("-", online_invoice.usin).strip("-.") or str(online_invoice.id)
    return f"{'credit-note-' if online_invoice.is_credit_note else ''}{stem}.pdf"


def online_invoice_pdf(
    online_invoice: OnlineInvoice, fiscal: FiscalDocument | None, original: FiscalDocument | None = None
) -> bytes:
    """The A4 document: `fiscal` its own FBR document (None when it was not reported), `original` a credit note's
    invoice's (for the FBR number of the invoice it corrects)."""
    return render_pdf(
        TEMPLATE,
        **document_context(online_invoice, fiscal, original),
    )


def document_context(
    online_invoice: OnlineInvoice, fiscal: FiscalDocument | None, original: FiscalDocument | None = None
) -> dict[str, object]:
    """What the A4 and the thermal templates print."""
    return {
        "online_invoice": online_invoice,
        "order": online_invoice.order,
        "merchant": online_invoice.merchant,
        "fiscal": fiscal,
        "original": original,
        "credit_note": online_invoice.is_credit_note,
        "pos_id": fiscal.pos_id if fiscal else None,
        "buyer": buyer_of_order(online_invoice),
        "ship_to": ship_to(online_invoice),
        "items": items_of(online_invoice),
        "issued": issued_local(online_invoice),
    }
