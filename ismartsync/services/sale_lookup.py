"""Finding a placed sale again for a return: by the receipt code a scanner reads off the receipt, its USIN, its FBR
invoice number (typed, or read off the FBR QR code), or among a customer's purchases.

Only the merchant's own sales are ever found, whatever branch sold them: whether another branch may take a return
back is the merchant's setting, checked when the return is made. A draft (a cart, a parked sale) is not a sale yet.
"""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from ismartsync.errors import DomainError
from ismartsync.inputs import parse_id
from ismartsync.models import PLACED_STATUSES, Counter, FiscalDocument, InvoiceType, Sale, User
from ismartsync.receipt_codes import parse_receipt_code
from ismartsync.services.sales import get_sale

# Longer than any receipt code (22), USIN (40) or FBR number (64 at most): anything past it is no sale's.
MAX_LOOKUP_LENGTH = 64
CUSTOMER_SALES_LIMIT = 20
RETURNABLE_STATUSES = PLACED_STATUSES  # a partly refunded sale still has units to return
# A USIN as checkout writes it (services.checkout.usin_for): branch code, "C" and the counter id, the sale number.
_USIN = re.compile(r"^[A-Z0-9-]{1,12}-C([0-9]{1,10})-([0-9]{1,10})$")
_FBR_NUMBER = re.compile(r"^[0-9A-Za-z*\-]{6,64}$")


class SaleNotFound(DomainError):
    """Nothing the cashier scanned or typed is one of the merchant's sales."""


def find_sale(session: Session, merchant_id: int, text: str) -> Sale:
    """The merchant's placed sale that `text` names: a receipt code, a USIN or an FBR invoice number.

    Raises SaleNotFound (its message for beside the field `code`) for empty input, anything too long, and anything
    that names no sale of this merchant (another merchant's included: the same words, nothing told).
    """
    text = text.strip()
    if not text:
        raise SaleNotFound("Scan the receipt's barcode, or type its USIN or FBR number.", field="code")
    if len(text) > MAX_LOOKUP_LENGTH:
        raise SaleNotFound("That is longer than any receipt code, USIN or FBR number.", field="code")
    for sale_id in _candidates(session, merchant_id, text):
        sale = get_sale(session, merchant_id, sale_id)
        if sale is not None and sale.status in RETURNABLE_STATUSES:
            return sale
    raise SaleNotFound(
        f"No sale of yours has the receipt code, USIN or FBR number “{text[:40]}”. Check it and scan again.",
        field="code",
    )


def _candidates(session: Session, merchant_id: int, text: str) -> list[int]:
    """Ids of the merchant's sales `text` may name, most likely first (each read through a unique key)."""
    ids: list[int] = []
    if (code := parse_receipt_code(text)) is not None:
        ids += _by_counter_number(session, merchant_id, *code)
    if (usin := _USIN.match(text.upper())) is not None:
        counter_id, number = parse_id(usin.group(1)), parse_id(usin.group(2))
        if counter_id is not None and number is not None:
            ids += _by_counter_number(session, merchant_id, counter_id, number, usin=text.upper())
    if _FBR_NUMBER.match(text):
        ids += session.scalars(
            select(FiscalDocument.sale_id).where(
                FiscalDocument.merchant_id == merchant_id,
                FiscalDocument.fbr_number == text,
                FiscalDocument.invoice_type == InvoiceType.SALE,
            )
        ).all()
    return list(dict.fromkeys(ids))


def _by_counter_number(
    session: Session, merchant_id: int, counter_id: int, number: int, *, usin: str | None = None
) -> list[int]:
    query = select(Sale.id).where(Sale.merchant_id == merchant_id, Sale.counter_id == counter_id, Sale.number == number)
    if usin is not None:
        query = query.where(Sale.usin == usin)
    return list(session.scalars(query))


def customer_sales(session: Session, merchant_id: int, customer_id: int) -> list[Sale]:
    """The customer's latest purchases at any of the merchant's branches, newest first (placed or returned since)."""
    return list(
        session.scalars(
            select(Sale)
            .where(
                Sale.merchant_id == merchant_id,
                Sale.customer_id == customer_id,
                Sale.status.in_(RETURNABLE_STATUSES),
            )
            .options(
                joinedload(Sale.branch),
                joinedload(Sale.counter).joinedload(Counter.branch),
                joinedload(Sale.cashier).lazyload(User.role),
            )
            .order_by(Sale.placed_at.desc(), Sale.id.desc())
            .limit(CUSTOMER_SALES_LIMIT)
        )
    )


def returnable_sale(session: Session, merchant_id: int, sale_id: int) -> Sale | None:
    """One of the merchant's placed sales by id, with everything the return panel shows; None for anything else."""
    sale = get_sale(session, merchant_id, sale_id)
    return sale if sale is not None and sale.status in RETURNABLE_STATUSES else None
