"""An exchange in one ticket: what comes back and what goes out, in one transaction, as two fiscal documents.

The returned lines are recorded as a return (its credit note refers to the original sale) whose refund pays towards
the counter's cart first; the cart is then checked out as a sale of its own (its own USIN and document) with that
credit as an "Exchange credit" tender. When the new items cost more, the customer pays the difference with the
payments given; when they cost less, the difference goes back as the return's refunds (by default to the original
tenders, cash last). A repeat of the same key finds both documents and changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from ismartsync.errors import DomainError
from ismartsync.models import Counter, ReturnKind, Sale
from ismartsync.services.audit import Actor
from ismartsync.services.cart import reprice
from ismartsync.services.checkout import Checkout, Payment, checkout_sale, split_tenders
from ismartsync.services.returns.plan import ReturnRequest, plan_return
from ismartsync.services.returns.quantities import lock_sale
from ismartsync.services.returns.record import ReturnResult, find_return, record_return


@dataclass(frozen=True)
class ExchangeResult:
    """Both halves: the return (with its credit note) and the new sale (with its own document)."""

    returned: ReturnResult
    checkout: Checkout
    repeated: bool = False

    @property
    def difference_minor(self) -> int:
        """Above zero: what the customer paid on top; below zero: what they got back."""
        return self.checkout.sale.payable_minor - self.returned.sale_return.total_minor

    @property
    def fiscal_document_ids(self) -> list[int]:
        """The credit note's and the new sale's pending reports, for the counter to try right after the commit."""
        ids = [self.returned.fiscal_document_id, self.checkout.fiscal_document_id]
        return [i for i in ids if i is not None]


def exchange_credit(session: Session, actor: Actor, counter: Counter, request: ReturnRequest, cart: Sale) -> int:
    """How much of what comes back pays towards the cart: all of it, up to the cart's payable (the screen shows
    the difference from this before anything is sent)."""
    reprice(cart)
    plan = plan_return(session, actor, counter, request)
    return min(plan.total_minor, cart.payable_minor)


def exchange_items(
    session: Session,
    actor: Actor,
    counter: Counter,
    request: ReturnRequest,
    cart_uuid: str,
    payments: list[Payment],
    *,
    salesperson_id: int | None = None,
) -> ExchangeResult:
    """Return `request`'s items and sell the counter's cart `cart_uuid` against them, in the caller's transaction.

    `payments` pay what the cart costs beyond the returned goods (none when it costs less or the same);
    `request.refunds` (or the default) give back what the returned goods are worth beyond the cart.
    """
    cart = session.scalar(
        select(Sale).where(Sale.merchant_id == counter.merchant_id, Sale.uuid == cart_uuid).with_for_update()
    )
    # Read once the cart is locked: the same exchange sent twice at once waited here for the first one's commit.
    existing = find_return(session, actor.merchant_id, request.uuid)
    if existing is not None and existing.exchange_sale is not None:
        placed = Checkout(existing.exchange_sale, repeated=True)
        return ExchangeResult(ReturnResult(existing, repeated=True), placed, repeated=True)
    if cart is None or not cart.is_draft or cart.counter_id != counter.id:
        raise DomainError("The new items' cart is no longer open on this counter.", field="cart")
    if not cart.lines:
        raise DomainError("Add the items going out to the cart first.", field="cart")
    if request.sale_id is not None and lock_sale(session, counter.merchant_id, request.sale_id) is None:
        raise DomainError("That sale cannot be returned.", field="sale")
    credit = exchange_credit(session, actor, counter, request, cart)
    split_tenders(cart.payable_minor - credit, payments).check()  # before anything is written
    returned = record_return(session, actor, counter, request, kind=ReturnKind.EXCHANGE, exchange_credit_minor=credit)
    placed = checkout_sale(
        session,
        actor,
        counter,
        cart_uuid,
        payments,
        salesperson_id=salesperson_id,
        exchange_credit_minor=credit,
    )
    returned.sale_return.exchange_sale_id = placed.sale.id
    session.flush()
    return ExchangeResult(returned, placed)
