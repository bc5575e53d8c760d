"""Planning a return: what comes back, what each line refunds and how the money goes, before anything is written.

`plan_return` says what a return would do (each line's refund, the default refunds, whether a supervisor must
approve and the sentence they see) without writing anything: the return screen shows it, and `record.record_return`
plans the same return again under the sale's row lock before writing it. A return without a receipt is priced at
`lowest_price` (the cheapest a unit sold for in the last 90 days) and goes back as store credit.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from ismartsync.errors import DomainError
from ismartsync.models import (
    PLACED_STATUSES,
    Counter,
    Customer,
    Merchant,
    ReturnReason,
    Sale,
    SaleLine,
    Tender,
    Variant,
)
from ismartsync.models.base import utcnow
from ismartsync.services.audit import Actor
from ismartsync.services.pricing import LineInput, price_cart
from ismartsync.services.returns.amounts import LineRefund, line_refund
from ismartsync.services.returns.policy import NO_RECEIPT_DAYS, approval_reasons, approval_wording
from ismartsync.services.returns.quantities import refunded_by_payment, returnable_quantities
from ismartsync.services.returns.reasons import reasons_by_code
from ismartsync.services.returns.tenders import (
    RefundPart,
    RefundTender,
    allocate_refund,
    check_refunds,
    refundable_left,
)

MAX_RETURN_LINES = 100


@dataclass(frozen=True)
class ReturnItem:
    """Units of one line of the sale coming back, why, and whether they go back on the shelf."""

    sale_line_id: int
    quantity: int
    reason_code: str
    restock: bool = True


@dataclass(frozen=True)
class UnreceiptedItem:
    """Units of a catalogue item coming back without a receipt (approved; store credit or exchange only)."""

    variant_id: int
    quantity: int
    reason_code: str
    restock: bool = True


@dataclass(frozen=True)
class ReturnRequest:
    """A return as the counter sends it. `uuid` is generated when the return screen opens and sent with every
    submit: the same key twice is one return. `refunds` None: back to the sale's tenders (`tenders.allocate_refund`),
    or as store credit without a receipt; else the tenders a person chose, adding up to the refund. `references`:
    the reference typed for each card, bank or wallet part of the default refund, by sale payment id (a return is
    recorded only once each such part has one)."""

    uuid: str
    sale_id: int | None = None
    items: tuple[ReturnItem, ...] = ()
    unreceipted: tuple[UnreceiptedItem, ...] = ()
    refunds: tuple[RefundTender, ...] | None = None
    customer_id: int | None = None
    note: str = ""
    references: Mapping[int, str] = field(default_factory=dict)


@dataclass(frozen=True)
class PlannedLine:
    """One line of a planned return: the item, units, reason, whether restocked, and its refund."""

    name: str
    quantity: int
    reason: ReturnReason
    restock: bool
    sellable: bool
    refund: LineRefund
    unit_price_minor: int
    sale_line: SaleLine | None = None
    variant: Variant | None = None


@dataclass(frozen=True)
class ReturnPlan:
    """What a return would do: its lines, the money owed back and how it goes, and what a supervisor must approve."""

    sale: Sale | None
    customer: Customer | None
    lines: tuple[PlannedLine, ...]
    refunds: tuple[RefundPart, ...]
    exchange_credit_minor: int
    approval_reasons: tuple[str, ...]
    wording: str
    returnable_after: dict[int, int] = field(default_factory=dict)

    @property
    def total_minor(self) -> int:
        return sum(line.refund.total_minor for line in self.lines)

    @property
    def value_minor(self) -> int:
        return sum(line.refund.value_minor for line in self.lines)

    @property
    def tax_minor(self) -> int:
        return sum(line.refund.tax_minor for line in self.lines)

    @property
    def quantity(self) -> int:
        return sum(line.quantity for line in self.lines)


def plan_return(
    session: Session,
    actor: Actor,
    counter: Counter,
    request: ReturnRequest,
    *,
    exchange_credit_minor: int = 0,
    now: datetime | None = None,
    sale: Sale | None = None,
) -> ReturnPlan:
    """What `request` would return and refund at `counter` (nothing is written). `exchange_credit_minor` of the
    refund goes towards an exchange's new sale instead of back to a tender.

    :raise DomainError: a line or quantity that cannot be returned, a reason the merchant does not have, refunds
        that do not add up or go where they may not, a sale another branch may not take back.
    """
    now = now or utcnow()
    merchant = session.get(Merchant, counter.merchant_id)
    assert merchant is not None
    if request.sale_id is not None and sale is None:
        sale = _sale_to_show(session, counter.merchant_id, request.sale_id)
    if (sale is None) == (not request.unreceipted) or (sale is not None and not request.items):
        raise DomainError("Choose what comes back.", field="items")
    if len(request.items) + len(request.unreceipted) > MAX_RETURN_LINES:
        raise DomainError(f"A return takes at most {MAX_RETURN_LINES} lines.", field="items")
    customer = _customer(session, counter.merchant_id, request.customer_id, sale)
    if sale is not None:
        returnable = returnable_quantities(session, sale)
        lines = _lines_of_sale(session, sale, request.items, returnable)
    else:
        returnable = {}
        lines = lines_without_receipt(session, merchant, request.unreceipted, now)
    total = sum(line.refund.total_minor for line in lines)
    if not 0 <= exchange_credit_minor <= total:
        raise ValueError("exchange credit beyond what comes back")
    refunds = _refunds(session, merchant, sale, customer, request, total - exchange_credit_minor, exchange_credit_minor)
    reasons = approval_reasons(merchant, counter, sale, total, now)
    items = [(line.name, line.quantity, line.reason.label) for line in lines]
    return ReturnPlan(
        sale=sale,
        customer=customer,
        lines=tuple(lines),
        refunds=tuple(refunds),
        exchange_credit_minor=exchange_credit_minor,
        approval_reasons=tuple(reasons),
        wording=approval_wording(total, sale, items, reasons, credit_to=_credit_to(customer, refunds)),
        returnable_after=returnable,
    )


def _credit_to(customer: Customer | None, refunds: list[RefundPart]) -> str:
    """Whose store credit the refund becomes, for the approval's sentence ("" when none of it is store credit)."""
    credit = customer is not None and any(p.tender == Tender.STORE_CREDIT for p in refunds)
    return customer.full_name if credit and customer is not None else ""


