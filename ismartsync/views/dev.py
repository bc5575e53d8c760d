"""Development outbox: the emails the demo would have sent (registered only with DEV_OUTBOX on)."""

from __future__ import annotations

from flask import Blueprint, render_template
from sqlalchemy import select

from ismartsync.extensions import db
from ismartsync.models import OutgoingEmail

bp = Blueprint("dev", __name__, url_prefix="/dev")


@bp.get("/outbox")
def outbox() -> str:
    emails = db.session.scalars(select(OutgoingEmail).order_by(OutgoingEmail.id.desc()).limit(50)).all()
    return render_template("dev/outbox.html", emails=emails)
