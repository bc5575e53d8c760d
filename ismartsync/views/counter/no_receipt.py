"""Return mode without a receipt: the items the customer brought are scanned or searched onto a panel of their own,
each with a quantity, a reason and restock; the customer is chosen (or added by mobile), since the refund is store
credit; each item shows at the lowest price it sold for in the last 90 days. "Give store credit" asks a supervisor
(a return without a receipt always needs one, unless the member approves themselves) and records the return.

The panel is one form (`counter/_no_receipt.html`, #no-receipt) that carries everything chosen so far, posted to
`counter.preview_no_receipt` on every change and answered with itself, so nothing is held between requests:
`return_uuid`; `variant_id` once per item (in the order added) with `quantity-<variant id>`, `reason-<variant id>`,
`restock-<variant id>` (and `restock-seen-<variant id>`); `customer_id` (or `drop_customer`); `customer_q` (the
customer search); `code` with `add_code` (the scan box) or `add_variant` (a search result tapped); `step`
("<variant id>:1" or ":-1"; none left takes the item off).
"""

from __future__ import annotations

import logging
import uuid as uuids
from dataclasses import dataclass
from typing import Any

from flask import abort, request, url_for
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from werkzeug.datastructures import MultiDict

from ismartsync.access import authorize, current_actor, permission_required, tenant_get_or_404
from ismartsync.errors import DomainError
from ismartsync.extensions import db
from ismartsync.inputs import NumberError, parse_id, parse_whole
from ismartsync.models import Counter, ReturnReason, Sale, Variant
from ismartsync.models.base import utcnow
from ismartsync.permissions import Permission
from ismartsync.pipelines.fbr_report import report_after_checkout
from ismartsync.services import cart as carts
from ismartsync.services import customers
from ismartsync.services import sale_lookup as lookup
from ismartsync.services.returns import exchange as exchanges
from ismartsync.services.returns.plan import (
    MAX_RETURN_LINES,
    ReturnRequest,
    UnreceiptedItem,
    lines_without_receipt,
    plan_return,
)
from ismartsync.services.returns.policy import RefundNeedsApproval, approval_reasons, needs_supervisor
from ismartsync.services.returns.reasons import return_reasons
from ismartsync.services.returns.record import record_return
from ismartsync.views.counter import bp
from ismartsync.views.counter.return_panel import chosen_customer, customer_picker
from ismartsync.views.counter.returns import UUID_SHAPE, return_screen, returning_counter
from ismartsync.web.htmx import hx_redirect_or, render

log = logging.getLogger(__name__)
MAX_UNITS = 1000  # the service's cap on one item's units without a receipt
PANEL = "counter/_no_receipt.html"


@dataclass
class ItemChoice:
    """One item on the no-receipt panel: how many came back, why, and whether they go back on the shelf."""

    variant: Variant
    quantity: int
    quantity_text: str
    reason: ReturnReason | None
    restock: bool

    @property
    def locked(self) -> bool:
        """The reason chosen says the item cannot be sold again: recorded, never restocked."""
        return self.reason is not None and not self.reason.sellable


def _variants(merchant_id: int, form: MultiDict) -> list[Variant]:
    """The items already on the panel, in the order added; another merchant's (or no such) item is a 404."""
    ids: list[int] = []
    for raw in form.getlist("variant_id")[:MAX_RETURN_LINES]:
        variant_id = parse_id(raw)
        if variant_id is None:
            abort(404)
        if variant_id not in ids:
            ids.append(variant_id)
    found = {v.id: v for v in db.session.scalars(select(Variant).where(Variant.id.in_(ids)))} if ids else {}
    if any(i not in found or found[i].merchant_id != merchant_id for i in ids):
        abort(404)
    return [found[i] for i in ids]


def _find_item(counter: Counter, code: str, errors: dict[str, str]) -> tuple[Variant | None, list[Variant]]:
    """The item a scan or a typed name finds (the counter's own lookup), or the ones to pick from."""
    try:
        variant = carts.find_by_code(db.session, counter.merchant_id, code)
    except DomainError as exc:
        errors["code"] = exc.message
        return None, []
    if variant is not None:
        return variant, []
    found = carts.search_variants(db.session, counter.merchant_id, code, limit=8)
    if len(found) == 1:
        return found[0], []
    if not found:
        errors["code"] = f"Nothing matches “{code[:40]}”. Scan again or search by name."
    return None, found


def _choice(
    variant: Variant, form: MultiDict, reasons: dict[str, ReturnReason], errors: dict[str, str], more: int
) -> ItemChoice:
    key = f"quantity-{variant.id}"
    text = form.get(key, "1").strip() or "0"
    try:
        quantity = parse_whole(text, 0, MAX_UNITS)
    except NumberError as exc:
        errors[key], quantity = str(exc), 0
    step = form.get("step", "")
    if step.startswith(f"{variant.id}:") and key not in errors:
        quantity += 1 if step.endswith(":1") else -1
    quantity = max(0, min(quantity + more, MAX_UNITS))
    reason = reasons.get(form.get(f"reason-{variant.id}", ""))
    restock = f"restock-{variant.id}" in form if f"restock-seen-{variant.id}" in form else True
    text = text if key in errors else str(quantity)
    return ItemChoice(variant, quantity, text, reason, restock and (reason is None or reason.sellable))


