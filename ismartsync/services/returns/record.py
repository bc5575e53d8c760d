"""Recording a return: what comes back, what it refunds and how, in one transaction, once per idempotency key.

`plan_return` says what a return would do (each line's refund, the default refunds, whether a supervisor must
approve and the sentence they see) without writing anything: the return screen shows it. `record_return` plans the
same return again under the sale's row lock and writes it: the return's number and USIN from the counter's gapless
sequence, its lines, its refunds (cash out of the shift's drawer under the shift's lock, store credit to the
customer's ledger), the restocked units back through the stock ledger (and so the Shopify outbox), the sale's status,
the credit note at an FBR counter, and the audit entry. The caller commits, then reports the credit note
(`pipelines.fbr_report.report_after_checkout`) as it does a sale's document.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from ismartsync.errors import DomainError
from ismartsync.models import (
    PLACED_STATUSES,
    Branch,
    Counter,
    Customer,
    Merchant,
    MovementKind,
    ReturnKind,
    ReturnLine,
    ReturnReason,
    ReturnRefund,
    Sale,
    SaleLine,
    SaleReturn,
    Shift,
    Tender,
    Variant,
)
from ismartsync.models.base import utcnow
from ismartsync.money import format_money
from ismartsync.services.audit import Actor, record_audit
from ismartsync.services.cash.drawer import take_cash_refund
from ismartsync.services.cash.registers import selling_shift
from ismartsync.services.checkout import next_number, usin_for
from ismartsync.services.fiscal.documents import open_credit_note
from ismartsync.services.pricing import LineInput, price_cart
from ismartsync.services.returns.amounts import LineRefund, line_refund
from ismartsync.services.returns.policy import NO_RECEIPT_DAYS, approval_reasons, approval_wording, check_approval
from ismartsync.services.returns.quantities import (
    lock_sale,
    refunded_by_payment,
    returnable_quantities,
    status_after_return,
)
from ismartsync.services.returns.reasons import reasons_by_code
from ismartsync.services.returns.store_credit import add_store_credit
from ismartsync.services.returns.tenders import (
    RefundPart,
    RefundTender,
    allocate_refund,
    check_references,
    check_refunds,
    refundable_left,
)
from ismartsync.services.stock.ledger import Move, record_movements

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


@dataclass(frozen=True)
class ReturnResult:
    sale_return: SaleReturn
    repeated: bool = False  # this request found the return already recorded
    fiscal_document_id: int | None = None  # the credit note, reported right after the commit
    warnings: tuple[str, ...] = ()


def find_return(session: Session, merchant_id: int, uuid: str) -> SaleReturn | None:
    """The merchant's return recorded under this idempotency key, if any."""
    return session.scalar(select(SaleReturn).where(SaleReturn.merchant_id == merchant_id, SaleReturn.uuid == uuid))


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
        lines = _lines_without_receipt(session, merchant, request.unreceipted, now)
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
        wording=approval_wording(total, sale, items, reasons),
        returnable_after=returnable,
    )


