"""Reading returns back: a sale's returns (its page lists them), one return with what its credit note prints."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload, selectinload

from ismartsync.models import FiscalDocument, Sale, SaleReturn


def returns_of_sale(session: Session, sale: Sale) -> list[SaleReturn]:
    """The sale's returns, oldest first, with their lines, refunds and who recorded them."""
    return list(
        session.scalars(
            select(SaleReturn)
            .where(SaleReturn.sale_id == sale.id, SaleReturn.merchant_id == sale.merchant_id)
            .options(
                selectinload(SaleReturn.lines),
                selectinload(SaleReturn.refunds),
                joinedload(SaleReturn.cashier),
                joinedload(SaleReturn.approved_by),
            )
            .order_by(SaleReturn.id)
        )
    )


def get_return(session: Session, merchant_id: int, return_id: int) -> SaleReturn | None:
    """One of the merchant's returns with everything its return receipt and credit note print (None if not theirs)."""
    return session.scalar(
        select(SaleReturn)
        .where(SaleReturn.id == return_id, SaleReturn.merchant_id == merchant_id)
        .options(
            selectinload(SaleReturn.lines),
            selectinload(SaleReturn.refunds),
            joinedload(SaleReturn.sale),
            joinedload(SaleReturn.exchange_sale),
            joinedload(SaleReturn.counter),
            joinedload(SaleReturn.branch),
            joinedload(SaleReturn.cashier),
            joinedload(SaleReturn.customer),
        )
    )


def credit_notes_of(session: Session, sale_returns: list[SaleReturn]) -> dict[int, FiscalDocument]:
    """The FBR credit note of each of these returns that has one, by return id (one query for a sale's page)."""
    ids = [r.id for r in sale_returns]
    if not ids:
        return {}
    documents = session.scalars(select(FiscalDocument).where(FiscalDocument.sale_return_id.in_(ids)))
    return {d.sale_return_id: d for d in documents if d.sale_return_id is not None}
