"""Settings → Cash: the over/short tolerance, blind close, the shift limit and its grace, the drawer limit."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from flask import Blueprint, abort, flash
from flask_login import current_user

from ismartsync.access import current_actor, permission_required
from ismartsync.errors import DomainError
from ismartsync.extensions import db
from ismartsync.forms import attach_error
from ismartsync.forms.cash import CashSettingsForm
from ismartsync.money import to_decimal, to_minor
from ismartsync.permissions import Permission
from ismartsync.services import merchants
from ismartsync.views.settings import can_edit
from ismartsync.web.htmx import render

bp = Blueprint("cash_settings", __name__, url_prefix="/settings/cash")


def _owner_only() -> bool:
    """The cash rules are the owner's (the tolerance a manager approves against, the limits they extend)."""
    return current_user.role.is_owner and can_edit()


def _page(form: CashSettingsForm, status: int = 200) -> Any:
    return render("settings/cash.html", "settings/_cash_form.html", status, form=form, can_edit=_owner_only())


@bp.get("")
@permission_required(Permission.PAGE_SETTINGS)
def page() -> Any:
    merchant = current_user.merchant
    form = CashSettingsForm(
        obj=merchant,
        cash_tolerance=to_decimal(merchant.cash_tolerance_minor),
        max_shift_hours=(Decimal(merchant.max_shift_minutes) / 60).quantize(Decimal("0.01")),
        drawer_limit=to_decimal(merchant.drawer_limit_minor),
    )
    return _page(form)


@bp.post("")
@permission_required(Permission.PAGE_SETTINGS)
@permission_required(Permission.EDIT_SETTINGS)
def update() -> Any:
    if not _owner_only():
        abort(403)
    form = CashSettingsForm()
    if not form.validate_on_submit():
        return _page(form, 422)
    try:
        merchants.update_cash_settings(
            db.session,
            current_actor(),
            current_user.merchant,
            cash_tolerance_minor=to_minor(form.cash_tolerance.data),
            blind_close=form.blind_close.data,
            max_shift_minutes=int((form.max_shift_hours.data * 60).quantize(Decimal(1), rounding=ROUND_HALF_UP)),
            shift_grace_minutes=form.shift_grace_minutes.data,
            drawer_limit_minor=to_minor(form.drawer_limit.data),
        )
    except DomainError as exc:
        db.session.rollback()
        attach_error(form, exc)
        return _page(form, 422)
    db.session.commit()
    flash("Cash settings saved.", "success")
    return _page(form)