def record_return(
    session: Session,
    actor: Actor,
    counter: Counter,
    request: ReturnRequest,
    *,
    kind: ReturnKind = ReturnKind.REFUND,
    exchange_credit_minor: int = 0,
) -> ReturnResult:
    """Record `request` at `counter` in the caller's transaction; a repeat of its `uuid` returns the one recorded.

    :raise DomainError: as `plan_return`; no open shift of the actor's at this counter; a cash refund the drawer
        cannot pay; `RefundNeedsApproval` when a supervisor must approve and `actor.approver` is None.
    """
    if counter.merchant_id != actor.merchant_id:
        raise ValueError("counter of another merchant")
    sale = None
    if request.sale_id is not None:
        sale = lock_sale(session, counter.merchant_id, request.sale_id)
        if sale is None:
            raise DomainError("That sale cannot be returned.", field="sale")
    # Read once the sale is locked: the same submit sent twice at once waited here for the first one's commit.
    existing = find_return(session, actor.merchant_id, request.uuid)
    if existing is not None:
        return ReturnResult(existing, repeated=True)
    shift = selling_shift(session, actor.user, counter)
    now = utcnow()
    merchant = session.get(Merchant, counter.merchant_id)
    branch = session.get(Branch, counter.branch_id)
    assert merchant is not None and branch is not None
    plan = plan_return(
        session, actor, counter, request, exchange_credit_minor=exchange_credit_minor, now=now, sale=sale
    )
    check_references(plan.refunds)  # before a supervisor is asked: the PIN would be typed for nothing
    check_approval(actor, plan.approval_reasons, plan.wording)
    sale_return = _write(session, actor, counter, branch, shift, request, plan, kind, now)
    if sale_return is None:  # the same key was recorded by a request that got in between
        found = find_return(session, actor.merchant_id, request.uuid)
        assert found is not None
        return ReturnResult(found, repeated=True)
    _pay_back(session, actor, shift, sale_return, plan)
    warnings = _restock(session, actor, branch, sale_return)
    if sale is not None:
        sale.status = status_after_return(plan.returnable_after)
        sale.updated_at = now
    document = open_credit_note(session, merchant, sale_return)
    if document is not None and document.last_error:
        warnings.append(document.last_error)
    session.flush()
    _audit(session, actor, sale_return, plan)
    return ReturnResult(
        sale_return, fiscal_document_id=document.id if document is not None else None, warnings=tuple(warnings)
    )


# --- planning -------------------------------------------------------------------------------------------------------


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


def _lines_without_receipt(
    session: Session, merchant: Merchant, items: tuple[UnreceiptedItem, ...], now: datetime
) -> list[PlannedLine]:
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


# --- writing --------------------------------------------------------------------------------------------------------


def _write(
    session: Session,
    actor: Actor,
    counter: Counter,
    branch: Branch,
    shift: Shift,
    request: ReturnRequest,
    plan: ReturnPlan,
    kind: ReturnKind,
    now: datetime,
) -> SaleReturn | None:
    """The return, its lines and refund rows; None when the same key was recorded meanwhile (a return without a
    receipt has no sale lock to queue two submits behind: the unique key does)."""
    number = next_number(session, counter)
    sale = plan.sale
    sale_return = SaleReturn(
        merchant_id=counter.merchant_id,
        uuid=request.uuid,
        kind=kind,
        branch_id=branch.id,
        counter_id=counter.id,
        sale=sale,
        customer_id=plan.customer.id if plan.customer is not None else None,
        cashier_id=actor.user.id,
        approved_by_id=actor.approver.id if actor.approver else None,
        shift_id=shift.id,
        number=number,
        usin=usin_for(branch, counter, number),
        ref_usin=sale.usin if sale is not None else None,
        no_receipt=sale is None,
        note=request.note.strip()[:300],
        quantity=plan.quantity,
        value_minor=plan.value_minor,
        tax_minor=plan.tax_minor,
        total_minor=plan.total_minor,
        created_at=now,
    )
    for n, line in enumerate(plan.lines, start=1):
        source = line.sale_line
        variant = line.variant
        sale_return.lines.append(
            ReturnLine(
                merchant_id=counter.merchant_id,
                sale_line=source,
                variant=variant,
                # The sale line's own position, so an item without SKU or barcode keeps its FBR ItemCode.
                position=source.position if source is not None else n,
                name=line.name,
                sku=source.sku if source is not None else (variant.sku if variant else ""),
                barcode=source.barcode if source is not None else (variant.scan_code if variant else ""),
                pct_code=source.pct_code if source is not None else (variant.pct_code if variant else ""),
                tax_rate_bp=source.tax_rate_bp if source is not None else _rate(branch.merchant, variant),
                third_schedule=source.third_schedule
                if source is not None
                else bool(variant and variant.third_schedule),
                quantity=line.quantity,
                unit_price_minor=line.unit_price_minor,
                reason_code=line.reason.code,
                reason_label=line.reason.label,
                restock=line.restock,
                sellable=line.sellable,
                gross_minor=line.refund.gross_minor,
                discount_excl_minor=line.refund.discount_excl_minor,
                value_minor=line.refund.value_minor,
                tax_minor=line.refund.tax_minor,
                total_minor=line.refund.total_minor,
            )
        )
    for part in plan.refunds:
        sale_return.refunds.append(
            ReturnRefund(
                merchant_id=counter.merchant_id,
                sale_payment_id=part.sale_payment_id,
                tender=part.tender,
                payment_method_id=part.method_id,
                label=part.label or Tender(part.tender).label,
                amount_minor=part.amount_minor,
                reference=part.reference,
                shift_id=shift.id if part.tender == Tender.CASH else None,
                created_at=now,
            )
        )
    if sale is not None:  # the sale's lock already queued any other submit of this key behind this one
        session.add(sale_return)
        session.flush()
        return sale_return
    try:
        with session.begin_nested():
            session.add(sale_return)
            session.flush()
    except IntegrityError:
        return None
    return sale_return


