"""A sale's returns away from the counter: one return's page, and its A4 credit note as a PDF (the counter records
returns: views/counter/returns.py)."""

from __future__ import annotations

from flask import Blueprint, Response, abort
from flask_login import current_user

from ismartsync.access import permission_required
from ismartsync.documents.credit_notes import credit_note_filename, credit_note_pdf
from ismartsync.extensions import db
from ismartsync.models import SaleReturn
from ismartsync.permissions import Permission
from ismartsync.services.fiscal.documents import document_of_return, document_of_sale
from ismartsync.services.returns.reading import get_return
from ismartsync.services.sales import branches_for
from ismartsync.views.sales import printing_allowed
from ismartsync.web.htmx import render

bp = Blueprint("sale_returns", __name__, url_prefix="/sales/returns")


def visible_return(return_id: int) -> SaleReturn:
    """A return of the member's merchant taken at, or of a sale of, a branch they see; anything else is a 404."""
    found = get_return(db.session, current_user.merchant_id, return_id)
    if found is None:
        abort(404)
    seen = {b.id for b in branches_for(db.session, current_user)}
    if found.branch_id not in seen and (found.sale is None or found.sale.branch_id not in seen):
        abort(404)
    return found


def credit_note_response(sale_return: SaleReturn, *, masked: bool, disposition: str, **headers: str) -> Response:
    """The credit note PDF, made afresh each time (like the tax invoice), so once FBR has answered it carries the
    credit note's FBR number and QR."""
    fiscal = document_of_return(db.session, sale_return.id)
    original = document_of_sale(db.session, sale_return.sale_id) if sale_return.sale_id else None
    pdf = credit_note_pdf(sale_return, fiscal, original, masked=masked)
    headers["Content-Disposition"] = f'{disposition}; filename="{credit_note_filename(sale_return)}"'
    return Response(pdf, mimetype="application/pdf", headers=headers)


@bp.get("/<int:return_id>")
@permission_required(Permission.PAGE_ORDERS)
def sale_return(return_id: int) -> object:
    found = visible_return(return_id)
    return render(
        "sales/return.html",
        None,
        sale_return=found,
        fiscal=document_of_return(db.session, found.id),
        original=document_of_sale(db.session, found.sale_id) if found.sale_id else None,
    )


@bp.get("/<int:return_id>/credit-note.pdf")
@printing_allowed
def credit_note(return_id: int) -> object:
    """The A4 credit note as a download named by its USIN (the buyer in full: the merchant's own copy)."""
    return credit_note_response(visible_return(return_id), masked=False, disposition="attachment")
