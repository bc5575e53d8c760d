"""The dashboard shell: what the signed-in member can reach from here, and what needs their attention."""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, current_app, render_template
from flask_login import current_user, login_required

from ismartsync.extensions import db
from ismartsync.models.base import utcnow
from ismartsync.permissions import Permission
from ismartsync.services.fiscal.overdue import Overdue, overdue_count

bp = Blueprint("dashboard", __name__)


@bp.get("/")
@login_required
def index() -> str:
    overdue = Overdue()
    if current_user.can(Permission.PAGE_REPORTS):
        hours = int(current_app.config["FISCAL_ALERT_HOURS"])
        overdue = overdue_count(db.session, current_user.merchant_id, utcnow() - timedelta(hours=hours))
    return render_template("dashboard/index.html", fbr_overdue=overdue)
