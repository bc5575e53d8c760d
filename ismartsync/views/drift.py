"""Inventory → Stock differences with Shopify: accept Shopify's quantity or push ours, and compare again."""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, flash
from flask_login import current_user

from ismartsync.access import current_actor, permission_required, tenant_get_or_404
from ismartsync.errors import DomainError
from ismartsync.extensions import db
from ismartsync.models import StockDrift
from ismartsync.permissions import Effect, Permission
from ismartsync.services.stock import reconciliation
from ismartsync.web.htmx import render

bp = Blueprint("drift", __name__, url_prefix="/inventory/drift")


def _page(fragment: str, status: int = 200, *, shown: StockDrift | None = None, **extra: object) -> object:
    merchant_id = current_user.merchant_id
    drifts = reconciliation.open_drifts(db.session, merchant_id)
    if shown is not None and shown not in drifts:
        drifts.insert(0, shown)  # a plain form's answer still shows the row it acted on, with its message
    context = {
        "drifts": drifts,
        "run": reconciliation.latest_reconciliation(db.session, merchant_id),
        "can_edit": current_user.effect(Permission.STOCK_EDIT) is not Effect.BLOCKED,
        "errors": {},
        **extra,
    }
    return render("drift/drifts.html", fragment, status, **context)


@bp.get("")
@permission_required(Permission.PAGE_INVENTORY)
def drifts() -> object:
    return _page("drift/_list.html")


def _resolve(drift_id: int, action: Callable[..., bool], done: str) -> object:
    drift = tenant_get_or_404(StockDrift, drift_id)
    try:
        acted = action(db.session, current_actor(), drift)
    except DomainError as exc:
        db.session.rollback()
        return _page("drift/_row.html", 422, shown=drift, drift=drift, errors={drift.id: exc.message})
    db.session.commit()
    if not acted:
        done = "ours and Shopify's agree again; nothing to do."
    flash(f"{drift.variant.display_name} at {drift.branch.name}: {done}", "success")
    return _page("drift/_row.html", shown=drift, drift=drift)


@bp.post("/<int:drift_id>/accept")
@permission_required(Permission.PAGE_INVENTORY)
@permission_required(Permission.STOCK_EDIT)
def accept_shopify(drift_id: int) -> object:
    return _resolve(drift_id, reconciliation.accept_shopify, "ours now matches Shopify.")


@bp.post("/<int:drift_id>/push")
@permission_required(Permission.PAGE_INVENTORY)
@permission_required(Permission.STOCK_EDIT)
def push_ours(drift_id: int) -> object:
    return _resolve(drift_id, reconciliation.push_ours, "ours is on its way to Shopify.")


@bp.post("/reconcile")
@permission_required(Permission.PAGE_INVENTORY)
@permission_required(Permission.STOCK_EDIT)
def start_reconciliation() -> object:
    ask_for_reconciliation()
    return _page("drift/_list.html")


def ask_for_reconciliation() -> None:
    """ "Compare with Shopify now" (here and on the sync health screen): queued, or why not, as a flash."""
    try:
        reconciliation.start_reconciliation(
            db.session, current_user.merchant_id, trigger="manual", actor=current_actor()
        )
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
    else:
        db.session.commit()
        flash("Comparing the stock of every linked branch with Shopify.", "success")
