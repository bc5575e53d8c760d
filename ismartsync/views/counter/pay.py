"""Paying at the counter: the tenders dialog, its live "change due", the checkout, and the receipt screen after it."""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

from flask import abort, flash, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from wtforms import SelectChoice

from ismartsync.access import (
    authorize,
    check_branch_visible,
    current_actor,
    permission_required,
    tenant_get_or_404,
)
from ismartsync.errors import DomainError
from ismartsync.extensions import db
from ismartsync.forms.counter import PayForm
from ismartsync.models import Counter, PaymentMethod, Sale, Tender, User
from ismartsync.money import format_money, to_minor
from ismartsync.permissions import Permission
from ismartsync.pipelines.fbr_report import report_after_checkout
from ismartsync.services import cart as carts
from ismartsync.services.cash.drawer import drawer_over_limit
from ismartsync.services.checkout import Payment, checkout_sale, split_tenders
from ismartsync.services.payment_methods import active_payment_methods
from ismartsync.services.returns.exchange import exchange_items, pending_exchange, placed_exchange
from ismartsync.services.returns.plan import ReturnRequest, plan_return
from ismartsync.services.returns.policy import RefundNeedsApproval
from ismartsync.services.sales import fiscal_document_for
from ismartsync.views.counter import bp
from ismartsync.views.counter.context import (
    back_to_counter,
    dialog,
    drawer_hidden,
    exchange_context,
    selling_counter,
)
from ismartsync.views.counter.return_panel import typed_references
from ismartsync.views.receipts import sharing
from ismartsync.web.htmx import hx_redirect_or, render

log = logging.getLogger(__name__)


def _methods(counter: Counter) -> dict[str, list[PaymentMethod]]:
    rows = active_payment_methods(db.session, counter.merchant_id)
    return {kind: [m for m in rows if m.kind == kind] for kind in (Tender.BANK, Tender.WALLET)}


def _salespeople(counter: Counter) -> list[User]:
    users = db.session.scalars(
        select(User)
        .where(User.merchant_id == counter.merchant_id, User.active.is_(True))
        .options(selectinload(User.branches), selectinload(User.counters))
        .order_by(User.full_name)
    ).all()
    return [u for u in users if u.works_at(counter)]


def _form(cart: Sale, formdata: Any = None) -> PayForm:
    """The tenders as typed; choices are filled only when the dialog is shown (a checkout needs none)."""
    return PayForm(formdata=formdata) if formdata is not None else PayForm(sale_uuid=cart.uuid)


def _with_choices(counter: Counter, form: PayForm) -> PayForm:
    methods = _methods(counter)
    form.bank_method.choices = [SelectChoice(m.id, m.label) for m in methods[Tender.BANK]]
    form.wallet_method.choices = [SelectChoice(m.id, m.label) for m in methods[Tender.WALLET]]
    form.salesperson.choices = [SelectChoice(0, "—")] + [SelectChoice(u.id, u.full_name) for u in _salespeople(counter)]
    return form


def _payments(form: PayForm) -> list[Payment]:
    def minor(field: Any) -> int:
        return to_minor(field.data) if field.data is not None else 0

    return [
        Payment(Tender.CASH, minor(form.cash)),
        Payment(Tender.CARD, minor(form.card), reference=form.card_reference.data or ""),
        Payment(Tender.BANK, minor(form.bank), form.bank_method.data or None, form.bank_reference.data or ""),
        Payment(Tender.WALLET, minor(form.wallet), form.wallet_method.data or None, form.wallet_reference.data or ""),
        Payment(Tender.STORE_CREDIT, minor(form.store_credit)),
    ]


