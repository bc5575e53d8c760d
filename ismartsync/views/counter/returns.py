"""Return mode on the counter screen: the scan box finds sales, not items (a receipt's barcode, a USIN, an FBR
number, or a customer's purchases), and the sale found shows as a panel. F10 or the Return button goes in; Esc, F10
or "Back to selling" comes out. What comes back and the refund are chosen on that panel (the returns' own views).

Every answer is the counter page in Return mode, or for htmx its #pos part (`counter/_return.html`: the find box and
the panel), so a plain link, a reload and htmx all show the same screen.

Recording the return (`POST /counter/returns`) reads the form: `sale_id`; `return_uuid` (made when the screen opens,
sent with every submit: one return however often it is sent); per sale line `quantity-<line id>`, `reason-<line id>`
(a return reason's code) and `restock-<line id>` (present: back on the shelf); `refund` ("original": to the sale's
tenders, card first, cash last, with `reference-<sale payment id>` typed for each card, bank or wallet part;
"store_credit": to the customer) and `customer_id` for store credit (the sale's customer, or for a sale without one
the customer the cashier chose or added on the panel). It asks for a
supervisor when the return needs one, saying what is approved, then reports the credit note.
"""

from __future__ import annotations

import logging
import re
from typing import Any
from zoneinfo import ZoneInfo

from flask import abort, request, url_for
from flask_login import current_user
from sqlalchemy.exc import IntegrityError
from werkzeug.datastructures import MultiDict

from ismartsync.access import authorize, current_actor, permission_required, tenant_get_or_404
from ismartsync.errors import DomainError
from ismartsync.extensions import db
from ismartsync.inputs import NumberError, parse_id, parse_whole
from ismartsync.models import Counter, Customer, Sale, Tender
from ismartsync.models.base import utcnow
from ismartsync.permissions import Effect, Permission
from ismartsync.pipelines.fbr_report import report_after_checkout
from ismartsync.services import customers
from ismartsync.services import sale_lookup as lookup
from ismartsync.services.returns.plan import ReturnItem, ReturnRequest, plan_return
from ismartsync.services.returns.policy import RefundNeedsApproval
from ismartsync.services.returns.record import record_return
from ismartsync.services.returns.tenders import RefundTender
from ismartsync.services.sales import fiscal_document_for
from ismartsync.views.counter import bp
from ismartsync.views.counter.context import dialog, selling_counter
from ismartsync.views.counter.return_panel import chosen_customer, panel_context, typed_references
from ismartsync.web.htmx import hx_redirect_or, is_htmx, render

log = logging.getLogger(__name__)
UUID_SHAPE = re.compile(r"^[A-Za-z0-9-]{8,36}$")


def returning_counter() -> Counter:
    """This tablet's counter with the cashier's open shift (else back to the counter page); 403 when the member's
    role may make no return (one needing a supervisor's PIN may: the PIN is asked when the refund is made)."""
    counter = selling_counter()
    if current_user.effect(Permission.REFUND) is Effect.BLOCKED:
        abort(403)
    return counter


def return_screen(
    counter: Counter,
    status: int = 200,
    fragment: str = "counter/_return.html",
    form: MultiDict | None = None,
    errors: dict[str, str] | None = None,
    **context: Any,
) -> tuple[str, int, dict[str, str]]:
    """The counter in Return mode with `sale` found (or the customer's `purchases`, or neither yet); for htmx,
    `fragment` of it. The panel reads `form` (else the request's posted form); `errors` are shown beside their
    fields on it."""
    context = {"sale": None, "purchases": None, "customer": None, "code": "", "error": "", **context}
    sale: Sale | None = context["sale"]
    if sale is not None:
        context["fiscal"] = fiscal_document_for(db.session, sale)
        context["elsewhere"] = sale.branch_id != counter.branch_id
        context["days_ago"] = _days_ago(sale, counter)
        if form is None and request.method == "POST":
            form = request.form
        refused: DomainError | None = context.get("refused")
        context.update(panel_context(counter, sale, form, errors))
        if refused is not None:  # a refusal of "Refund" shown beside its field on the panel
            context["panel_errors"][refused.field or "refund"] = refused.message
        status = 422 if context["panel_errors"] else status
    return render("counter/index.html", fragment, status, counter=counter, returning=True, **context)


