"""Customers: the merchant's list, searched by name, phone or email (adding one at the counter is views/counter)."""

from __future__ import annotations

from flask import Blueprint, request
from flask_login import current_user
from sqlalchemy import func, or_, select

from ismartsync.access import permission_required
from ismartsync.extensions import db
from ismartsync.inputs import page_number
from ismartsync.models import Customer
from ismartsync.permissions import Permission
from ismartsync.web.htmx import render

bp = Blueprint("customers", __name__)
PAGE_SIZE = 50


@bp.get("/customers")
@permission_required(Permission.PAGE_ORDERS)
def customers() -> object:
    term = request.args.get("q", "").strip()
    page = request.args.get("page", 1, type=page_number)
    query = select(Customer).where(Customer.merchant_id == current_user.merchant_id)
    if term:
        lowered = term.lower()
        query = query.where(
            or_(
                func.lower(Customer.first_name + " " + Customer.last_name).contains(lowered, autoescape=True),
                func.lower(Customer.email).contains(lowered, autoescape=True),
                Customer.phone.contains(lowered, autoescape=True),
            )
        )
    rows = db.session.scalars(
        query.order_by(Customer.first_name, Customer.last_name, Customer.id)
        .limit(PAGE_SIZE + 1)
        .offset((page - 1) * PAGE_SIZE)
    ).all()
    return render(
        "customers/customers.html",
        "customers/_customer_rows.html",
        customers=rows[:PAGE_SIZE],
        q=term,
        page=page,
        has_more=len(rows) > PAGE_SIZE,
    )
