"""How a refund goes back: to the sale's own tenders by default, or as a person chose, never more per tender than it
paid less what earlier returns gave back through it.

`allocate_refund` is pure: the default a cashier expects (card, bank and wallet first, each up to what it paid, cash
last), each part carrying the reference the cashier typed for it; `check_references` says which still lacks one
before the return is recorded. `check_refunds` takes the tenders a person chose (a reference for card, bank and
wallet; store credit only to a named customer) and ties each to the sale's payments it goes back through.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from ismartsync.errors import DomainError
from ismartsync.models import PaymentMethod, SalePayment, Tender
from ismartsync.money import format_money

# The order a refund goes back through the sale's tenders: what went through a terminal or an account first (it is
# owed back there), store credit next, cash last (the drawer is kept for what nothing else can pay back).
REFUND_ORDER: dict[str, int] = {
    Tender.CARD: 0,
    Tender.BANK: 1,
    Tender.WALLET: 2,
    Tender.STORE_CREDIT: 3,
    Tender.EXCHANGE: 4,
    Tender.CASH: 5,
}
NEEDS_REFERENCE = (Tender.CARD, Tender.BANK, Tender.WALLET)
# An exchange's credit went towards goods, not money: what is refunded of it goes back in cash.
_REFUNDED_AS = {Tender.EXCHANGE: Tender.CASH}


@dataclass(frozen=True)
class RefundTender:
    """One way a person chose to give money back: its tender, amount, account (bank or wallet) and reference."""

    tender: Tender
    amount_minor: int
    method_id: int | None = None
    reference: str = ""


@dataclass(frozen=True)
class RefundPart:
    """A refund as it will be recorded: through which of the sale's payments (None: not one of them)."""

    tender: Tender
    amount_minor: int
    sale_payment_id: int | None = None
    method_id: int | None = None
    label: str = ""
    reference: str = ""


def refundable_left(payments: Sequence[SalePayment], refunded: dict[int, int]) -> list[tuple[SalePayment, int]]:
    """Each payment with what it may still give back, in refund order (card, bank, wallet, store credit, cash)."""
    ordered = sorted(payments, key=lambda p: (REFUND_ORDER.get(p.tender, 9), p.id))
    return [(p, p.amount_minor - refunded.get(p.id, 0)) for p in ordered if p.amount_minor - refunded.get(p.id, 0) > 0]


def allocate_refund(
    amount_minor: int, left: Sequence[tuple[SalePayment, int]], references: Mapping[int, str] | None = None
) -> list[RefundPart]:
    """`amount_minor` back through the payments in the order given, each up to what it has left; anything no payment
    can take (a sale paid partly by an exchange's credit) goes back in cash. A card, bank or wallet part carries the
    reference `references` gives for its sale payment (by id), if any."""
    references = references or {}
    parts, owed = [], amount_minor
    for payment, room in left:
        if owed <= 0:
            break
        take = min(owed, room)
        tender = Tender(_REFUNDED_AS.get(payment.tender, payment.tender))
        reference = references.get(payment.id, "").strip()[:80] if tender in NEEDS_REFERENCE else ""
        parts.append(
            RefundPart(
                tender,
                take,
                sale_payment_id=payment.id,
                method_id=payment.payment_method_id,
                label=payment.label,
                reference=reference,
            )
        )
        owed -= take
    if owed > 0:
        parts.append(RefundPart(Tender.CASH, owed, label=Tender.CASH.label))
    return _merged(parts)


def _merged(parts: list[RefundPart]) -> list[RefundPart]:
    """Parts of one tender through one payment as one (an exchange's credit folded into cash stays its own)."""
    merged: dict[tuple[Tender, int | None], RefundPart] = {}
    for part in parts:
        key = (part.tender, part.sale_payment_id)
        if key in merged:
            held = merged[key]
            merged[key] = RefundPart(
                held.tender,
                held.amount_minor + part.amount_minor,
                held.sale_payment_id,
                held.method_id,
                held.label,
                held.reference,
            )
        else:
            merged[key] = part
    return list(merged.values())


