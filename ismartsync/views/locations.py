"""Settings → Shopify locations and imports: link branches to locations, import the catalog, watch progress."""

from __future__ import annotations

from flask import Blueprint, flash, request, url_for
from flask_login import current_user
from sqlalchemy import select

from ismartsync.access import current_actor, permission_required, tenant_get_or_404
from ismartsync.errors import DomainError
from ismartsync.extensions import db
from ismartsync.models import Branch, ImportRun, ImportStatus, ShopifyLocation
from ismartsync.permissions import Permission
from ismartsync.services.shopify_store import locations as shopify_locations
from ismartsync.services.shopify_store.connection import connection_of
from ismartsync.web.htmx import hx_redirect_or, render

bp = Blueprint("locations", __name__, url_prefix="/settings")


def _locations(merchant_id: int) -> list[ShopifyLocation]:
    return list(
        db.session.scalars(
            select(ShopifyLocation).where(ShopifyLocation.merchant_id == merchant_id).order_by(ShopifyLocation.name)
        )
    )


def _page(status: int = 200, fragment: str | None = None, **extra: object) -> object:
    merchant_id = current_user.merchant_id
    context = {
        "branches": db.session.scalars(select(Branch).where(Branch.merchant_id == merchant_id).order_by(Branch.name)),
        "locations": extra["locations"] if "locations" in extra else _locations(merchant_id),
        "connection": connection_of(db.session, merchant_id),
        "run": shopify_locations.latest_run(db.session, merchant_id),
        "can_edit": current_user.can(Permission.EDIT_SETTINGS),
        "errors": {},
        **extra,
    }
    context["branches"] = list(context["branches"])  # type: ignore[call-overload]
    return render("locations/index.html", fragment, status, **context)


@bp.get("/locations")
@permission_required(Permission.PAGE_SETTINGS)
def index() -> object:
    return _page()


@bp.post("/locations/<int:branch_id>")
@permission_required(Permission.PAGE_SETTINGS)
@permission_required(Permission.EDIT_SETTINGS)
def map_location(branch_id: int) -> object:
    branch = tenant_get_or_404(Branch, branch_id)
    raw = request.form.get("location_id", "")
    location = tenant_get_or_404(ShopifyLocation, raw) if raw else None
    try:
        shopify_locations.map_branch(db.session, current_actor(), branch, location)
    except DomainError as exc:
        db.session.rollback()
        return _page(422, "locations/_mapping.html", errors={branch.id: exc.message})
    db.session.commit()
    if location is not None:
        flash(f"{branch.name} now follows {location.name}. Run an import to bring in its stock.", "success")
    return _page(fragment="locations/_mapping.html")


@bp.post("/imports")
@permission_required(Permission.PAGE_SETTINGS)
@permission_required(Permission.EDIT_SETTINGS)
def start_import() -> object:
    kind = request.form.get("kind") or None
    if kind not in (None, shopify_locations.ImportKind.FULL, shopify_locations.ImportKind.INCREMENTAL):
        kind = None
    try:
        shopify_locations.start_import(db.session, current_actor(), kind)
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
    else:
        db.session.commit()
    return hx_redirect_or(url_for("locations.index"))


@bp.get("/imports/<int:run_id>")
@permission_required(Permission.PAGE_SETTINGS)
def import_progress(run_id: int) -> object:
    """The import card while it runs, and the mapping card with it when the locations changed from what the page
    shows (`locations`, the count it had) or the run has finished: no reload to link the locations an import brings."""
    run = tenant_get_or_404(ImportRun, run_id)
    locations = _locations(run.merchant_id)
    finished = run.status not in (ImportStatus.QUEUED, ImportStatus.RUNNING)
    refresh = finished or request.args.get("locations", type=int) != len(locations)
    return _page(fragment="locations/_progress.html", run=run, locations=locations, refresh_mapping=refresh)
