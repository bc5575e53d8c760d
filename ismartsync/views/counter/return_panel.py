"""What the return panel under a sale shows (counter/_return_actions.html): per line what is still returnable, the
quantity, reason and restock chosen, and the refund `plan_return` makes of them (each line's refund, the total, how
it goes back to the tenders, and a reference field for each card, bank or wallet part), read again from the form on
every change so nothing is written before "Refund"."""

from __future__ import annotations

import uuid as uuids
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from werkzeug.datastructures import MultiDict

from ismartsync.access import current_actor, tenant_get_or_404
from ismartsync.errors import DomainError
from ismartsync.extensions import db
from ismartsync.inputs import NumberError, parse_id, parse_whole
from ismartsync.models import Counter, Customer, ReturnReason, Sale, SaleLine, Tender
from ismartsync.services import customers
from ismartsync.services.returns.plan import ReturnItem, ReturnPlan, ReturnRequest, plan_return
from ismartsync.services.returns.policy import needs_supervisor
from ismartsync.services.returns.quantities import returnable_quantities
from ismartsync.services.returns.reasons import return_reasons
from ismartsync.services.returns.tenders import NEEDS_REFERENCE, RefundPart, RefundTender


@dataclass
class LineChoice:
    """One sale line on the panel: sold, returned so far, still returnable, and what the cashier chose."""

    line: SaleLine
    returnable: int
    quantity: int
    quantity_text: str
    reason: ReturnReason | None
    restock: bool

    @property
    def returned(self) -> int:
        return self.line.quantity - self.returnable

    @property
    def locked(self) -> bool:
        """The reason chosen says the item cannot be sold again: recorded, never restocked."""
        return self.reason is not None and not self.reason.sellable


def panel_context(
    counter: Counter, sale: Sale, form: MultiDict | None, errors: dict[str, str] | None = None
) -> dict[str, Any]:
    """The panel's figures for `sale`: fresh (`form` None) or as the cashier's form now reads; `errors` found before
    (a customer that could not be added) shown beside their fields. A sale without a customer offers the customer
    picker, so store credit can go to someone."""
    form = form if form is not None else MultiDict()
    reasons = return_reasons(db.session, counter.merchant_id)
    by_code = {r.code: r for r in reasons}
    left = returnable_quantities(db.session, sale)
    errors = dict(errors or {})
    picked = sale.customer if sale.customer is not None else chosen_customer(form)
    choices = [_choice(line, left.get(line.id, 0), form, by_code, errors) for line in sale.lines]
    refund = "store_credit" if form.get("refund") == "store_credit" else "original"
    context: dict[str, Any] = {
        "choices": choices,
        "reasons": reasons,
        "return_uuid": form.get("return_uuid") or str(uuids.uuid4()),
        "refund": refund,
        "plan": None,
        "parts": [],
        "references": [],
        "needs_approval": False,
        "panel_errors": errors,
        "missing_reason": False,
        "customer_id": picked.id if picked is not None else None,
    }
    if sale.customer is None:
        context.update(customer_picker(form, picked, counter.merchant_id))
    chosen = [c for c in choices if c.quantity]
    if any(key.startswith("quantity-") for key in errors) or not chosen:
        return context
    if any(c.reason is None for c in chosen):
        context["missing_reason"] = True
        return context
    items = tuple(ReturnItem(c.line.id, c.quantity, c.reason.code, c.restock) for c in chosen if c.reason)
    customer_id = context["customer_id"]
    request = ReturnRequest(uuid=context["return_uuid"], sale_id=sale.id, items=items, customer_id=customer_id)
    try:
        plan = _plan(counter, request, refund)
    except DomainError as exc:
        errors[exc.field or "refund"] = exc.message
        return context
    context.update(plan=plan, parts=refund_parts(plan, sale), references=reference_fields(plan, sale, form))
    context["needs_approval"] = needs_supervisor(current_actor(), plan.approval_reasons)
    return context


def _plan(counter: Counter, request: ReturnRequest, refund: str) -> ReturnPlan:
    """The refund to the sale's tenders, or (store credit) all of it to the sale's customer."""
    plan = plan_return(db.session, current_actor(), counter, request)
    if refund != "store_credit":
        return plan
    credit = ReturnRequest(
        request.uuid,
        request.sale_id,
        request.items,
        refunds=(RefundTender(Tender.STORE_CREDIT, plan.total_minor),),
        customer_id=request.customer_id,
    )
    return plan_return(db.session, current_actor(), counter, credit)