def reference_missing(tender: Tender) -> str:
    """What a cashier reads when a card, bank or wallet refund has no reference yet."""
    return f"Enter the reference of the {tender.label.lower()} refund."


def check_references(parts: Sequence[RefundPart]) -> None:
    """Every card, bank and wallet refund carries its reference (the terminal's or the bank's): the first without
    one is refused beside its own field, `reference-<sale payment id>`."""
    for part in parts:
        if part.tender in NEEDS_REFERENCE and not part.reference.strip():
            field = f"reference-{part.sale_payment_id}" if part.sale_payment_id else "reference"
            raise DomainError(reference_missing(part.tender), field=field)


def check_refunds(
    session: Session,
    merchant_id: int,
    chosen: Sequence[RefundTender],
    amount_minor: int,
    left: Sequence[tuple[SalePayment, int]],
    *,
    customer_named: bool,
    allowed: Sequence[Tender] | None = None,
) -> list[RefundPart]:
    """The refunds a person chose, checked: they add up to `amount_minor`; card, bank and wallet carry a reference
    and stay within what the sale paid that way (less earlier refunds); store credit needs a customer; `allowed`
    (a return without a receipt) limits the tenders. Each part is tied to the payments it goes back through."""
    if any(r.amount_minor <= 0 for r in chosen):
        raise DomainError("Each refund needs an amount above Rs 0.", field="refunds")
    if sum(r.amount_minor for r in chosen) != amount_minor:
        raise DomainError(f"The refunds must come to {format_money(amount_minor)}.", field="refunds")
    parts: list[RefundPart] = []
    room = {p.id: n for p, n in left}
    for refund in chosen:
        if allowed is not None and refund.tender not in allowed:
            kinds = " or ".join(t.label.lower() for t in allowed)
            raise DomainError(f"Without a receipt the return is refunded as {kinds} only.", field="refunds")
        if refund.tender == Tender.EXCHANGE:
            raise DomainError("An exchange's credit is not a refund tender.", field="refunds")
        if refund.tender == Tender.STORE_CREDIT and not customer_named:
            raise DomainError("Store credit goes to a customer: choose the customer first.", field="customer")
        reference = refund.reference.strip()[:80]
        if refund.tender in NEEDS_REFERENCE and not reference:
            raise DomainError(reference_missing(refund.tender), field="reference")
        if refund.tender in NEEDS_REFERENCE:
            parts += _through_payments(session, merchant_id, refund, reference, left, room)
        else:
            parts.append(RefundPart(refund.tender, refund.amount_minor, label=refund.tender.label))
    return parts


def _through_payments(
    session: Session,
    merchant_id: int,
    refund: RefundTender,
    reference: str,
    left: Sequence[tuple[SalePayment, int]],
    room: dict[int, int],
) -> list[RefundPart]:
    """A card, bank or wallet refund spread over the sale's payments of that tender (and account), each capped."""
    same = [p for p, _ in left if p.tender == refund.tender and (refund.method_id in (None, p.payment_method_id))]
    if sum(room[p.id] for p in same) < refund.amount_minor:
        paid = format_money(sum(room[p.id] for p in same))
        raise DomainError(
            f"At most {paid} can go back by {refund.tender.label.lower()}: that is what the sale was paid that way.",
            field="refunds",
        )
    if refund.method_id is not None:
        method = session.get(PaymentMethod, refund.method_id)
        if method is None or method.merchant_id != merchant_id or method.kind != refund.tender:
            raise DomainError(f"Choose which {refund.tender.label.lower()} account is refunded.", field="refunds")
    parts, owed = [], refund.amount_minor
    for payment in same:
        take = min(owed, room[payment.id])
        if take <= 0:
            continue
        room[payment.id] -= take
        owed -= take
        parts.append(
            RefundPart(refund.tender, take, payment.id, payment.payment_method_id, payment.label, reference=reference)
        )
    return parts
