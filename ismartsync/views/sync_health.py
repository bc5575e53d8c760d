"""Settings → Sync health: what waits for Shopify or failed, the rate limit, webhooks, and the last comparison."""

from __future__ import annotations

from flask import Blueprint, current_app, flash
from flask_login import current_user

from ismartsync.access import current_actor, permission_required
from ismartsync.extensions import db
from ismartsync.permissions import Effect, Permission
from ismartsync.queue import redis_connection
from ismartsync.services.stock import push, sync_health
from ismartsync.views.drift import ask_for_reconciliation
from ismartsync.web.htmx import render

bp = Blueprint("sync_health", __name__, url_prefix="/settings/sync")


def _page(status: int = 200) -> object:
    """The whole screen, or for htmx (its own refresh, or an action's answer) only the status region."""
    return render(
        "sync_health/health.html",
        "sync_health/_status.html",
        status,
        health=sync_health.summary(db.session, current_user.merchant_id, redis_connection()),
        can_retry=current_user.effect(Permission.EDIT_SETTINGS) is not Effect.BLOCKED,
        can_compare=current_user.effect(Permission.STOCK_EDIT) is not Effect.BLOCKED,
        can_see_drift=current_user.can(Permission.PAGE_INVENTORY),
        reconcile_minutes=current_app.config.get("RECONCILE_INTERVAL_MINUTES") or 60,
        unverified_minutes=current_app.config.get("RECONCILE_UNVERIFIED_MINUTES") or 10,
    )


@bp.get("")
@permission_required(Permission.PAGE_SETTINGS)
def overview() -> object:
    return _page()


@bp.post("/retry")
@permission_required(Permission.PAGE_SETTINGS)
@permission_required(Permission.EDIT_SETTINGS)
def retry_failed() -> object:
    sent = push.retry_failed(db.session, current_actor(), current_user.merchant_id)
    db.session.commit()
    if sent:
        flash(f"{sent} stock {'change goes' if sent == 1 else 'changes go'} to Shopify again.", "success")
    else:
        flash("Nothing had failed. Changes waiting for a retry go now.", "success")
    return _page()


@bp.post("/reconcile")
@permission_required(Permission.PAGE_SETTINGS)
@permission_required(Permission.STOCK_EDIT)
def start_reconciliation() -> object:
    ask_for_reconciliation()
    return _page()