def _choice(
    line: SaleLine, returnable: int, form: MultiDict, reasons: dict[str, ReturnReason], errors: dict[str, str]
) -> LineChoice:
    key = f"quantity-{line.id}"
    text = form.get(key, "0").strip() or "0"
    try:
        quantity = parse_whole(text, 0, 10_000)
    except NumberError as exc:
        errors[key], quantity = str(exc), 0
    step = form.get("step", "")
    if step.startswith(f"{line.id}:") and key not in errors:
        quantity += 1 if step.endswith(":1") else -1
    if quantity > returnable and key not in errors:
        errors[key] = f"Only {returnable} can still be returned." if returnable else "Every unit came back already."
    quantity = max(0, min(quantity, returnable))
    text = text if key in errors else str(quantity)
    reason = reasons.get(form.get(f"reason-{line.id}", ""))
    # A checkbox says nothing when unticked: "restock-seen" says it was on the screen (and so unticked on purpose).
    restock = f"restock-{line.id}" in form if f"restock-seen-{line.id}" in form else True
    return LineChoice(line, returnable, quantity, text, reason, restock and (reason is None or reason.sellable))


def chosen_customer(form: MultiDict, fallback: Customer | None = None) -> Customer | None:
    """The customer the form names (`customer_id`, another merchant's is a 404), else `fallback`; none after
    "Change" (`drop_customer`)."""
    if "drop_customer" in form:
        return None
    raw = form.get("customer_id", "").strip()
    return tenant_get_or_404(Customer, raw) if raw else fallback


def customer_picker(form: MultiDict, picked: Customer | None, merchant_id: int) -> dict[str, Any]:
    """What the customer picker shows: the one chosen, or the search typed and who it finds."""
    query = "" if picked is not None else form.get("customer_q", "")[:64]
    found = customers.find_customers(db.session, merchant_id, query) if picked is None else []
    return {
        "picked": picked,
        "customer_q": query,
        "customer_matches": found,
        "new_name": form.get("new_name", "")[:200],
        "new_phone": form.get("new_phone", "")[:20],
    }


def refund_parts(plan: ReturnPlan, sale: Sale | None) -> list[tuple[str, int]]:
    """How the refund goes back, as the cashier reads it: "Card ····4411" Rs 2,000, "Cash" Rs 1,490 (cash last)."""
    return [(_part_label(plan, sale, part), part.amount_minor) for part in plan.refunds]


def _part_label(plan: ReturnPlan, sale: Sale | None, part: RefundPart) -> str:
    payments = sale.payments if sale is not None else []
    payment = next((p for p in payments if p.id == part.sale_payment_id), None) if part.sale_payment_id else None
    label = part.label or Tender(part.tender).label
    if part.tender == Tender.STORE_CREDIT and plan.customer is not None:
        return f"Store credit to {plan.customer.full_name}"
    if payment is not None and payment.reference and part.tender in NEEDS_REFERENCE:
        return f"{label} ····{payment.reference[-4:]}"
    return label


@dataclass(frozen=True)
class ReferenceField:
    """The reference of one card, bank or wallet part of the refund, typed from the terminal's or bank's slip."""

    name: str  # reference-<sale payment id>
    label: str  # "Card ····4411 refund reference"
    value: str


def reference_fields(plan: ReturnPlan, sale: Sale | None, form: Mapping[str, str]) -> list[ReferenceField]:
    """A field for each part of the refund that goes back by card, bank or wallet (the refund is recorded only once
    each has its reference), with what the cashier typed so far."""
    fields = []
    for part in plan.refunds:
        if part.tender in NEEDS_REFERENCE and part.sale_payment_id:
            name = f"reference-{part.sale_payment_id}"
            label = f"{_part_label(plan, sale, part)} refund reference"
            fields.append(ReferenceField(name, label, form.get(name, "").strip()[:80]))
    return fields


def typed_references(form: MultiDict) -> dict[int, str]:
    """The references typed on the panel, by sale payment id (`reference-<id>`); the service ties each to its part."""
    typed = {}
    for key in form:
        payment_id = parse_id(key.removeprefix("reference-")) if key.startswith("reference-") else None
        if payment_id is not None:
            typed[payment_id] = form.get(key, "").strip()[:80]
    return typed
