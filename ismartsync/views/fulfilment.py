"""Fulfilment at the branches: pick and pack a fulfilment order by scanning its items, dispatch it with the
courier's tracking number, send a refused dispatch again; and the fulfilment workflow settings."""

from __future__ import annotations

import uuid
from typing import Any

from flask import Blueprint, flash, request, url_for
from flask_login import current_user
from sqlalchemy import select

from ismartsync.access import check_branch_visible, current_actor, permission_required, tenant_get_or_404
from ismartsync.errors import DomainError
from ismartsync.extensions import db
from ismartsync.forms import attach_error
from ismartsync.forms.fulfilment import WORKFLOW_CHOICES, DispatchForm, ScanForm, WorkflowForm
from ismartsync.inputs import parse_whole
from ismartsync.models import Branch, Dispatch, FulfilmentOrder, FulfilmentWorkflow
from ismartsync.models.fulfilment import WORKFLOW_LABELS
from ismartsync.permissions import Permission
from ismartsync.queue import enqueue_after_commit
from ismartsync.services.online_orders import fulfilment as service
from ismartsync.services.online_orders.fulfilment_arrivals import retry_failed
from ismartsync.web.htmx import hx_redirect_or, render

bp = Blueprint("fulfilment", __name__, url_prefix="/fulfilment")


def _fulfilment_order(fulfilment_order_id: int) -> FulfilmentOrder:
    fulfilment_order = tenant_get_or_404(FulfilmentOrder, fulfilment_order_id)
    check_branch_visible(fulfilment_order.branch_id)
    return fulfilment_order


def _picked() -> dict[int, int]:
    """The picker's counts so far, carried in the page as `picked-<line id>` (the server keeps no pick state)."""
    picked = {}
    for name, value in request.form.items():
        if name.startswith("picked-"):
            try:
                picked[parse_whole(name.removeprefix("picked-"), 1)] = parse_whole(value, 0, 100_000)
            except ValueError:
                continue
    return picked


def _page(fulfilment_order: FulfilmentOrder, status: int = 200, **context: Any) -> Any:
    lines = context.pop("lines", None) or service.pick_list(db.session, fulfilment_order, {})
    dispatches = db.session.scalars(
        select(Dispatch).where(Dispatch.fulfilment_order_id == fulfilment_order.id).order_by(Dispatch.id.desc())
    ).all()
    form = context.pop("dispatch_form", None) or DispatchForm(formdata=None, key=uuid.uuid4().hex)
    try:
        service.check_dispatchable(fulfilment_order, fulfilment_order.branch)  # type: ignore[arg-type]
        blocked = None
    except DomainError as exc:
        blocked = exc.message
    workflow = service.workflow_of(fulfilment_order.branch) if fulfilment_order.branch else None
    return render(
        "fulfilment/pick.html",
        "fulfilment/_pick.html",
        status,
        fo=fulfilment_order,
        order=fulfilment_order.order,
        lines=lines,
        complete=bool(lines) and all(p.complete for p in lines),
        dispatches=dispatches,
        scan_form=context.pop("scan_form", None) or ScanForm(formdata=None),
        dispatch_form=form,
        blocked=blocked,
        workflow=workflow,
        workflow_label=WORKFLOW_LABELS.get(workflow) if workflow else "",
        smart=workflow == FulfilmentWorkflow.SMART,
        can_dispatch=current_user.can(Permission.STOCK_EDIT),
        **context,
    )


@bp.get("/orders/<int:fulfilment_order_id>")
@permission_required(Permission.PAGE_ORDERS)
def pick(fulfilment_order_id: int) -> Any:
    return _page(_fulfilment_order(fulfilment_order_id))


