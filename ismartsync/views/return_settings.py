"""Settings → Returns: the return window, returns at another branch, the refund above which a supervisor approves,
and the merchant's return reasons (add, rename, not sellable, switched off; a reason's code never changes)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash
from flask_login import current_user

from ismartsync.access import current_actor, permission_required, tenant_get_or_404
from ismartsync.errors import DomainError
from ismartsync.extensions import db
from ismartsync.forms import attach_error
from ismartsync.forms.return_settings import ReturnReasonForm, ReturnSettingsForm
from ismartsync.models import ReturnReason
from ismartsync.money import to_decimal, to_minor
from ismartsync.permissions import Permission
from ismartsync.services.returns.reasons import return_reasons, save_return_reason
from ismartsync.services.returns.settings import update_return_settings
from ismartsync.views.settings import can_edit
from ismartsync.web.htmx import render

bp = Blueprint("return_settings", __name__, url_prefix="/settings/returns")


def _page(status: int = 200, *, form: ReturnSettingsForm | None = None, **reason_forms: Any) -> Any:
    """The page, or for htmx the part that was sent: the settings form, or the reasons with the form that failed."""
    merchant = current_user.merchant
    reasons = return_reasons(db.session, merchant.id, active_only=False)
    context = {
        "form": form
        or ReturnSettingsForm(
            formdata=None,
            obj=merchant,
            refund_approval=to_decimal(merchant.refund_approval_minor) if merchant.refund_approval_minor else None,
        ),
        "reasons": reasons,
        "reason_forms": {r.id: ReturnReasonForm(formdata=None, obj=r, prefix=f"r{r.id}") for r in reasons},
        "new_reason": ReturnReasonForm(formdata=None, prefix="new"),
        "can_edit": can_edit(),
    }
    if edited := reason_forms.get("edited"):
        context["reason_forms"][edited[0]] = edited[1]
    if new := reason_forms.get("new"):
        context["new_reason"] = new
    fragment = "settings/_returns_form.html" if form is not None else "settings/_return_reasons.html"
    return render("settings/returns.html", fragment, status, **context)


@bp.get("")
@permission_required(Permission.PAGE_SETTINGS)
def page() -> Any:
    return _page()


@bp.post("")
@permission_required(Permission.PAGE_SETTINGS)
@permission_required(Permission.EDIT_SETTINGS)
def update() -> Any:
    form = ReturnSettingsForm()
    if not form.validate_on_submit():
        return _page(422, form=form)
    try:
        update_return_settings(
            db.session,
            current_actor(),
            current_user.merchant,
            return_window_days=form.return_window_days.data,
            returns_at_other_branches=form.returns_at_other_branches.data,
            refund_approval_minor=to_minor(form.refund_approval.data) if form.refund_approval.data else 0,
        )
    except DomainError as exc:
        db.session.rollback()
        attach_error(form, exc)
        return _page(422, form=form)
    db.session.commit()
    flash("Returns settings saved.", "success")
    return _page(form=form)


@bp.post("/reasons")
@permission_required(Permission.PAGE_SETTINGS)
@permission_required(Permission.EDIT_SETTINGS)
def create_reason() -> Any:
    form = ReturnReasonForm(prefix="new")
    if not form.validate_on_submit():
        return _page(422, new=form)
    try:
        reason = save_return_reason(
            db.session,
            current_actor(),
            label=form.label.data or "",
            sellable=form.sellable.data,
            restock=form.restock.data,
        )
    except DomainError as exc:
        db.session.rollback()
        attach_error(form, exc)
        return _page(422, new=form)
    db.session.commit()
    flash(f"“{reason.label}” added: the return screen offers it now.", "success")
    return _page(new=ReturnReasonForm(formdata=None, prefix="new"))


@bp.post("/reasons/<int:reason_id>")
@permission_required(Permission.PAGE_SETTINGS)
@permission_required(Permission.EDIT_SETTINGS)
def update_reason(reason_id: int) -> Any:
    reason = tenant_get_or_404(ReturnReason, reason_id)
    form = ReturnReasonForm(prefix=f"r{reason.id}")
    if not form.validate_on_submit():
        return _page(422, edited=(reason.id, form))
    try:
        save_return_reason(
            db.session,
            current_actor(),
            label=form.label.data or "",
            sellable=form.sellable.data,
            restock=form.restock.data,
            active=form.active.data,
            reason=reason,
        )
    except DomainError as exc:
        db.session.rollback()
        attach_error(form, exc)
        return _page(422, edited=(reason.id, form))
    db.session.commit()
    flash(f"“{reason.label}” saved.", "success")
    return _page(edited=(reason.id, ReturnReasonForm(formdata=None, obj=reason, prefix=f"r{reason.id}")))
