"""An exchange in one ticket: what comes back and what goes out, in one transaction, as two fiscal documents.

The returned lines are recorded as a return (its credit note refers to the original sale) whose refund pays towards
the counter's cart first; the cart is then checked out as a sale of its own (its own USIN and document) with that
credit as an "Exchange credit" tender. When the new items cost more, the customer pays the difference with the
payments given; when they cost less, the difference goes back as the return's refunds (by default to the original
tenders, cash last). A repeat of the same key finds both documents and changes nothing.

While the new items are rung up, what comes back is held on the cart itself (`Sale.exchange_request`, plain JSON):
it is parked and recalled with the cart, any cashier of the branch can finish it, and it goes when the exchange is
placed, cancelled, or the cart thrown away.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ismartsync.errors import DomainError
from ismartsync.models import Counter, ReturnKind, Sale, SaleReturn, Tender
from ismartsync.services.audit import Actor
from ismartsync.services.cart import open_cart, reprice
from ismartsync.services.checkout import Checkout, Payment, checkout_sale, split_tenders
from ismartsync.services.returns.plan import ReturnItem, ReturnPlan, ReturnRequest, UnreceiptedItem, plan_return
from ismartsync.services.returns.policy import RefundNeedsApproval
from ismartsync.services.returns.quantities import lock_sale
from ismartsync.services.returns.record import ReturnResult, find_return, record_return
from ismartsync.services.returns.tenders import RefundTender


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
    plan = plan_exchange(session, actor, counter, request)
    return min(plan.total_minor, cart.payable_minor)


def plan_exchange(session: Session, actor: Actor, counter: Counter, request: ReturnRequest) -> ReturnPlan:
    """The return an exchange held on a cart would make, planned now (`plan_return`).

    :raise DomainError: what comes back can no longer be returned (another tablet returned those units meanwhile):
        said as the exchange's, with the way out. A needed approval is raised as it is.
    """
    try:
        return plan_return(session, actor, counter, request)
    except RefundNeedsApproval:
        raise
    except DomainError as exc:
        raise DomainError(
            f"This exchange can no longer be made. {exc.message} Cancel the exchange to sell the cart on its own.",
            field="exchange",
        ) from exc


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
    # Planned again under the sale's lock: units another tablet returned meanwhile are refused, nothing written.
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
    placed.sale.exchange_request = None
    session.flush()
    return ExchangeResult(returned, placed)


def placed_exchange(session: Session, sale: Sale) -> SaleReturn | None:
    """The exchange a placed sale was sold against, if any (a repeated checkout shows its return again)."""
    return session.scalar(
        select(SaleReturn).where(SaleReturn.merchant_id == sale.merchant_id, SaleReturn.exchange_sale_id == sale.id)
    )


# The exchange under way, held on its cart


@dataclass(frozen=True)
class HeldExchange:
    """What a cart holds: the return it is sold against, and (as it was when held) its credit and sale, to list."""

    request: ReturnRequest
    credit_minor: int
    sale_usin: str


def hold_exchange(session: Session, actor: Actor, counter: Counter, request: ReturnRequest) -> Sale:
    """Hold `request` on the counter's cart (started if there is none) while the new items are rung up; it replaces
    any exchange the cart held. Checked as the return would be, so what cannot come back is refused now.

    :raise DomainError: as `plan_return` (nothing chosen, more than is returnable, a sale that cannot come back).
    """
    plan = plan_return(session, actor, counter, request)
    cart = open_cart(session, actor, counter)
    sale_usin = (plan.sale.usin or str(plan.sale.number)) if plan.sale is not None else ""
    cart.exchange_request = request_to_json(request) | {"credit_minor": plan.total_minor, "sale_usin": sale_usin}
    session.flush()
    return cart


def pending_exchange(cart: Sale | None) -> ReturnRequest | None:
    """The return `cart` is to be sold against, if it holds one (a placed sale holds none)."""
    held = held_exchange(cart)
    return held.request if held is not None else None


def held_exchange(cart: Sale | None) -> HeldExchange | None:
    """The exchange `cart` holds, with what the parked list shows of it."""
    data = cart.exchange_request if cart is not None and cart.is_draft else None
    if not data:
        return None
    return HeldExchange(request_from_json(data), int(data.get("credit_minor", 0)), str(data.get("sale_usin", "")))


def drop_exchange(session: Session, cart: Sale) -> None:
    """Forget the exchange `cart` holds: nothing was recorded, and the cart stays as it is."""
    cart.exchange_request = None
    session.flush()


def request_to_json(request: ReturnRequest) -> dict[str, Any]:
    """`request` as plain JSON (lists and numbers) for the cart's column; `request_from_json` reads it back."""
    refunds = request.refunds
    return {
        "uuid": request.uuid,
        "sale_id": request.sale_id,
        "items": [[i.sale_line_id, i.quantity, i.reason_code, i.restock] for i in request.items],
        "unreceipted": [[i.variant_id, i.quantity, i.reason_code, i.restock] for i in request.unreceipted],
        "refunds": None
        if refunds is None
        else [[str(r.tender), r.amount_minor, r.method_id, r.reference] for r in refunds],
        "customer_id": request.customer_id,
        "note": request.note,
        "references": {str(k): v for k, v in request.references.items()},
    }


def request_from_json(data: dict[str, Any]) -> ReturnRequest:
    refunds = data.get("refunds")
    return ReturnRequest(
        uuid=str(data["uuid"]),
        sale_id=_id(data.get("sale_id")),
        items=tuple(ReturnItem(int(i), int(q), str(r), bool(s)) for i, q, r, s in data.get("items", ())),
        unreceipted=tuple(
            UnreceiptedItem(int(v), int(q), str(r), bool(s)) for v, q, r, s in data.get("unreceipted", ())
        ),
        refunds=None
        if refunds is None
        else tuple(RefundTender(Tender(t), int(a), _id(m), str(ref)) for t, a, m, ref in refunds),
        customer_id=_id(data.get("customer_id")),
        note=str(data.get("note", "")),
        references={int(k): str(v) for k, v in (data.get("references") or {}).items()},
    )


def _id(value: Any) -> int | None:
    return int(value) if value is not None else None
