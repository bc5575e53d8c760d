"""What is still returnable of a sale: each line's sold quantity less every earlier return of it.

A return reads these under the sale's row lock (`lock_sale`), so two tablets returning the last unit of a line at
once are served one after the other: the second finds nothing left and is refused.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from ismartsync.models import PLACED_STATUSES, ReturnLine, ReturnRefund, Sale, SaleLine, SaleReturn, SaleStatus


def lock_sale(session: Session, merchant_id: int, sale_id: int) -> Sale | None:
    """The merchant's placed sale with its lines and tenders, locked (SELECT … FOR UPDATE) for this transaction;
    None for a draft or another merchant's sale."""
    sale = session.scalar(
        select(Sale)
        .where(Sale.id == sale_id, Sale.merchant_id == merchant_id, Sale.status.in_(PLACED_STATUSES))
        .options(selectinload(Sale.lines).joinedload(SaleLine.variant), selectinload(Sale.payments))
        .with_for_update(of=Sale)
        .execution_options(populate_existing=True)
    )
    return sale


def _never_returned(sale: Sale) -> bool:
    """A sale still "placed" has no return yet: every return moves it on in its own transaction, under its lock."""
    return sale.status == SaleStatus.PLACED


def returned_quantities(session: Session, sale_id: int) -> dict[int, int]:
    """Units returned so far of each line of the sale, by sale line id (lines never returned are absent)."""
    rows = session.execute(
        select(ReturnLine.sale_line_id, func.sum(ReturnLine.quantity))
        .join(SaleReturn, SaleReturn.id == ReturnLine.sale_return_id)
        .where(SaleReturn.sale_id == sale_id, ReturnLine.sale_line_id.is_not(None))
        .group_by(ReturnLine.sale_line_id)
    ).all()
    return {line_id: int(quantity) for line_id, quantity in rows}


def returnable_quantities(session: Session, sale: Sale) -> dict[int, int]:
    """Units still returnable of each line of the sale, by sale line id (0 once every unit came back).

    Read under the sale's lock (`lock_sale`) when a return is about to be recorded; without it, for showing.
    """
    returned = {} if _never_returned(sale) else returned_quantities(session, sale.id)
    return {line.id: line.quantity - returned.get(line.id, 0) for line in sale.lines}


def refunded_by_payment(session: Session, sale: Sale) -> dict[int, int]:
    """What earlier returns gave back through each of the sale's payments, by sale payment id."""
    if _never_returned(sale):
        return {}
    sale_id = sale.id
    rows = session.execute(
        select(ReturnRefund.sale_payment_id, func.sum(ReturnRefund.amount_minor))
        .join(SaleReturn, SaleReturn.id == ReturnRefund.sale_return_id)
        .where(SaleReturn.sale_id == sale_id, ReturnRefund.sale_payment_id.is_not(None))
        .group_by(ReturnRefund.sale_payment_id)
    ).all()
    return {payment_id: int(amount) for payment_id, amount in rows}


def status_after_return(returnable: dict[int, int]) -> SaleStatus:
    """The sale's status once returns leave `returnable` units on its lines: refunded when none is left."""
    return SaleStatus.REFUNDED if not any(returnable.values()) else SaleStatus.PARTLY_REFUNDED
