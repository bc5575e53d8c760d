"""Cancelling an online order from iSmartSync (managers): the confirmation saying what it does, and the request
that a job sends to Shopify (`pipelines/order_cancel.py`); the page follows it until Shopify has cancelled."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, url_for
from flask_login import current_user

from ismartsync.access import current_actor, permission_required, tenant_get_or_404
from ismartsync.errors import DomainError
from ismartsync.extensions import db
from ismartsync.forms import attach_error
from ismartsync.forms.order_cancel import CancelOrderForm
from ismartsync.models import CancelReason, OnlineOrder
from ismartsync.permissions import Permission
from ismartsync.services import sales as branch_access
from ismartsync.services.online_orders import cancel as cancellations
from ismartsync.web.htmx import hx_redirect_or, render

bp = Blueprint("order_cancel", __name__, url_prefix="/online-orders")


def _order_or_404(order_id: int) -> OnlineOrder:
    """The merchant's order at a branch the member works at (an order at no linked branch: members of every
    branch only); anything else is a 404."""
    order = tenant_get_or_404(OnlineOrder, order_id)
    if current_user.sees_every_branch:
        return order
    visible = {b.id for b in branch_access.branches_for(db.session, current_user)}
    if not {fo.branch_id for fo in order.fulfilment_orders} & visible:
        abort(404)
    return order


def _cancel_step(order: OnlineOrder, form: CancelOrderForm, status: int = 200) -> Any:
    return render(
        "online_orders/cancel.html",
        "online_orders/_cancel.html",
        status,
        order=order,
        plan=cancellations.plan_cancel(order),
        cancellation=cancellations.cancellation_of(db.session, order),
        form=form,
    )


@bp.get("/<int:order_id>/cancel")
@permission_required(Permission.PAGE_ORDERS)
@permission_required(Permission.CANCEL_ONLINE_ORDER)
def cancel_form(order_id: int) -> Any:
    return _cancel_step(_order_or_404(order_id), CancelOrderForm(formdata=None))


@bp.post("/<int:order_id>/cancel")
@permission_required(Permission.PAGE_ORDERS)
@permission_required(Permission.CANCEL_ONLINE_ORDER)
def cancel_order(order_id: int) -> Any:
    """Cancel the order in Shopify (sent by a job), releasing its reserved units once Shopify has; audited."""
    order = _order_or_404(order_id)
    form = CancelOrderForm()
    if not form.validate():
        return _cancel_step(order, form, 422)
    try:
        _, asked = cancellations.request_cancel(
            db.session, current_actor(), order, CancelReason(form.reason.data), form.note.data or ""
        )
    except DomainError as exc:
        db.session.rollback()
        attach_error(form, exc)
        return _cancel_step(_order_or_404(order_id), form, 422)
    db.session.commit()
    if asked:
        flash(f"Cancelling order {order.name} in Shopify.", "success")
    return hx_redirect_or(url_for("order_cancel.cancel_form", order_id=order.id))