def no_receipt_context(counter: Counter, form: MultiDict, errors: dict[str, str] | None = None) -> dict[str, Any]:
    """The no-receipt panel as the form now reads: the items, the customer, each item's refund at its lowest price
    in 90 days, the total and whether a supervisor approves (nothing is written)."""
    errors = dict(errors or {})
    reasons = return_reasons(db.session, counter.merchant_id)
    by_code = {r.code: r for r in reasons}
    variants = _variants(counter.merchant_id, form)
    added, matches = None, []
    if form.get("add_variant", "").strip():
        added = tenant_get_or_404(Variant, form.get("add_variant"))
    elif "add_code" in form and form.get("code", "").strip():
        added, matches = _find_item(counter, form.get("code", "").strip()[:64], errors)
    choices = [_choice(v, form, by_code, errors, int(added is not None and v.id == added.id)) for v in variants]
    if added is not None and added not in variants:
        if len(choices) >= MAX_RETURN_LINES:
            errors["code"] = f"A return takes at most {MAX_RETURN_LINES} items."
        else:
            choices.append(ItemChoice(added, 1, "1", None, True))
    choices = [c for c in choices if c.quantity or f"quantity-{c.variant.id}" in errors]
    picked = chosen_customer(form)
    context: dict[str, Any] = {
        "choices": choices,
        "reasons": reasons,
        "return_uuid": form.get("return_uuid") if UUID_SHAPE.match(form.get("return_uuid", "")) else str(uuids.uuid4()),
        "item_code": "" if added is not None else form.get("code", "")[:64],
        "matches": matches,
        "lines": [],
        "total_minor": 0,
        "needs_approval": False,
        "missing_reason": False,
        "panel_errors": errors,
        **customer_picker(form, picked, counter.merchant_id),
    }
    chosen = [c for c in choices if c.quantity]
    if any(key.startswith("quantity-") for key in errors) or not chosen:
        return context
    if any(c.reason is None for c in chosen):
        context["missing_reason"] = True
        return context
    items = tuple(UnreceiptedItem(c.variant.id, c.quantity, c.reason.code, c.restock) for c in chosen if c.reason)
    try:
        if picked is None:  # the lines and total already; the refund waits for the customer it goes to
            lines = lines_without_receipt(db.session, counter.merchant, items)
            total = sum(line.refund.total_minor for line in lines)
            why = approval_reasons(counter.merchant, counter, None, total, utcnow())
        else:
            wanted = ReturnRequest(uuid=context["return_uuid"], unreceipted=items, customer_id=picked.id)
            plan = plan_return(db.session, current_actor(), counter, wanted)
            lines, total, why = list(plan.lines), plan.total_minor, list(plan.approval_reasons)
    except DomainError as exc:
        errors.setdefault(exc.field or "items", exc.message)
        return context
    context.update(lines=lines, total_minor=total, needs_approval=needs_supervisor(current_actor(), why))
    return context


def read_no_receipt_form(counter: Counter, form: MultiDict) -> ReturnRequest:
    """The return without a receipt the form asks for, as store credit to its customer; a field that does not read
    is refused beside it."""
    uuid = form.get("return_uuid", "").strip()
    if not UUID_SHAPE.match(uuid):
        raise DomainError("Open the return again: its key is missing.", field="return_uuid")
    items = []
    for variant in _variants(counter.merchant_id, form):
        key = f"quantity-{variant.id}"
        try:
            quantity = parse_whole(form.get(key, "").strip(), 1, MAX_UNITS)
        except NumberError as exc:
            raise DomainError(str(exc), field=key) from exc
        reason = form.get(f"reason-{variant.id}", "")
        items.append(UnreceiptedItem(variant.id, quantity, reason, restock=f"restock-{variant.id}" in form))
    customer = chosen_customer(form)
    return ReturnRequest(uuid=uuid, unreceipted=tuple(items), customer_id=customer.id if customer else None)


def no_receipt_panel(counter: Counter, status: int = 200, errors: dict[str, str] | None = None) -> Any:
    """The counter in Return mode with the no-receipt panel (for htmx, the panel alone)."""
    form = request.form if request.method == "POST" else MultiDict()
    context = no_receipt_context(counter, form, errors)
    status = 422 if context["panel_errors"] and status == 200 else status
    return _page(counter, status, context)


def _page(counter: Counter, status: int, context: dict[str, Any], fragment: str = PANEL) -> Any:
    """The counter page in Return mode showing the no-receipt panel; for htmx, `fragment` of it."""
    found = {"sale": None, "purchases": None, "customer": None, "error": "", "code": ""}
    return render(
        "counter/index.html", fragment, status, counter=counter, returning=True, no_receipt=True, **found, **context
    )


