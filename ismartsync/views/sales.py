"""Sales: the live sales list (one branch or all of them), one sale in full, its printable receipt (80 or 58 mm) and
A4 tax invoice."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from urllib.parse import urlsplit

from flask import Blueprint, Response, abort, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from ismartsync.access import authorize, check_branch_visible, current_counter, permission_required, tenant_get_or_404
from ismartsync.documents.invoices import invoice_filename, sale_invoice_pdf
from ismartsync.extensions import db
from ismartsync.inputs import page_number, parse_day, parse_id, safe_next
from ismartsync.models import Branch, Sale, SaleStatus, User
from ismartsync.permissions import Effect, Permission
from ismartsync.services import sales as service
from ismartsync.services.returns.reading import credit_notes_of, returns_of_sale
from ismartsync.web.htmx import render

bp = Blueprint("sales", __name__, url_prefix="/sales")
PAPERS = ("80", "58")
FILTER_NAMES = ("q", "status", "since", "until", "cashier", "register", "shift")
ALL_BRANCHES = "all"  # the branch picker's value for every branch the member sees


def chosen_branch(branches: list[Branch]) -> Branch | None:
    """The branch asked for (404 unless the member may see it), else the paired tablet's, else the first."""
    visible = {b.id: b for b in branches}
    if raw := request.args.get("branch", ""):
        wanted = tenant_get_or_404(Branch, raw)
        if wanted.id not in visible:
            abort(404)
        return wanted
    counter = current_counter()
    if counter is not None and counter.branch_id in visible:
        return visible[counter.branch_id]
    return branches[0] if branches else None


def listed_branch(branches: list[Branch]) -> Branch | None:
    """The one branch the sales list shows, or None for all of the member's branches: asked for with "all", and
    where a member who sees every branch lands, unless the tablet is paired to a counter (then its branch)."""
    raw = request.args.get("branch", "")
    if raw == ALL_BRANCHES:
        return None
    if not raw and len(branches) > 1 and current_user.sees_every_branch and current_counter() is None:
        return None
    return chosen_branch(branches)


def visible_sale(sale: Sale | None) -> Sale:
    """A sale of a branch the member may see; anything else is a 404, like another tenant's sale."""
    if sale is None:
        abort(404)
    check_branch_visible(sale.branch_id)
    return sale


@bp.get("")
@permission_required(Permission.PAGE_ORDERS)
def sales() -> object:
    branches = service.branches_for(db.session, current_user)
    branch = listed_branch(branches)
    args = {k: request.args.get(k, "").strip() for k in FILTER_NAMES}
    if args["cashier"]:
        args["cashier"] = str(tenant_get_or_404(User, args["cashier"]).id)
    found = None
    if branches:
        filters = service.SaleFilters(
            branch_ids=(branch.id,) if branch else tuple(b.id for b in branches),
            text=args["q"],
            status=args["status"] if args["status"] in set(SaleStatus) else "",
            since=parse_day(args["since"]),
            until=parse_day(args["until"]),
            cashier_id=parse_id(args["cashier"]),
            register_id=parse_id(args["register"]),
            shift_id=parse_id(args["shift"]),
        )
        page = request.args.get("page", 1, page_number)
        found = service.search_sales(db.session, current_user.merchant_id, filters, page)
    query = {k: v for k, v in args.items() if v} | {"branch": branch.id if branch else ALL_BRANCHES}
    return render(
        "sales/sales.html",
        "sales/_list.html",
        branches=branches,
        branch=branch,
        all_branches=ALL_BRANCHES,
        found=found,
        filters=args,
        query=query,
        statuses=list(SaleStatus),
        cashiers=db.session.scalars(
            select(User).where(User.merchant_id == current_user.merchant_id).order_by(User.full_name)
        ).all(),
    )


@bp.get("/<int:sale_id>")
@permission_required(Permission.PAGE_ORDERS)
def sale(sale_id: int) -> object:
    found = visible_sale(service.get_sale(db.session, current_user.merchant_id, sale_id))
    returns = [] if found.is_draft else returns_of_sale(db.session, found)
    return render(
        "sales/sale.html",
        None,
        sale=found,
        fiscal=service.fiscal_document_for(db.session, found),
        may_return=_may_return(found),
        returns=returns,
        credit_notes=credit_notes_of(db.session, returns),
    )


def _may_return(sale: Sale) -> bool:
    """Offer a return from this sale: placed, and the member sells at a counter and may make returns (the counter's
    Return mode checks the same; a supervisor's PIN, if the role needs one, is asked when the refund is made)."""
    return (
        not sale.is_draft
        and current_user.can(Permission.PAGE_POS)
        and current_user.effect(Permission.REFUND) is not Effect.BLOCKED
    )


def printing_allowed(view: Callable[..., object]) -> Callable[..., object]:
    """The sales page may print any receipt or invoice; a cashier at the counter prints the one just rung up."""

    @wraps(view)
    @login_required
    def wrapped(*args: object, **kwargs: object) -> object:
        if not current_user.can(Permission.PAGE_POS) and (refusal := authorize(Permission.PAGE_ORDERS)) is not None:
            return refusal
        return view(*args, **kwargs)

    return wrapped


@bp.get("/<int:sale_id>/receipt")
@printing_allowed
def receipt(sale_id: int) -> object:
    found = visible_sale(service.sale_for_receipt(db.session, current_user.merchant_id, sale_id))
    paper = request.args.get("paper", "80")
    return render_template(
        "sales/receipt.html",
        sale=found,
        fiscal=service.fiscal_document_for(db.session, found),
        paper=paper if paper in PAPERS else "80",
        back=_back(found),
    )


@bp.get("/<int:sale_id>/invoice.pdf")
@printing_allowed
def invoice_pdf(sale_id: int) -> object:
    """The A4 tax invoice as a download named by its USIN; made afresh each time, so once FBR has answered it
    carries the FBR number and QR."""
    found = visible_sale(service.sale_for_receipt(db.session, current_user.merchant_id, sale_id))
    pdf = sale_invoice_pdf(found, service.fiscal_document_for(db.session, found))
    disposition = f'attachment; filename="{invoice_filename(found)}"'
    return Response(pdf, mimetype="application/pdf", headers={"Content-Disposition": disposition})


def _back(sale: Sale) -> str:
    """Where "Back" leads: the screen of ours the receipt was opened from (the counter, the list, the sale), else
    the sale page, or the counter for a member who only sells."""
    came_from = urlsplit(request.referrer or "")
    path = came_from.path + (f"?{came_from.query}" if came_from.query else "")
    if came_from.netloc == request.host and came_from.path not in ("", request.path) and safe_next(path, "") == path:
        return path
    if current_user.can(Permission.PAGE_ORDERS):
        return url_for("sales.sale", sale_id=sale.id)
    return url_for("counter.index")
