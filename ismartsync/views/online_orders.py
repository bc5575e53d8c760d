"""Smart Orders: the online orders a branch (or all of the member's branches) has to ship, filtered and paged and
updating itself; one order in full with the stock of each line at every branch; COD confirmation (call, WhatsApp,
the outcome recorded); and a manager's move of a fulfilment order to another branch."""

from __future__ import annotations

from uuid import uuid4

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_login import current_user

from ismartsync.access import check_branch_visible, current_actor, permission_required, tenant_get_or_404
from ismartsync.errors import DomainError
from ismartsync.extensions import db
from ismartsync.inputs import parse_day
from ismartsync.models import Branch, Merchant
from ismartsync.models.online_order import FulfilmentOrder, OnlineOrder
from ismartsync.models.order_work import ConfirmationOutcome, MoveStatus
from ismartsync.permissions import Permission
from ismartsync.services import sales as branch_access
from ismartsync.services.online_orders import confirmation, listing, moves
from ismartsync.views.sales import ALL_BRANCHES, listed_branch
from ismartsync.web.htmx import is_htmx, render

bp = Blueprint("online_orders", __name__, url_prefix="/online-orders")
FILTER_NAMES = ("q", "status", "cod", "since", "until", "confirmation")


@bp.get("")
@permission_required(Permission.PAGE_ORDERS)
def orders() -> object:
    branches = branch_access.branches_for(db.session, current_user)
    branch = listed_branch(branches) if branches else None
    args = {k: request.args.get(k, "").strip()[:64] for k in FILTER_NAMES}
    ids = (branch.id,) if branch else tuple(b.id for b in branches)
    filters = listing.OrderFilters(
        branch_ids=ids,
        text=args["q"],
        status=args["status"] if args["status"] in set(listing.ListStatus) else "",
        cod=args["cod"] if args["cod"] in {"cod", "prepaid"} else "",
        since=parse_day(args["since"]),
        until=parse_day(args["until"]),
        confirmation=args["confirmation"]
        if args["confirmation"] in {*ConfirmationOutcome, listing.NO_CONFIRMATION}
        else "",
    )
    cursor = request.args.get("after", "")[:80]
    found = listing.search_orders(db.session, current_user.merchant_id, filters, cursor)
    query = {k: v for k, v in args.items() if v} | {"branch": branch.id if branch else ALL_BRANCHES}
    return render(
        "online_orders/orders.html",
        "online_orders/_list.html",
        branches=branches,
        branch=branch,
        branch_ids=set(ids),
        all_branches=ALL_BRANCHES,
        found=found,
        filters=args,
        query=query,
        after=cursor if listing.parse_cursor(cursor) else "",
        statuses=list(listing.ListStatus),
        outcomes=list(ConfirmationOutcome),
        no_confirmation=listing.NO_CONFIRMATION,
    )


@bp.get("/<int:order_id>")
@permission_required(Permission.PAGE_ORDERS)
def order(order_id: int) -> object:
    return _order_page(_visible_order(order_id))


@bp.get("/<int:order_id>/fulfilment")
@permission_required(Permission.PAGE_ORDERS)
def fulfilment(order_id: int) -> object:
    """The fulfilment orders section alone: polled while a move waits for Shopify."""
    return render("online_orders/_fulfilment.html", None, **_fulfilment_context(_visible_order(order_id)))


@bp.post("/<int:order_id>/confirmations")
@permission_required(Permission.PAGE_ORDERS)
@permission_required(Permission.CONFIRM_ORDERS)
def record_confirmation(order_id: int) -> object:
    found = _visible_order(order_id)
    try:
        attempt = confirmation.record_confirmation(
            db.session,
            current_actor(),
            found,
            request.form.get("outcome", ""),
            request.form.get("note", ""),
            request.form.get("request_key", ""),
        )
    except DomainError as exc:
        db.session.rollback()
        return _order_page(found, 422, confirm_error=exc, confirm_form=request.form)
    db.session.commit()
    if not is_htmx():
        flash(f"Order {found.name}: {attempt.outcome_label.lower()}.", "success")
        return redirect(url_for("online_orders.order", order_id=found.id), code=303)
    return _order_page(found)