def quick_cash(payable_minor: int) -> list[int]:
    """Exact, then the next round notes a customer hands over (Rs 100, 500, 1,000, 5,000), fewest first."""
    amounts = [payable_minor]
    for note in (100_00, 500_00, 1000_00, 5000_00):
        rounded = -(-payable_minor // note) * note
        if rounded not in amounts:
            amounts.append(rounded)
    return amounts[:5]


def _pay_dialog(
    counter: Counter, cart: Sale, form: PayForm, status: int = 200, error: str = "", field: str = ""
) -> Any:
    """The tenders dialog; `error` beside `field` when it names one of its own (an exchange refund's reference),
    else above the tenders."""
    due = _due_context(counter, cart, form if status != 200 else None)
    field_errors = {field: error} if field.startswith("reference-") else {}
    error = "" if field_errors else error
    context = {"error": error, "field_errors": field_errors, **due}
    return dialog("counter/_pay.html", status, cart=cart, form=_with_choices(counter, form), **context)


def _due_context(counter: Counter, cart: Sale, form: PayForm | None) -> dict[str, Any]:
    """What is left to pay (negative: change to give), and the quick-cash amounts for the cash still due; in an
    exchange, what the returned goods do not cover."""
    payments = _payments(form) if form is not None and not _amount_errors(form) else []
    exchange = exchange_context(counter, cart)
    due = max(0, exchange["due_minor"]) if exchange else cart.payable_minor
    split = split_tenders(due, payments)
    return {
        "exchange": exchange,
        "due": due,
        "left": split.left_minor,
        "other_over": split.other_over,
        "quick": quick_cash(split.cash_due_minor) if split.cash_due_minor > 0 else [],
    }


def _amount_errors(form: PayForm) -> bool:
    return bool(
        form.cash.errors or form.card.errors or form.bank.errors or form.wallet.errors or form.store_credit.errors
    )


@bp.get("/pay")
@permission_required(Permission.PAGE_POS)
def pay_form() -> Any:
    counter = selling_counter()
    cart = carts.active_cart(db.session, counter)
    if cart is None or not cart.lines:
        abort(back_to_counter())
    return _pay_dialog(counter, cart, _form(cart))


@bp.post("/pay/due")
@permission_required(Permission.PAGE_POS)
def amount_due() -> Any:
    """What is left to pay, or the change to give, as the cashier types the tenders."""
    counter = selling_counter()
    cart = carts.active_cart(db.session, counter)
    if cart is None:
        # A late keystroke's update, arriving after the checkout it preceded: nothing to show, and the
        # receipt screen the checkout opened must stay (a redirect here would take the tablet away from it).
        return "", 204
    form = _form(cart, request.form)
    form.validate()
    # Without htmx (a plain post) the page shows the same figures, on the dialog page every counter dialog has.
    context = _due_context(counter, cart, form)
    return render("counter/dialog.html", "counter/_due.html", template="counter/_due.html", **context)


@bp.post("/checkout")
@permission_required(Permission.PAGE_POS)
def checkout() -> Any:
    """Place the sale; a repeat of the same cart (double tap, retry) shows the sale already placed."""
    counter = selling_counter()
    uuid = request.form.get("sale_uuid", "")
    form = PayForm(formdata=request.form)
    if not form.validate():
        return _refused(counter, uuid, form)
    wanted = pending_exchange(_cart_of(counter, uuid))
    if wanted is not None:
        return _exchange(counter, wanted, uuid, form)
    try:
        done = checkout_sale(
            db.session, current_actor(), counter, uuid, _payments(form), salesperson_id=form.salesperson.data or None
        )
    except DomainError as exc:
        db.session.rollback()
        return _refused(counter, uuid, form, exc.message)
    db.session.commit()
    sale_id = done.sale.id
    exchanged = placed_exchange(db.session, done.sale) if done.repeated else None
    if exchanged is not None:  # a repeat of an exchange's checkout: its return, as the first one showed
        return hx_redirect_or(url_for("counter.return_done", return_id=exchanged.id))
    if done.fiscal_document_id is not None and not done.repeated:
        _report_to_fbr(done.fiscal_document_id)
    for warning in done.warnings:
        flash(warning, "info")
    return hx_redirect_or(url_for("counter.sale_done", sale_id=sale_id))


def _exchange(counter: Counter, wanted: ReturnRequest, uuid: str, form: PayForm) -> Any:
    """The cart sold against the return waiting on it: one transaction, a credit note and a sale. A supervisor's PIN
    is asked (saying what is approved) when the return needs one, and the dialog sends the payment again. The
    difference given back by card, bank or wallet carries the reference typed for it (`reference-<payment id>`)."""
    wanted = replace(wanted, references=typed_references(request.form))
    if "approver_id" in request.form:
        try:
            wording = plan_return(db.session, current_actor(), counter, wanted).wording
        except DomainError:
            wording = None
        refusal = authorize(Permission.REFUND, wording, needed=True)
        if refusal is not None:
            return refusal
    try:
        done = exchange_items(
            db.session,
            current_actor(),
            counter,
            wanted,
            uuid,
            _payments(form),
            salesperson_id=form.salesperson.data or None,
        )
    except RefundNeedsApproval as exc:
        db.session.rollback()
        return authorize(Permission.REFUND, exc.wording, needed=True)
    except DomainError as exc:
        db.session.rollback()
        return _refused(counter, uuid, form, exc.message, exc.field or "")
    db.session.commit()
    if not done.repeated:
        for document_id in done.fiscal_document_ids:
            _report_to_fbr(document_id)
    return hx_redirect_or(url_for("counter.return_done", return_id=done.returned.sale_return.id))


def _cart_of(counter: Counter, uuid: str) -> Sale | None:
    """The sale the pay dialog sent back, the merchant's own (a draft until it is placed)."""
    return db.session.scalar(select(Sale).where(Sale.uuid == uuid, Sale.merchant_id == counter.merchant_id))


def _safe_drop(sale: Sale) -> int:
    """The safe drop the drawer needs after this sale, if its shift is still open and the drawer over the limit."""
    shift = sale.shift
    return drawer_over_limit(current_user.merchant, shift) if shift is not None and shift.is_open else 0


def _report_to_fbr(document_id: int) -> None:
    """One short attempt while the receipt is being shown; whatever happens, the sale stands and the queue has it."""
    try:
        report_after_checkout(db.session, document_id)
    except Exception:
        db.session.rollback()
        log.exception("the inline FBR attempt failed; the fiscal queue reports the sale")


def _refused(counter: Counter, uuid: str, form: PayForm, error: str = "", field: str = "") -> Any:
    """The pay dialog again with what was wrong; a cart gone meanwhile (placed, parked) sends the tablet back."""
    cart = _cart_of(counter, uuid)
    if cart is None or not cart.is_draft:
        abort(back_to_counter())
    return _pay_dialog(counter, cart, form, 422, error, field)


@bp.get("/sales/<int:sale_id>")
@permission_required(Permission.PAGE_POS)
def sale_done(sale_id: int) -> Any:
    """The sale just placed: its receipt to print, and the next customer one tap away."""
    sale = tenant_get_or_404(Sale, sale_id)
    check_branch_visible(sale.branch_id)  # the same rule as /sales/<id>: a cashier of one branch sees no other's
    if sale.is_draft or (sale.cashier_id != current_user.id and not current_user.can(Permission.PAGE_ORDERS)):
        abort(404)
    return render(
        "counter/done.html",
        None,
        sale=sale,
        change=format_money(sale.change_minor),
        fiscal=fiscal_document_for(db.session, sale),
        share=sharing(sale),
        safe_drop_minor=_safe_drop(sale),
        drawer_hidden=drawer_hidden(current_user.merchant),
    )