def _sale_to_show(session: Session, merchant_id: int, sale_id: int) -> Sale:
    sale = session.scalar(
        select(Sale)
        .where(Sale.id == sale_id, Sale.merchant_id == merchant_id, Sale.status.in_(PLACED_STATUSES))
        .options(selectinload(Sale.lines), selectinload(Sale.payments))
    )
    if sale is None:
        raise DomainError("That sale cannot be returned.", field="sale")
    return sale


def _customer(session: Session, merchant_id: int, customer_id: int | None, sale: Sale | None) -> Customer | None:
    if customer_id is None:
        return sale.customer if sale is not None else None
    customer = session.get(Customer, customer_id)
    if customer is None or customer.merchant_id != merchant_id:
        raise DomainError("Choose the customer again.", field="customer")
    return customer


def _lines_of_sale(
    session: Session, sale: Sale, items: tuple[ReturnItem, ...], returnable: dict[int, int]
) -> list[PlannedLine]:
    by_id = {line.id: line for line in sale.lines}
    reasons = reasons_by_code(session, sale.merchant_id, {item.reason_code for item in items})
    wanted: dict[int, int] = {}
    planned = []
    for item in items:
        line = by_id.get(item.sale_line_id)
        if line is None:
            raise DomainError("That line is not on the sale.", field="items")
        before = line.quantity - returnable[line.id] + wanted.get(line.id, 0)
        left = line.quantity - before
        if item.quantity < 1 or item.quantity > left:
            say = f"only {left} of {line.name} can still be returned" if left else f"{line.name} was returned already"
            raise DomainError(say[0].upper() + say[1:] + ".", field="items")
        reason = reasons[item.reason_code]
        planned.append(
            PlannedLine(
                name=line.name,
                quantity=item.quantity,
                reason=reason,
                restock=item.restock and reason.sellable,
                sellable=reason.sellable,
                refund=line_refund(line, before, item.quantity),
                unit_price_minor=line.unit_price_minor,
                sale_line=line,
                variant=line.variant,
            )
        )
        wanted[line.id] = wanted.get(line.id, 0) + item.quantity
    for line_id, quantity in wanted.items():
        returnable[line_id] -= quantity
    return planned


