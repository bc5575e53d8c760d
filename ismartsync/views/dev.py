"""Development outbox: the emails the demo would have sent (registered only with DEV_OUTBOX on, in debug)."""

from __future__ import annotations

import ipaddress

from flask import Blueprint, abort, render_template, request, url_for
from sqlalchemy import select

from ismartsync.extensions import db
from ismartsync.models import OutgoingEmail, Sale, SaleReturn
from ismartsync.services.e_receipts import CREDIT_NOTE, SALE_INVOICE, receipt_token

bp = Blueprint("dev", __name__, url_prefix="/dev")


@bp.before_request
def _loopback_only() -> None:
    """Only the developer's own machine: a demo reachable from the shop's network must not show reset links."""
    try:
        local = ipaddress.ip_address(request.remote_addr or "").is_loopback
    except ValueError:
        local = False
    if not local:
        abort(404)


@bp.get("/outbox")
def outbox() -> str:
    emails = db.session.scalars(select(OutgoingEmail).order_by(OutgoingEmail.id.desc()).limit(50)).all()
    return render_template("dev/outbox.html", emails=emails, attachment_url=_attachment_url)


def _attachment_url(email: OutgoingEmail, attachment: dict) -> str | None:
    """Where the attachment can be seen as the customer gets it: a sale's invoice (or a return's credit note)
    through the receipt link."""
    if attachment.get("kind") == CREDIT_NOTE:
        found = db.session.get(SaleReturn, attachment["sale_return_id"])
        if found is None or found.sale is None:
            return None
        token = receipt_token(found.sale)
        return url_for("receipts.credit_note_pdf", token=token, return_id=found.id)
    sale = db.session.get(Sale, attachment["sale_id"]) if attachment.get("kind") == SALE_INVOICE else None
    return url_for("receipts.invoice_pdf", token=receipt_token(sale)) if sale is not None else None
