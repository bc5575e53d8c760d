"""Checkout: a cart becomes a placed sale in one transaction, once, however often the tablet sends it.

In one transaction: the next gapless number of the counter (under the counter row's lock), the lines as priced, the
payments, the stock movements through the ledger (which write the Shopify outbox), the shift's cash, and at a counter
that reports to FBR a pending fiscal document with its exact request. The cart's UUID travels with every checkout
request, so a double tap or a retry after a dropped connection finds the sale already placed and answers with it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session, selectinload

from ismartsync.errors import DomainError
from ismartsync.models import (
    Branch,
    Counter,
    Customer,
    Merchant,
    MovementKind,
    PaymentMethod,
    Sale,
    SaleLine,
    SalePayment,
    SaleStatus,
    Tender,
    User,
    Variant,
)
from ismartsync.models.base import utcnow
from ismartsync.money import format_money
from ismartsync.services.audit import Actor
from ismartsync.services.cart import reprice
from ismartsync.services.cash.drawer import add_cash_sale
from ismartsync.services.cash.registers import selling_shift
from ismartsync.services.fiscal.documents import open_fiscal_document
from ismartsync.services.online_orders.reserved import check_sold
from ismartsync.services.returns.store_credit import spend_store_credit
from ismartsync.services.stock.ledger import Move, record_movements


@dataclass(frozen=True)
class Payment:
    """One tender as the cashier entered it; for cash, `amount_minor` is what the customer handed over."""

    tender: Tender
    amount_minor: int
    method_id: int | None = None
    reference: str = ""


@dataclass(frozen=True)
class TenderSplit:
    """How tenders pay what is due: card, bank and wallet at face value, cash the rest; change comes only from cash.

    The pay dialog shows it as the cashier types (still to pay, change to give) and checkout applies it, so the
    screen and the sale always agree.
    """

    due_minor: int
    other_minor: int  # card, bank and wallet together
    cash_given_minor: int  # what the customer handed over in cash

    @property
    def cash_due_minor(self) -> int:
        """What cash has to pay after the other tenders (below zero: they alone are more than is due)."""
        return self.due_minor - self.other_minor

    @property
    def left_minor(self) -> int:
        """Still to pay (above zero), or the change to give (below zero)."""
        return self.cash_due_minor - self.cash_given_minor

    @property
    def other_over(self) -> bool:
        """Card, bank and wallet are more than is due: there is no change from them."""
        return self.cash_due_minor < 0

    @property
    def settles(self) -> bool:
        return not self.other_over and self.left_minor <= 0

    @property
    def cash_paid_minor(self) -> int:
        """The cash that pays for the sale, once it settles (what was handed over, less the change)."""
        return self.cash_due_minor

    @property
    def change_minor(self) -> int:
        """The change to give, out of the cash handed over (none while something is still to pay)."""
        return max(0, -self.left_minor)

    def check(self) -> None:
        """Refuse tenders that do not settle the sale, saying why in the cashier's words."""
        if self.other_over:
            raise DomainError(
                f"Card, bank and wallet come to {format_money(self.other_minor)}, more than the "
                f"{format_money(self.due_minor)} due. Change is given only in cash.",
                field="payments",
            )
        if self.left_minor > 0:
            raise DomainError(f"{format_money(self.left_minor)} still to pay.", field="payments")


def split_tenders(due_minor: int, payments: Sequence[Payment]) -> TenderSplit:
    """The split of `payments` (amounts of zero or more) over `due_minor`; `check()` says if it settles."""
    return TenderSplit(
        due_minor,
        other_minor=sum(p.amount_minor for p in payments if p.tender != Tender.CASH),
        cash_given_minor=sum(p.amount_minor for p in payments if p.tender == Tender.CASH),
    )


@dataclass(frozen=True)
class Checkout:
    sale: Sale
    # Stock warnings under the "warn" policy (sold below zero), for the receipt screen.
    warnings: tuple[str, ...] = ()
    repeated: bool = False  # this request found the sale already placed
    # The sale's pending FBR report, when its counter reports to FBR: attempted right after the commit.
    fiscal_document_id: int | None = None


