"""The drawer at the counter: cash in and out of it (a safe drop, petty cash, a float top-up) during the shift.

The strip over the selling screen (the shift, its X report, the safe drop it asks for) is `context.drawer_context`;
counting the drawer closed is the shift's close, in views/shifts.
"""

from __future__ import annotations

import uuid as uuids
from typing import Any

from flask import flash, request, url_for
from flask_login import current_user

from ismartsync.access import current_actor, permission_required
from ismartsync.errors import DomainError
from ismartsync.extensions import db
from ismartsync.forms import attach_error
from ismartsync.forms.cash import CashLogForm
from ismartsync.models import CashDirection, CashReason, Shift
from ismartsync.money import format_money, to_decimal, to_minor
from ismartsync.permissions import Permission
from ismartsync.services.cash import drawer as cash
from ismartsync.views.counter import bp
from ismartsync.views.counter.context import dialog, drawer_hidden, selling_here
from ismartsync.web.htmx import hx_redirect_or


def _cash_dialog(shift: Shift, form: CashLogForm, status: int = 200, error: str = "") -> Any:
    return dialog(
        "counter/_cash_log.html",
        status,
        shift=shift,
        form=form,
        error=error,
        drawer_hidden=drawer_hidden(current_user.merchant),
    )


@bp.get("/cash")
@permission_required(Permission.PAGE_POS)
def cash_log_form() -> Any:
    """Cash in or out of this drawer; `?reason=safe_drop` opens it ready for the safe drop the counter asked for."""
    _, shift = selling_here()
    form = CashLogForm(formdata=None, uuid=str(uuids.uuid4()))
    if (reason := request.args.get("reason", "")) in set(CashReason):
        form.reason.data = reason
        form.direction.data = CashReason(reason).directions[0].value
    suggested = cash.drawer_over_limit(current_user.merchant, shift)
    if suggested and form.reason.data == CashReason.SAFE_DROP and not drawer_hidden(current_user.merchant):
        form.amount.data = to_decimal(suggested)
    return _cash_dialog(shift, form)


@bp.post("/cash")
@permission_required(Permission.PAGE_POS)
@permission_required(Permission.CASH_IN_OUT)
def record_cash_log() -> Any:
    _, shift = selling_here()
    form = CashLogForm()
    if not form.validate():
        return _cash_dialog(shift, form, 422)
    try:
        log = cash.record_cash_log(
            db.session,
            current_actor(),
            shift,
            uuid=form.uuid.data or str(uuids.uuid4()),
            direction=CashDirection(form.direction.data),
            reason=CashReason(form.reason.data),
            amount_minor=to_minor(form.amount.data),
            note=form.note.data or "",
        )
    except DomainError as exc:
        db.session.rollback()
        attach_error(form, exc)
        return _cash_dialog(shift, form, 422)
    db.session.commit()
    flash(f"{log.direction_label} of {format_money(log.amount_minor)} recorded: {log.reason_label}.", "success")
    return hx_redirect_or(url_for("counter.index"))