def _days_ago(sale: Sale, counter: Counter) -> int:
    """Calendar days since the sale in the merchant's time zone: 0 today, 1 yesterday (not hours over 24)."""
    if sale.placed_at is None:
        return 0
    zone = ZoneInfo(counter.merchant.time_zone)
    return max(0, (utcnow().astimezone(zone).date() - sale.placed_at.astimezone(zone).date()).days)


@bp.get("/returns")
@permission_required(Permission.PAGE_POS)
def returns() -> Any:
    """Return mode, nothing found yet: scan the receipt, type its USIN or FBR number, or pick the customer."""
    return return_screen(returning_counter())


@bp.get("/returns/find")
@permission_required(Permission.PAGE_POS)
def find_sale() -> Any:
    """What the scanner read or the cashier typed: the sale's panel, or 422 with why beside the field."""
    counter = returning_counter()
    code = request.args.get("code", "")
    try:
        sale = lookup.find_sale(db.session, counter.merchant_id, code)
    except DomainError as exc:
        body, status, headers = return_screen(counter, 422, code=code[: lookup.MAX_LOOKUP_LENGTH], error=exc.message)
        return body, status, {**headers, "HX-Trigger": "scan-miss"}
    body, status, headers = return_screen(counter, sale=sale)
    # The address bar names the sale, so a reload (or Back) shows it again.
    return body, status, {**headers, "HX-Push-Url": url_for("counter.return_sale", sale_id=sale.id)}


@bp.get("/returns/<int:sale_id>")
@permission_required(Permission.PAGE_POS)
def return_sale(sale_id: int) -> Any:
    """One of the merchant's sales on the Return panel (any branch's: the panel says which); the sale page's Return
    button and anything else that starts a return links here."""
    tenant_get_or_404(Sale, sale_id)  # another merchant's id is a 404 wherever the tablet is
    counter = returning_counter()
    sale = lookup.returnable_sale(db.session, counter.merchant_id, sale_id)
    if sale is None:
        abort(404)  # a draft is no sale to return from
    return return_screen(counter, sale=sale)


@bp.post("/returns/preview")
@permission_required(Permission.PAGE_POS)
def preview_return() -> Any:
    """The return panel again as the cashier changes it (a step of a quantity, a reason, the refund's way): each
    line's refund, the total and how it goes back, before anything is written; 422 with why beside the field."""
    counter = returning_counter()
    if parse_id(request.form.get("sale_id")) is None:
        return _refused(DomainError("Choose the sale that comes back.", field="sale_id"))
    sale = tenant_get_or_404(Sale, request.form.get("sale_id"))
    if lookup.returnable_sale(db.session, counter.merchant_id, sale.id) is None:
        abort(404)
    return return_screen(counter, fragment="counter/_return_actions.html", sale=sale)


@bp.get("/returns/customers")
@permission_required(Permission.PAGE_POS)
def find_return_customer() -> Any:
    """The customer picker of Return mode: as the counter's, but a name leads to their purchases."""
    returning_counter()
    query = request.args.get("q", "")
    found = customers.find_customers(db.session, current_user.merchant_id, query)
    if request.headers.get("HX-Target") == "return-customer-results" and is_htmx():
        return render("counter/dialog.html", "counter/_return_customer_results.html", query=query, found=found)
    return dialog("counter/_return_customer.html", query=query, found=found)


@bp.get("/returns/customers/<int:customer_id>")
@permission_required(Permission.PAGE_POS)
def customer_purchases(customer_id: int) -> Any:
    """The customer's latest purchases at any branch, newest first; one tap shows a sale on the panel."""
    customer = tenant_get_or_404(Customer, customer_id)
    counter = returning_counter()
    purchases = lookup.customer_sales(db.session, counter.merchant_id, customer.id)
    return return_screen(counter, customer=customer, purchases=purchases)


