"""Recording a return: what comes back, what it refunds and how, in one transaction, once per idempotency key.

`record_return` plans the return again (`plan.plan_return`) under the sale's row lock and writes it: the return's
number and USIN from the counter's gapless sequence, its lines, its refunds (cash out of the shift's drawer under the
shift's lock, store credit to the customer's ledger), the restocked units back through the stock ledger (and so the
Shopify outbox), the sale's status, the credit note at an FBR counter, and the audit entry. The caller commits, then
reports the credit note (`pipelines.fbr_report.report_after_checkout`) as it does a sale's document.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ismartsync.errors import DomainError
from ismartsync.models import (
    Branch,
    Counter,
    Merchant,
    MovementKind,
    ReturnKind,
    ReturnLine,
    ReturnRefund,
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
from ismartsync.services.returns.plan import ReturnPlan, ReturnRequest, plan_return
from ismartsync.services.returns.policy import check_approval
from ismartsync.services.returns.quantities import lock_sale, status_after_return
from ismartsync.services.returns.store_credit import add_store_credit
from ismartsync.services.returns.tenders import check_references
from ismartsync.services.stock.ledger import Move, record_movements


@dataclass(frozen=True)
class ReturnResult:
    sale_return: SaleReturn
    repeated: bool = False  # this request found the return already recorded
    fiscal_document_id: int | None = None  # the credit note, reported right after the commit
    warnings: tuple[str, ...] = ()


def find_return(session: Session, merchant_id: int, uuid: str) -> SaleReturn | None:
    """The merchant's return recorded under this idempotency key, if any."""
    return session.scalar(select(SaleReturn).where(SaleReturn.merchant_id == merchant_id, SaleReturn.uuid == uuid))


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