@bp.post("/orders/<int:fulfilment_order_id>/scan")
@permission_required(Permission.PAGE_ORDERS)
@permission_required(Permission.STOCK_EDIT)
def scan_item(fulfilment_order_id: int) -> Any:
    """One scanned item counted against the pick list; a wrong one beeps (scan-miss) and says why."""
    fulfilment_order = _fulfilment_order(fulfilment_order_id)
    form = ScanForm()
    lines = service.pick_list(db.session, fulfilment_order, _picked())
    dispatch_form = DispatchForm(formdata=None, key=request.form.get("key") or uuid.uuid4().hex)
    if not form.validate_on_submit():
        body, status, headers = _page(fulfilment_order, 422, lines=lines, scan_form=form, dispatch_form=dispatch_form)
        return body, status, {**headers, "HX-Trigger": "scan-miss"}
    try:
        pick = service.scan_item(db.session, current_user.merchant_id, lines, form.code.data or "")
    except DomainError as exc:
        db.session.rollback()
        attach_error(form, exc)
        body, status, headers = _page(fulfilment_order, 422, lines=lines, scan_form=form, dispatch_form=dispatch_form)
        return body, status, {**headers, "HX-Trigger": "scan-miss"}
    body, status, headers = _page(
        fulfilment_order,
        lines=lines,
        dispatch_form=dispatch_form,
        scanned=f"{pick.title}: {pick.picked} of {pick.wanted}",
    )
    return body, status, {**headers, "HX-Trigger": "scan-hit"}


@bp.post("/orders/<int:fulfilment_order_id>/dispatch")
@permission_required(Permission.PAGE_ORDERS)
@permission_required(Permission.STOCK_EDIT)
def dispatch(fulfilment_order_id: int) -> Any:
    """Record the dispatch (and, for Smart Fulfilment, queue Shopify's fulfilment)."""
    fulfilment_order = _fulfilment_order(fulfilment_order_id)
    form = DispatchForm()
    picked = _picked()
    if form.validate_on_submit():
        try:
            service.dispatch_fulfilment_order(
                db.session,
                current_actor(),
                fulfilment_order,
                key=(form.key.data or "")[:64] or uuid.uuid4().hex,
                picked=picked,
                courier=form.courier.data or "",
                tracking_number=form.tracking_number.data or "",
            )
        except DomainError as exc:
            db.session.rollback()
            attach_error(form, exc)
        else:
            db.session.commit()
            flash(f"{fulfilment_order.order.name} dispatched.", "success")
            return hx_redirect_or(url_for("fulfilment.pick", fulfilment_order_id=fulfilment_order.id))
    lines = service.pick_list(db.session, fulfilment_order, picked)
    scan_form = ScanForm(formdata=None)
    if form.form_errors:
        scan_form.code.errors = list(form.form_errors)
        form.form_errors.clear()
    return _page(fulfilment_order, 422, lines=lines, dispatch_form=form, scan_form=scan_form)


@bp.post("/dispatches/<int:dispatch_id>/retry")
@permission_required(Permission.PAGE_ORDERS)
@permission_required(Permission.STOCK_EDIT)
def retry_dispatch(dispatch_id: int) -> Any:
    """Send a dispatch Shopify refused again (after the cause was fixed in Shopify)."""
    found = tenant_get_or_404(Dispatch, dispatch_id)
    check_branch_visible(found.branch_id)
    retry_failed(db.session, found)
    enqueue_after_commit(db.session, service.PUSH_JOB, found.id, queue="shopify", timeout=120, retries=0)
    db.session.commit()
    flash("Sent to Shopify again.", "success")
    return hx_redirect_or(url_for("fulfilment.pick", fulfilment_order_id=found.fulfilment_order_id))


# Settings


def _branches() -> list[Branch]:
    return list(
        db.session.scalars(select(Branch).where(Branch.merchant_id == current_user.merchant_id).order_by(Branch.name))
    )


def _settings_page(form: WorkflowForm, status: int = 200) -> Any:
    return render(
        "fulfilment/settings.html",
        "fulfilment/_settings_form.html",
        status,
        form=form,
        branches=_branches(),
        choices=WORKFLOW_CHOICES,
        can_edit=current_user.can(Permission.EDIT_SETTINGS),
    )


@bp.get("/settings")
@permission_required(Permission.PAGE_SETTINGS)
def settings() -> Any:
    return _settings_page(WorkflowForm(workflow=current_user.merchant.fulfilment_workflow))


@bp.post("/settings")
@permission_required(Permission.PAGE_SETTINGS)
@permission_required(Permission.EDIT_SETTINGS)
def update_settings() -> Any:
    form = WorkflowForm()
    if not form.validate_on_submit():
        return _settings_page(form, 422)
    branches = {b: (request.form.get(f"branch-{b.id}") or None) for b in _branches()}
    try:
        service.set_workflows(db.session, current_actor(), current_user.merchant, form.workflow.data, branches)
    except DomainError as exc:
        db.session.rollback()
        attach_error(form, exc)
        return _settings_page(form, 422)
    db.session.commit()
    flash("Fulfilment settings saved.", "success")
    return _settings_page(form)
