"""Returns at the counter: the one route that records a return of a sale's lines (the return screens of issue 17 build
on it): asks for a supervisor when the return needs one, saying what is approved, then reports the credit note.

The form: `sale_id`; `return_uuid` (made when the screen opens, sent with every submit: one return however often it
is sent); per sale line `quantity-<line id>`, `reason-<line id>` (a return reason's code) and `restock-<line id>`
(present: back on the shelf); `refund` ("original": to the sale's tenders, card first, cash last; "store_credit": to
the customer) and `customer_id` for store credit.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from flask import abort, request, url_for
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from ismartsync.auth import authorize, current_actor, permission_required, tenant_get_or_404
from ismartsync.errors import DomainError
from ismartsync.extensions import db
from ismartsync.inputs import NumberError, parse_id, parse_whole
from ismartsync.models import Counter, Sale, Tender
from ismartsync.permissions import Effect, Permission
from ismartsync.pipelines.fbr_report import report_after_checkout
from ismartsync.services.returns.policy import RefundNeedsApproval
from ismartsync.services.returns.record import ReturnItem, ReturnRequest, plan_return, record_return
from ismartsync.services.returns.tenders import RefundTender
from ismartsync.views.counter import bp
from ismartsync.views.counter.context import dialog, selling_counter
from ismartsync.web.htmx import hx_redirect_or

log = logging.getLogger(__name__)
_UUID = re.compile(r"^[A-Za-z0-9-]{8,36}$")


def _request(sale: Sale) -> ReturnRequest:
    """The return the form asks for; a field that does not read is refused beside it."""
    form = request.form
    uuid = form.get("return_uuid", "").strip()
    if not _UUID.match(uuid):
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
    customer_id = parse_id(form.get("customer_id")) if form.get("customer_id") else None
    return ReturnRequest(uuid=uuid, sale_id=sale.id, items=tuple(items), customer_id=customer_id)


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
        wanted = _request(sale)
        if request.form.get("refund") == "store_credit":  # the whole refund to the customer
            total = plan_return(db.session, current_actor(), counter, wanted).total_minor
            wanted = _as_store_credit(wanted, total)
        done = record_return(db.session, current_actor(), counter, wanted)
    except RefundNeedsApproval as exc:
        db.session.rollback()
        return authorize(Permission.REFUND, exc.wording, needed=True)
    except DomainError as exc:
        db.session.rollback()
        return _refused(exc)
    except IntegrityError:  # the same key sent at once for another sale: only a broken screen does that
        db.session.rollback()
        return _refused(DomainError("Open the return again: its key was used for another.", field="return_uuid"))
    sale_id = done.sale_return.sale_id or sale.id
    db.session.commit()
    if done.fiscal_document_id is not None and not done.repeated:
        try:
            report_after_checkout(db.session, done.fiscal_document_id)
        except Exception:
            db.session.rollback()
            log.exception("the inline FBR attempt at a credit note failed; the fiscal queue reports it")
    return hx_redirect_or(url_for("sales.sale", sale_id=sale_id))


def _wording(counter: Counter, sale: Sale) -> str | None:
    """What the dialog says when it is shown again (a wrong PIN): the return as it reads now."""
    try:
        return plan_return(db.session, current_actor(), counter, _request(sale)).wording
    except DomainError:
        return None


def _as_store_credit(wanted: ReturnRequest, total_minor: int) -> ReturnRequest:
    refunds = (RefundTender(Tender.STORE_CREDIT, total_minor),)
    return ReturnRequest(wanted.uuid, wanted.sale_id, wanted.items, customer_id=wanted.customer_id, refunds=refunds)


def _refused(error: DomainError) -> Any:
    return dialog("counter/_return_refused.html", 422, error=error.message, field=error.field or "")
