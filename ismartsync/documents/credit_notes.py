"""A return's A4 credit note as a PDF: what came back, the invoice it corrects (its USIN and FBR number), the money
given back per tender, and the credit note's own FBR number and QR once FBR has answered (fbr.md §2.6)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from ismartsync.documents.buyer import Buyer, buyer_of, mask_digits
from ismartsync.documents.render import render_pdf
from ismartsync.fiscal.payload import pct_code_for
from ismartsync.models import FiscalDocument, ReturnLine, SaleReturn

TEMPLATE = "documents/credit_note.html"
_UNSAFE_IN_FILENAME = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True)
class CreditNoteLine:
    line: ReturnLine
    pct_code: str


def credit_note_filename(sale_return: SaleReturn) -> str:
    """`credit-note-<USIN>.pdf`, safe in a file name and a Content-Disposition header."""
    stem = _UNSAFE_IN_FILENAME.sub("-", sale_return.usin).strip("-.") or str(sale_return.id)
    return f"credit-note-{stem}.pdf"


def returned_local(sale_return: SaleReturn) -> datetime:
    """When the return was recorded, in the merchant's time zone."""
    return sale_return.created_at.astimezone(ZoneInfo(sale_return.merchant.time_zone))


def buyer_of_return(sale_return: SaleReturn, masked: bool = False) -> Buyer:
    """The buyer as the sale printed them; without a receipt, the customer the credit went to (if any)."""
    if sale_return.sale is not None:
        return buyer_of(sale_return.sale, masked)
    customer = sale_return.customer
    if customer is None:
        return Buyer("", "", "", "")
    phone = mask_digits(customer.phone) if masked else customer.phone
    return Buyer(name=customer.full_name, phone=phone, cnic="", ntn="")


def credit_note_pdf(
    sale_return: SaleReturn,
    fiscal: FiscalDocument | None,
    original: FiscalDocument | None,
    *,
    masked: bool = False,
) -> bytes:
    """The A4 credit note of a return. `fiscal` is its own FBR document (None where the sale was not reported, or
    for a return without a receipt), `original` the sale's (for the FBR number of the invoice it corrects);
    `masked`: for a shared link, the buyer's CNIC and phone show only their last four digits."""
    merchant = sale_return.merchant
    default_pct = merchant.default_pct_code
    return render_pdf(
        TEMPLATE,
        sale_return=sale_return,
        sale=sale_return.sale,
        merchant=merchant,
        fiscal=fiscal,
        original=original,
        credit_note=True,
        pos_id=fiscal.pos_id if fiscal else None,
        buyer=buyer_of_return(sale_return, masked),
        lines=[CreditNoteLine(ln, pct_code_for(ln.pct_code, default_pct)) for ln in sale_return.lines],
        returned=returned_local(sale_return),
    )
