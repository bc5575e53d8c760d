"""Development outbox: the emails the demo would have sent (registered only with DEV_OUTBOX on)."""

from __future__ import annotations

from flask import Blueprint, render_template, url_for
from sqlalchemy import select

from ismartsync.extensions import db
from ismartsync.models import OutgoingEmail, Sale
from ismartsync.services.e_receipts import SALE_INVOICE, receipt_token

bp = Blueprint("dev", __name__, url_prefix="/dev")


@bp.get("/outbox")
def outbox() -> str:
    emails = db.session.scalars(select(OutgoingEmail).order_by(OutgoingEmail.id.desc()).limit(50)).all()
    return render_template("dev/outbox.html", emails=emails, attachment_url=_attachment_url)


def _attachment_url(email: OutgoingEmail, attachment: dict) -> str | None:
    """Where the attachment can be seen as the customer gets it: a sale's invoice through the receipt link."""
    sale = db.session.get(Sale, attachment["sale_id"]) if attachment.get("kind") == SALE_INVOICE else None
    return url_for("receipts.invoice_pdf", token=receipt_token(sale)) if sale is not None else None