def read_return_form(sale: Sale) -> ReturnRequest:
    """The return the form asks for; a field that does not read is refused beside it."""
    form = request.form
    uuid = form.get("return_uuid", "").strip()
    if not UUID_SHAPE.match(uuid):
        raise DomainError("Open the return again: its key is missing.", field="return_uuid")
    items = []
    for key in form:
        line_id = parse_id(key.removeprefix("quantity-")) if key.startswith("quantity-") else None
        raw = form.get(key, "").strip()
        if line_id is None or not raw:
            continue  # the service refuses a line that is not on the sale
        try:
            quantity = parse_whole(raw, 0, 10_000)
        except NumberError as exc:
            raise DomainError(str(exc), field=key) from exc
        if quantity:
            reason = form.get(f"reason-{line_id}", "")
            items.append(ReturnItem(line_id, quantity, reason, restock=f"restock-{line_id}" in form))
    customer = sale.customer if sale.customer is not None else chosen_customer(form)  # another merchant's: 404
    customer_id = customer.id if customer is not None else None
    return ReturnRequest(
        uuid=uuid, sale_id=sale.id, items=tuple(items), customer_id=customer_id, references=typed_references(form)
    )


@bp.post("/returns")
@permission_required(Permission.PAGE_POS)
def record_sale_return() -> Any:
    """Record the return; a repeat of its key shows the return already recorded. The return is read once: when it
    needs a supervisor, `record_return` says so with the sentence the dialog shows, and nothing is written."""
    counter = selling_counter()
    if parse_id(request.form.get("sale_id")) is None:
        return _refused(DomainError("Choose the sale that comes back.", field="sale_id"))
    sale = tenant_get_or_404(Sale, request.form.get("sale_id"))
    if current_user.effect(Permission.REFUND) is Effect.BLOCKED:
        abort(403)
    if "approver_id" in request.form:  # the supervisor's PIN is checked before anything is read
        refusal = authorize(Permission.REFUND, _wording(counter, sale), needed=True)
        if refusal is not None:
            return refusal
    try:
        wanted = read_return_form(sale)
        if request.form.get("refund") == "store_credit":  # the whole refund to the customer
            total = plan_return(db.session, current_actor(), counter, wanted).total_minor
            wanted = _as_store_credit(wanted, total)
        done = record_return(db.session, current_actor(), counter, wanted)
    except RefundNeedsApproval as exc:
        db.session.rollback()
        return authorize(Permission.REFUND, exc.wording, needed=True)
    except DomainError as exc:
        db.session.rollback()
        if (exc.field or "").startswith("reference-"):
            return return_screen(counter, fragment="counter/_return_actions.html", sale=sale, refused=exc)
        return _refused(exc)
    except IntegrityError:  # the same key sent at once for another sale: only a broken screen does that
        db.session.rollback()
        return _refused(DomainError("Open the return again: its key was used for another.", field="return_uuid"))
    db.session.commit()
    if done.fiscal_document_id is not None and not done.repeated:
        try:
            report_after_checkout(db.session, done.fiscal_document_id)
        except Exception:
            db.session.rollback()
            log.exception("the inline FBR attempt at a credit note failed; the fiscal queue reports it")
    return hx_redirect_or(url_for("counter.return_done", return_id=done.sale_return.id))


def _wording(counter: Counter, sale: Sale) -> str | None:
    """What the dialog says when it is shown again (a wrong PIN): the return as it reads now."""
    try:
        return plan_return(db.session, current_actor(), counter, read_return_form(sale)).wording
    except DomainError:
        return None


def _as_store_credit(wanted: ReturnRequest, total_minor: int) -> ReturnRequest:
    refunds = (RefundTender(Tender.STORE_CREDIT, total_minor),)
    return ReturnRequest(wanted.uuid, wanted.sale_id, wanted.items, customer_id=wanted.customer_id, refunds=refunds)


def _refused(error: DomainError) -> Any:
    return dialog("counter/_return_refused.html", 422, error=error.message, field=error.field or "")