@bp.post("/fulfilment-orders/<int:fulfilment_order_id>/moves")
@permission_required(Permission.PAGE_ORDERS)
@permission_required(Permission.MOVE_ORDERS)
def move(fulfilment_order_id: int) -> object:
    fulfilment_order = tenant_get_or_404(FulfilmentOrder, fulfilment_order_id)
    found = _visible_order(fulfilment_order.order_id)
    if not current_user.sees_every_branch:  # the part at a branch they do not work at is not theirs to move
        check_branch_visible(fulfilment_order.branch_id)
    branch_id = request.form.get("branch_id", "")
    if not branch_id:
        error = DomainError("Choose the branch to move it to.", "branch_id")
        return _order_page(found, 422, move_error=(fulfilment_order.id, error))
    branch = tenant_get_or_404(Branch, branch_id)
    try:
        moves.request_move(db.session, current_actor(), fulfilment_order, branch, request.form.get("request_key", ""))
    except DomainError as exc:
        db.session.rollback()
        return _order_page(found, 422, move_error=(fulfilment_order.id, exc))
    db.session.commit()
    if not is_htmx():
        return redirect(url_for("online_orders.order", order_id=found.id), code=303)
    return _order_page(found)


def _visible_order(order_id: int) -> OnlineOrder:
    """An order of the member's merchant with a fulfilment order at a branch they see (any order for a member who
    sees every branch); anything else is a 404, like another merchant's."""
    found = tenant_get_or_404(OnlineOrder, order_id)
    if current_user.sees_every_branch:
        return found
    visible = _visible_branch_ids()
    if not any(fo.branch_id in visible for fo in found.fulfilment_orders):
        abort(404)
    return found


def _visible_branch_ids() -> set[int]:
    return {b.id for b in branch_access.branches_for(db.session, current_user)}


def _order_page(found: OnlineOrder, status: int = 200, **extra: object) -> object:
    merchant = db.session.get(Merchant, current_user.merchant_id)
    shop_name = merchant.brand_name or merchant.legal_name if merchant else ""
    history = confirmation.confirmations_of(db.session, found)
    stock = moves.stock_at_branches(db.session, found.merchant_id, [line.variant_id for line in found.lines])
    return render(
        "online_orders/order.html",
        "online_orders/_order.html",
        status,
        confirmations=history,
        latest=history[0] if history else None,
        call_link=confirmation.call_link(found),
        whatsapp_link=confirmation.whatsapp_link(found, shop_name),
        address=confirmation.address_text(found),
        outcomes=list(ConfirmationOutcome),
        may_confirm=current_user.can(Permission.CONFIRM_ORDERS) and not found.is_cancelled,
        request_key=uuid4().hex,
        stock=stock,
        # Pick and pack is offered only for the parts at branches the member works at (every part: all branches).
        branch_ids=None if current_user.sees_every_branch else _visible_branch_ids(),
        confirm_error=extra.pop("confirm_error", None),
        confirm_form=extra.pop("confirm_form", {}),
        **_fulfilment_context(found, extra.pop("move_error", None)),
    )


def _fulfilment_context(found: OnlineOrder, move_error: tuple[int, DomainError] | None = None) -> dict[str, object]:
    may_move = current_user.can(Permission.MOVE_ORDERS)
    pending = {fo.id: moves.pending_move(db.session, fo) for fo in found.fulfilment_orders}
    return {
        "order": found,
        "branches": [b for b, _ in moves.merchant_branches(db.session, found.merchant_id)],
        "fo_stock": moves.stock_at_branches(db.session, found.merchant_id, [line.variant_id for line in found.lines]),
        "may_move": may_move,
        "options": {fo.id: moves.move_options(db.session, fo) for fo in found.fulfilment_orders} if may_move else {},
        "cannot_move": {fo.id: moves.why_it_cannot_move(fo) for fo in found.fulfilment_orders},
        "pending": pending,
        "waiting": any(pending.values()),
        "waiting_long": any(m.message for m in pending.values() if m),  # Shopify was down: ask less often
        "recent_moves": moves.moves_of(db.session, found)[:5],
        "move_error": move_error,
        "move_key": uuid4().hex,
        "MoveStatus": MoveStatus,
    }
