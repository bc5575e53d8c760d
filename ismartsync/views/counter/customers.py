"""The customer on the cart: found by phone or name, or added while they wait (the customer list is views/customers)."""

from __future__ import annotations

from typing import Any

from flask import request

from ismartsync.access import current_actor, permission_required, tenant_get_or_404
from ismartsync.extensions import db
from ismartsync.forms.counter import CustomerForm
from ismartsync.models import Customer
from ismartsync.permissions import Permission
from ismartsync.services import cart as carts
from ismartsync.services import customers
from ismartsync.views.counter import bp
from ismartsync.views.counter.context import changed, dialog, selling_counter
from ismartsync.web.htmx import is_htmx, render


@bp.get("/cart/customer")
@permission_required(Permission.PAGE_POS)
def find_customer() -> Any:
    counter = selling_counter()
    query = request.args.get("q", "")
    found = customers.find_customers(db.session, counter.merchant_id, query)
    template = "counter/_customer_results.html" if request.headers.get("HX-Target") == "customer-results" else None
    if template and is_htmx():
        return render("counter/dialog.html", template, query=query, found=found)
    return dialog("counter/_customer.html", query=query, found=found, form=CustomerForm(formdata=None))


@bp.post("/cart/customer")
@permission_required(Permission.PAGE_POS)
def attach_customer() -> Any:
    counter = selling_counter()
    cart = carts.open_cart(db.session, current_actor(), counter)
    raw = request.form.get("customer_id", "")
    cart.customer = tenant_get_or_404(Customer, raw) if raw else None
    return changed(counter, cart)


@bp.post("/cart/customer/new")
@permission_required(Permission.PAGE_POS)
def add_customer() -> Any:
    counter = selling_counter()
    form = CustomerForm()
    if not form.validate():
        return dialog("counter/_customer.html", 422, query="", found=[], form=form)
    customer, is_new = customers.add_customer(
        db.session, current_actor(), form.name.data, form.phone.data, form.cnic.data or "", form.ntn.data or ""
    )
    cart = carts.open_cart(db.session, current_actor(), counter)
    cart.customer = customer
    if is_new:
        return changed(counter, cart)
    note = f"{customer.phone} is already {customer.full_name}'s number: attached them. Check the name before paying."
    return changed(counter, cart, message=note, message_kind="info")
