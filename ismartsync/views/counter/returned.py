"""The screen after a return, as after a sale: the return receipt to print (80 or 58 mm) or to send to the customer's
phone (its link as a QR, by email with the credit note, by WhatsApp), the sale's page one tap away, and the next
customer."""

from __future__ import annotations

from typing import Any

from flask import abort, render_template, request, url_for
from flask_login import current_user

from ismartsync.access import check_branch_visible, permission_required
from ismartsync.extensions import db
from ismartsync.models import SaleReturn
from ismartsync.permissions import Permission
from ismartsync.services.fiscal.documents import document_of_return
from ismartsync.services.returns.reading import get_return
from ismartsync.views.counter import bp
from ismartsync.views.receipts import return_email_context, return_sharing
from ismartsync.web.htmx import render

PAPERS = ("80", "58")


def _recorded(return_id: int) -> SaleReturn:
    """The merchant's return, seen by its cashier or by whoever may see the branch's sales; else a 404."""
    found = get_return(db.session, current_user.merchant_id, return_id)
    if found is None:
        abort(404)
    check_branch_visible(found.branch_id)
    if found.cashier_id != current_user.id and not current_user.can(Permission.PAGE_ORDERS):
        abort(404)
    return found


@bp.get("/refunds/<int:return_id>")
@permission_required(Permission.PAGE_POS)
def return_done(return_id: int) -> Any:
    """The return just recorded: what went back how, and its receipt to print."""
    found = _recorded(return_id)
    fiscal = document_of_return(db.session, found.id)
    return render(
        "counter/return_done.html",
        None,
        sale_return=found,
        fiscal=fiscal,
        share=return_sharing(found),
        **return_email_context(found),
    )


@bp.get("/refunds/<int:return_id>/receipt")
@permission_required(Permission.PAGE_POS)
def return_receipt(return_id: int) -> Any:
    """The return receipt alone, on 80 or 58 mm paper, for the printer."""
    found = _recorded(return_id)
    paper = request.args.get("paper", "80")
    return render_template(
        "counter/return_receipt.html",
        sale_return=found,
        fiscal=document_of_return(db.session, found.id),
        paper=paper if paper in PAPERS else "80",
        back=url_for("counter.return_done", return_id=found.id),
    )
