"""Online orders: a read-only list of the Shopify orders a branch (or all of the member's branches) has to ship,
found by order name or phone. Picking, dispatch and COD confirmation come later."""

from __future__ import annotations

from flask import Blueprint, request
from flask_login import current_user

from ismartsync.access import permission_required
from ismartsync.extensions import db
from ismartsync.permissions import Permission
from ismartsync.services import sales as branch_access
from ismartsync.services.online_orders.listing import LIMIT, orders_at_branches
from ismartsync.views.sales import ALL_BRANCHES, listed_branch
from ismartsync.web.htmx import render

bp = Blueprint("online_orders", __name__, url_prefix="/online-orders")


@bp.get("")
@permission_required(Permission.PAGE_ORDERS)
def orders() -> object:
    branches = branch_access.branches_for(db.session, current_user)
    branch = listed_branch(branches) if branches else None
    text = request.args.get("q", "").strip()[:64]
    ids = (branch.id,) if branch else tuple(b.id for b in branches)
    found = orders_at_branches(db.session, current_user.merchant_id, ids, text)
    return render(
        "online_orders/orders.html",
        "online_orders/_list.html",
        branches=branches,
        branch=branch,
        branch_ids=set(ids),
        all_branches=ALL_BRANCHES,
        orders=found,
        q=text,
        limit=LIMIT,
    )