@bp.get("/returns/no-receipt")
@permission_required(Permission.PAGE_POS)
def no_receipt() -> Any:
    """Return mode's no-receipt panel, empty: scan the first item the customer brought."""
    counter = returning_counter()
    return _page(counter, 200, no_receipt_context(counter, MultiDict()), "counter/_return.html")


@bp.post("/returns/no-receipt/preview")
@permission_required(Permission.PAGE_POS)
def preview_no_receipt() -> Any:
    """The no-receipt panel again as the cashier changes it: an item scanned or tapped, a step, a reason, the
    customer; 422 with why beside the field."""
    return no_receipt_panel(returning_counter())


@bp.post("/returns/no-receipt")
@permission_required(Permission.PAGE_POS)
def record_no_receipt_return() -> Any:
    """Record the return without a receipt as store credit to its customer; a repeat of its key shows the return
    already recorded. A supervisor's PIN is asked (saying the amount, "without a receipt", the items and reasons)
    when the member does not approve themselves."""
    counter = returning_counter()
    if "approver_id" in request.form:  # the supervisor's PIN is checked before anything is written
        refusal = authorize(Permission.REFUND, _wording(counter), needed=True)
        if refusal is not None:
            return refusal
    try:
        wanted = read_no_receipt_form(counter, request.form)
        done = record_return(db.session, current_actor(), counter, wanted)
    except RefundNeedsApproval as exc:
        db.session.rollback()
        return authorize(Permission.REFUND, exc.wording, needed=True)
    except DomainError as exc:
        db.session.rollback()
        return no_receipt_panel(counter, 422, {exc.field or "items": exc.message})
    except IntegrityError:
        db.session.rollback()
        return no_receipt_panel(counter, 422, {"items": "Open the return again: its key was used for another."})
    db.session.commit()
    if done.fiscal_document_id is not None and not done.repeated:
        try:
            report_after_checkout(db.session, done.fiscal_document_id)
        except Exception:
            db.session.rollback()
            log.exception("the inline FBR attempt at a credit note failed; the fiscal queue reports it")
    return hx_redirect_or(url_for("counter.return_done", return_id=done.sale_return.id))


def _wording(counter: Counter) -> str | None:
    """What the dialog says when it is shown again (a wrong PIN): the return as it reads now."""
    try:
        return plan_return(db.session, current_actor(), counter, read_no_receipt_form(counter, request.form)).wording
    except DomainError:
        return None


@bp.post("/returns/customers/new")
@permission_required(Permission.PAGE_POS)
def add_return_customer() -> Any:
    """A customer added by name and mobile on a return panel (the one on file when the mobile is known), so store
    credit can go to them; the panel it came from answers again with them chosen."""
    counter = returning_counter()
    form = request.form.copy()
    name, phone = form.get("new_name", "").strip(), form.get("new_phone", "").strip()
    errors: dict[str, str] = {}
    if not name or len(name) > 200:
        errors["new_name"] = "Enter the customer's name." if not name else "Keep the name under 200 letters."
    else:
        try:
            customer, _ = customers.add_customer(db.session, current_actor(), name, phone)
        except DomainError as exc:
            db.session.rollback()
            errors["new_phone"] = exc.message
        else:
            db.session.commit()
            for key in ("customer_id", "drop_customer", "customer_q", "new_name", "new_phone"):
                form.pop(key, None)
            form["customer_id"] = str(customer.id)
    status = 422 if errors else 200
    if form.get("sale_id"):  # the receipted panel: its actions fragment with the customer chosen
        return return_screen(
            counter,
            status,
            fragment="counter/_return_actions.html",
            sale=_returnable(counter, form.get("sale_id")),
            form=form,
            errors=errors,
        )
    return _page(counter, status, no_receipt_context(counter, form, errors))


def _returnable(counter: Counter, raw: Any) -> Sale:
    sale = tenant_get_or_404(Sale, raw)
    if lookup.returnable_sale(db.session, counter.merchant_id, sale.id) is None:
        abort(404)
    return sale


@bp.post("/returns/no-receipt/exchange")
@permission_required(Permission.PAGE_POS)
def start_no_receipt_exchange() -> Any:
    """Hold the items brought back without a receipt as an exchange and go to the cart for the new items; what is
    chosen is checked as the return would be (422 on the panel when it cannot come back). Whatever the new items do
    not take goes back as store credit to the customer."""
    counter = returning_counter()
    try:
        exchanges.hold_exchange(db.session, current_actor(), counter, read_no_receipt_form(counter, request.form))
    except DomainError as exc:
        db.session.rollback()
        return no_receipt_panel(counter, 422, {exc.field or "items": exc.message})
    db.session.commit()
    return hx_redirect_or(url_for("counter.index"))
