"""An online order's FBR documents for the parcel: the list of its invoices and credit notes (or why it has none),
each as an A4 PDF and as an 80/58 mm thermal page. Written at dispatch and at a refused parcel's return by
`services/online_orders/invoicing.py`; nothing here writes."""

from __future__ import annotations

from flask import Blueprint, Response, abort, render_template, request
from flask_login import current_user

from ismartsync.access import check_branch_visible, permission_required, tenant_get_or_404
from ismartsync.documents.online_invoices import document_context, online_invoice_filename, online_invoice_pdf
from ismartsync.extensions import db
from ismartsync.models import OnlineInvoice, OnlineOrder
from ismartsync.permissions import Permission
from ismartsync.services import sales as branch_access
from ismartsync.services.fiscal.online_counters import online_reporting_note
from ismartsync.services.online_orders.invoicing import document_of_online_invoice, invoices_of_order
from ismartsync.views.sales import PAPERS

bp = Blueprint("online_invoices", __name__, url_prefix="/online-orders")


def _visible_order(order_id: int) -> tuple[OnlineOrder, set[int]]:
    """The merchant's order at a branch the member may see (its fulfilment orders' or invoices'), else a 404; and
    the ids of the branches they may see."""
    order = tenant_get_or_404(OnlineOrder, order_id)
    visible = {b.id for b in branch_access.branches_for(db.session, current_user)}
    invoices = invoices_of_order(db.session, order.merchant_id, order.id)
    branch_ids = {f.branch_id for f in order.fulfilment_orders} | {i.branch_id for i in invoices}
    if not branch_ids & visible:
        abort(404)
    return order, visible


def _invoice_of(order: OnlineOrder, invoice_id: int) -> OnlineInvoice:
    online_invoice = tenant_get_or_404(OnlineInvoice, invoice_id)
    if online_invoice.order_id != order.id:
        abort(404)
    check_branch_visible(online_invoice.branch_id)
    return online_invoice


def _context(online_invoice: OnlineInvoice) -> dict[str, object]:
    fiscal = document_of_online_invoice(db.session, online_invoice.id)
    original = document_of_online_invoice(db.session, online_invoice.invoice_id) if online_invoice.invoice_id else None
    return document_context(online_invoice, fiscal, original)


@bp.get("/<int:order_id>/invoices")
@permission_required(Permission.PAGE_ORDERS)
def invoices(order_id: int) -> object:
    order, visible = _visible_order(order_id)
    found = [i for i in invoices_of_order(db.session, order.merchant_id, order.id) if i.branch_id in visible]
    branches = {f.branch for f in order.fulfilment_orders if f.branch is not None and f.branch_id in visible}
    notes = [
        note
        for branch in sorted(branches, key=lambda b: b.name)
        if (note := online_reporting_note(db.session, current_user.merchant, branch)) is not None
    ]
    return render_template(
        "online_orders/invoices.html",
        order=order,
        invoices=[(i, document_of_online_invoice(db.session, i.id)) for i in found],
        notes=notes,
    )


@bp.get("/<int:order_id>/invoices/<int:invoice_id>.pdf")
@permission_required(Permission.PAGE_ORDERS)
def invoice_pdf(order_id: int, invoice_id: int) -> object:
    """The A4 document, made afresh each time: once FBR has answered it carries the FBR number and QR."""
    order, _ = _visible_order(order_id)
    online_invoice = _invoice_of(order, invoice_id)
    context = _context(online_invoice)
    pdf = online_invoice_pdf(online_invoice, context["fiscal"], context["original"])  # type: ignore[arg-type]
    disposition = f'inline; filename="{online_invoice_filename(online_invoice)}"'
    return Response(pdf, mimetype="application/pdf", headers={"Content-Disposition": disposition})


@bp.get("/<int:order_id>/invoices/<int:invoice_id>/receipt")
@permission_required(Permission.PAGE_ORDERS)
def receipt(order_id: int, invoice_id: int) -> object:
    """The thermal copy for the parcel, on 80 mm paper unless `paper=58`."""
    order, _ = _visible_order(order_id)
    online_invoice = _invoice_of(order, invoice_id)
    paper = request.args.get("paper", "80")
    return render_template(
        "online_orders/invoice_receipt.html", paper=paper if paper in PAPERS else "80", **_context(online_invoice)
    )