def usin_for(branch: Branch, counter: Counter, number: int) -> str:
    """FBR's unique sale identifier: branch code, counter and its gapless number (ISS-style, ≤ 40 chars)."""
    return f"{branch.code}-C{counter.id}-{number:06d}"


def checkout_sale(
    session: Session,
    actor: Actor,
    counter: Counter,
    sale_uuid: str,
    payments: list[Payment],
    *,
    salesperson_id: int | None = None,
    exchange_credit_minor: int = 0,
) -> Checkout:
    """Place the cart `sale_uuid` at `counter`, paid by `payments`; a repeat returns the placed sale.

    `exchange_credit_minor` is what an exchange's returned goods pay towards it (`services.returns.exchange` only:
    the till never sends an exchange credit itself). Store credit is spent from the sale's customer's balance.
    """
    if any(p.tender == Tender.EXCHANGE for p in payments):
        raise DomainError("An exchange's credit comes with the exchange only.", field="payments")
    if exchange_credit_minor:
        payments = [Payment(Tender.EXCHANGE, exchange_credit_minor), *payments]
    sale = session.scalar(
        select(Sale)
        .where(Sale.merchant_id == counter.merchant_id, Sale.uuid == sale_uuid)
        .options(selectinload(Sale.lines).joinedload(SaleLine.variant), selectinload(Sale.payments))
        .with_for_update(of=Sale)
    )
    if sale is None:
        raise DomainError("That cart is no longer open. Start a new sale.")
    if not sale.is_draft:
        return Checkout(sale, repeated=True)
    if sale.counter_id != counter.id or sale.parked_at is not None:
        raise DomainError("That cart is not on this counter's screen any more.")
    if not sale.lines:
        raise DomainError("The cart is empty.")
    shift = selling_shift(session, actor.user, counter)
    merchant = session.get(Merchant, counter.merchant_id)
    assert merchant is not None
    reprice(sale)
    _check_buyer(merchant, sale)
    _settle(session, sale, payments)
    _spend_store_credit(session, actor, sale)
    if salesperson_id is not None:
        _check_salesperson(session, sale, salesperson_id)
    sale.salesperson_id = salesperson_id

    number = next_number(session, counter)
    branch = session.get(Branch, counter.branch_id)
    assert branch is not None
    sale.number = number
    sale.usin = usin_for(branch, counter, number)
    sale.status = SaleStatus.PLACED
    sale.placed_at = utcnow()
    sale.register_id = shift.register_id
    sale.shift_id = shift.id
    sale.cashier_id = actor.user.id
    warnings = _move_stock(session, actor, sale, branch)
    # Always, cash or not: it also refuses the sale if the shift was closed since `selling_shift` looked.
    add_cash_sale(session, shift, sum(p.amount_minor for p in sale.payments if p.tender == Tender.CASH))
    document = open_fiscal_document(session, merchant, counter, sale)
    if document is not None and document.last_error:
        warnings.append(document.last_error)  # not reportable as it stands (an item without a PCT code)
    session.flush()
    return Checkout(sale, warnings=tuple(warnings), fiscal_document_id=document.id if document else None)


def next_number(session: Session, counter: Counter) -> int:
    """The counter's next document number (sales and returns share it), under its row lock: no gaps, no repeats."""
    return session.execute(
        update(Counter)
        .where(Counter.id == counter.id)
        .values(last_sale_number=Counter.last_sale_number + 1)
        .returning(Counter.last_sale_number)
        .execution_options(synchronize_session=False)
    ).scalar_one()