def _rate(merchant: Merchant, variant: Variant | None) -> int:
    if variant is None or variant.tax_rate_bp is None:
        return merchant.default_tax_rate_bp
    return variant.tax_rate_bp


def _pay_back(session: Session, actor: Actor, shift: Shift, sale_return: SaleReturn, plan: ReturnPlan) -> None:
    """Cash out of the drawer (under the shift's lock, refused once it is closed or short), store credit in."""
    cash = sum(p.amount_minor for p in plan.refunds if p.tender == Tender.CASH)
    if cash:
        take_cash_refund(session, shift, cash)
    credit = sum(p.amount_minor for p in plan.refunds if p.tender == Tender.STORE_CREDIT)
    if credit:
        assert sale_return.customer_id is not None
        add_store_credit(session, actor, sale_return.customer_id, credit, sale_return_id=sale_return.id)


def _restock(session: Session, actor: Actor, branch: Branch, sale_return: SaleReturn) -> list[str]:
    """Restocked units back into the branch's stock through the ledger (so the outbox tells Shopify); units that
    are not sellable (defective) are recorded on the return and stay out of stock."""
    moves = [
        Move(line.variant, line.quantity)
        for line in sale_return.lines
        if line.restock and line.sellable and line.variant is not None and line.variant.tracked
    ]
    if not moves:
        return []
    results = record_movements(
        session,
        branch=branch,
        moves=moves,
        kind=MovementKind.RETURN,
        reason=f"Return {sale_return.usin}",
        reference=f"gid://ismartsync/SaleReturn/{sale_return.id}",
        actor=actor.user,
    )
    return [r.warning for r in results if r.warning]


def _audit(session: Session, actor: Actor, sale_return: SaleReturn, plan: ReturnPlan) -> None:
    refunds = ", ".join(f"{Tender(r.tender).label.lower()} {format_money(r.amount_minor)}" for r in sale_return.refunds)
    what = f"sale {plan.sale.usin}" if plan.sale is not None else "no receipt"
    record_audit(
        session,
        actor,
        "return.record",
        f"{ReturnKind(sale_return.kind).label} {sale_return.usin} ({what}): {format_money(sale_return.total_minor)}"
        + (f" — {refunds}" if refunds else ""),
        target=sale_return,
        branch_id=sale_return.branch_id,
        after={
            "sale_id": sale_return.sale_id,
            "total_minor": sale_return.total_minor,
            "lines": [
                {"name": line.name, "quantity": line.quantity, "reason": line.reason_code, "restock": line.restock}
                for line in sale_return.lines
            ],
            "refunds": [
                {"tender": r.tender, "amount_minor": r.amount_minor, "reference": r.reference}
                for r in sale_return.refunds
            ],
            "approval": list(plan.approval_reasons),
        },
    )