def lowest_price(session: Session, variant: Variant, now: datetime) -> int:
    """What one unit of `variant` was paid at its cheapest in the last 90 days (discounts and tax in), never above
    its price now: a return without a receipt is refunded at this."""
    since = now - timedelta(days=NO_RECEIPT_DAYS)
    paid = session.scalar(
        select(func.min(SaleLine.total_minor / SaleLine.quantity))
        .join(Sale, Sale.id == SaleLine.sale_id)
        .where(
            SaleLine.variant_id == variant.id,
            SaleLine.quantity > 0,
            Sale.merchant_id == variant.merchant_id,
            Sale.status.in_(PLACED_STATUSES),
            Sale.placed_at >= since,
        )
    )
    return min(int(paid), variant.price_minor) if paid is not None else variant.price_minor


def lines_without_receipt(
    session: Session, merchant: Merchant, items: tuple[UnreceiptedItem, ...], now: datetime | None = None
) -> list[PlannedLine]:
    """Items coming back without a receipt, each at `lowest_price`: what the screen shows before the customer is
    chosen (`plan_return` prices them the same way).

    :raise DomainError: an item not in the merchant's catalogue, a quantity out of 1–1000, an unknown reason.
    """
    now = now or utcnow()
    planned = []
    reasons = reasons_by_code(session, merchant.id, {item.reason_code for item in items})
    for item in items:
        variant = session.get(Variant, item.variant_id)
        if variant is None or variant.merchant_id != merchant.id:
            raise DomainError("Choose the item from the catalogue.", field="items")
        if not 1 <= item.quantity <= 1000:
            raise DomainError("Enter how many came back.", field="items")
        reason = reasons[item.reason_code]
        price = lowest_price(session, variant, now)
        rate = merchant.default_tax_rate_bp if variant.tax_rate_bp is None else variant.tax_rate_bp
        priced = price_cart(
            [LineInput(price, item.quantity, rate, variant.third_schedule)], prices_include_tax=True
        ).lines[0]
        refund = LineRefund(
            item.quantity,
            priced.gross_minor,
            priced.discount_excl_minor,
            priced.value_minor,
            priced.tax_minor,
            priced.total_minor,
        )
        planned.append(
            PlannedLine(
                name=variant.display_name[:300],
                quantity=item.quantity,
                reason=reason,
                restock=item.restock and reason.sellable,
                sellable=reason.sellable,
                refund=refund,
                unit_price_minor=price,
                variant=variant,
            )
        )
    return planned


def _refunds(
    session: Session,
    merchant: Merchant,
    sale: Sale | None,
    customer: Customer | None,
    request: ReturnRequest,
    amount_minor: int,
    exchange_credit_minor: int,
) -> list[RefundPart]:
    """The refunds of the money owed back (what an exchange's new sale does not take)."""
    parts = [RefundPart(Tender.EXCHANGE, exchange_credit_minor, label=Tender.EXCHANGE.label)]
    parts = parts if exchange_credit_minor else []
    left = refundable_left(sale.payments, refunded_by_payment(session, sale)) if sale is not None else []
    if amount_minor == 0:
        if request.refunds:
            raise DomainError("Nothing is left to refund: the new items take it all.", field="refunds")
        return parts
    if request.refunds is not None:
        allowed = None if sale is not None else (Tender.STORE_CREDIT,)
        return parts + check_refunds(
            session,
            merchant.id,
            request.refunds,
            amount_minor,
            left,
            customer_named=customer is not None,
            allowed=allowed,
        )
    if sale is None:
        if customer is None:
            raise DomainError("Without a receipt the refund is store credit: choose the customer.", field="customer")
        return [*parts, RefundPart(Tender.STORE_CREDIT, amount_minor, label=Tender.STORE_CREDIT.label)]
    return parts + allocate_refund(amount_minor, left, request.references)