def _check_buyer(merchant: Merchant, sale: Sale) -> None:
    customer: Customer | None = sale.customer
    if customer is not None:
        sale.buyer_name = customer.full_name if (customer.first_name or customer.last_name) else ""
        sale.buyer_phone = customer.phone
        sale.buyer_cnic = customer.cnic
        sale.buyer_ntn = customer.ntn
    if sale.payable_minor > merchant.buyer_name_threshold_minor and not sale.buyer_name:
        limit = format_money(merchant.buyer_name_threshold_minor)
        raise DomainError(f"Above {limit} the buyer's name is required. Add the customer first.", field="customer")


def _settle(session: Session, sale: Sale, payments: list[Payment]) -> None:
    """Apply the tenders: card, bank and wallet first at face value, cash pays the rest and gets the change."""
    if any(p.amount_minor < 0 for p in payments):
        raise DomainError("An amount cannot be negative.", field="payments")
    split = split_tenders(sale.payable_minor, payments)
    split.check()
    other = [p for p in payments if p.tender != Tender.CASH and p.amount_minor > 0]
    for p in other:
        label = p.tender.label
        if p.tender in (Tender.BANK, Tender.WALLET):
            method = session.get(PaymentMethod, p.method_id) if p.method_id else None
            if method is None or method.merchant_id != sale.merchant_id or method.kind != p.tender or not method.active:
                raise DomainError(f"Choose which {p.tender.label.lower()} account was paid.", field="payments")
            label = method.label
        sale.payments.append(
            SalePayment(
                merchant_id=sale.merchant_id,
                tender=p.tender,
                payment_method_id=p.method_id if p.tender in (Tender.BANK, Tender.WALLET) else None,
                label=label,
                amount_minor=p.amount_minor,
                tendered_minor=p.amount_minor,
                reference=p.reference.strip()[:80],
            )
        )
    if split.cash_given_minor:
        sale.payments.append(
            SalePayment(
                merchant_id=sale.merchant_id,
                tender=Tender.CASH,
                label=Tender.CASH.label,
                amount_minor=split.cash_paid_minor,
                tendered_minor=split.cash_given_minor,
                change_minor=split.change_minor,
            )
        )
    sale.paid_minor = split.due_minor
    sale.change_minor = split.change_minor


def _spend_store_credit(session: Session, actor: Actor, sale: Sale) -> None:
    """Store credit tendered comes off the customer's balance under its row lock (refused when there is too little)."""
    credit = sum(p.amount_minor for p in sale.payments if p.tender == Tender.STORE_CREDIT)
    if not credit:
        return
    if sale.customer_id is None:
        raise DomainError("Store credit is the customer's: choose the customer first.", field="customer")
    spend_store_credit(session, actor, sale.customer_id, credit, sale_id=sale.id)


def _check_salesperson(session: Session, sale: Sale, user_id: int) -> None:
    person = session.get(User, user_id)
    if person is None or person.merchant_id != sale.merchant_id or not person.active:
        raise DomainError("Choose a salesperson from the list.", field="salesperson")


def _move_stock(session: Session, actor: Actor, sale: Sale, branch: Branch) -> list[str]:
    """The sale's lines out of branch stock, one movement each (untracked items have no stock to move)."""
    moves = [Move(line.variant, -line.quantity) for line in sale.lines if line.variant and line.variant.tracked]
    if not moves:
        return []
    results = record_movements(
        session,
        branch=branch,
        moves=moves,
        kind=MovementKind.SALE,
        reason=f"Sale {sale.usin}",
        reference=f"gid://ismartsync/Sale/{sale.id}",
        actor=actor.user,
    )
    warnings = [r.warning for r in results if r.warning]
    # Units promised to online orders at the branch, checked with the levels locked: warn, or refuse under "block".
    sold: dict[Variant, tuple[int, int]] = {}  # quantity sold, on hand before the sale (two lines may share one)
    for move, result in zip(moves, results, strict=True):
        quantity, before = sold.get(move.variant, (0, result.movement.quantity_after - move.delta))
        sold[move.variant] = (quantity - move.delta, before)
    return check_sold(session, sale.merchant, branch.id, sold) + warnings
