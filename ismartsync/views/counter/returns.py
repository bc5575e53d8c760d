"""Return mode on the counter screen: the scan box finds sales, not items (a receipt's barcode, a USIN, an FBR
number, or a customer's purchases), and the sale found shows as a panel. F10 or the Return button goes in; Esc, F10
or "Back to selling" comes out. What comes back and the refund are chosen on that panel (the returns' own views).

Every answer is the counter page in Return mode, or for htmx its #pos part (`counter/_return.html`: the find box and
the panel), so a plain link, a reload and htmx all show the same screen.
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from flask import abort, request, url_for
from flask_login import current_user

from ismartsync.access import permission_required, tenant_get_or_404
from ismartsync.errors import DomainError
from ismartsync.extensions import db
from ismartsync.models import Counter, Customer, Sale
from ismartsync.models.base import utcnow
from ismartsync.permissions import Effect, Permission
from ismartsync.services import customers
from ismartsync.services import sale_lookup as lookup
from ismartsync.services.sales import fiscal_document_for
from ismartsync.views.counter import bp
from ismartsync.views.counter.context import dialog, selling_counter
from ismartsync.web.htmx import is_htmx, render


def returning_counter() -> Counter:
    """This tablet's counter with the cashier's open shift (else back to the counter page); 403 when the member's
    role may make no return (one needing a supervisor's PIN may: the PIN is asked when the refund is made)."""
    counter = selling_counter()
    if current_user.effect(Permission.REFUND) is Effect.BLOCKED:
        abort(403)
    return counter


def return_screen(counter: Counter, status: int = 200, **context: Any) -> tuple[str, int, dict[str, str]]:
    """The counter in Return mode with `sale` found (or the customer's `purchases`, or neither yet)."""
    context = {"sale": None, "purchases": None, "customer": None, "code": "", "error": "", **context}
    sale: Sale | None = context["sale"]
    if sale is not None:
        context["fiscal"] = fiscal_document_for(db.session, sale)
        context["elsewhere"] = sale.branch_id != counter.branch_id
        context["days_ago"] = _days_ago(sale, counter)
    return render("counter/index.html", "counter/_return.html", status, counter=counter, returning=True, **context)


def _days_ago(sale: Sale, counter: Counter) -> int:
    """Calendar days since the sale in the merchant's time zone: 0 today, 1 yesterday (not hours over 24)."""
    if sale.placed_at is None:
        return 0
    zone = ZoneInfo(counter.merchant.time_zone)
    return max(0, (utcnow().astimezone(zone).date() - sale.placed_at.astimezone(zone).date()).days)


@bp.get("/returns")
@permission_required(Permission.PAGE_POS)
def returns() -> Any:
    """Return mode, nothing found yet: scan the receipt, type its USIN or FBR number, or pick the customer."""
    return return_screen(returning_counter())


@bp.get("/returns/find")
@permission_required(Permission.PAGE_POS)
def find_sale() -> Any:
    """What the scanner read or the cashier typed: the sale's panel, or 422 with why beside the field."""
    counter = returning_counter()
    code = request.args.get("code", "")
    try:
        sale = lookup.find_sale(db.session, counter.merchant_id, code)
    except DomainError as exc:
        body, status, headers = return_screen(counter, 422, code=code[: lookup.MAX_LOOKUP_LENGTH], error=exc.message)
        return body, status, {**headers, "HX-Trigger": "scan-miss"}
    body, status, headers = return_screen(counter, sale=sale)
    # The address bar names the sale, so a reload (or Back) shows it again.
    return body, status, {**headers, "HX-Push-Url": url_for("counter.return_sale", sale_id=sale.id)}


@bp.get("/returns/<int:sale_id>")
@permission_required(Permission.PAGE_POS)
def return_sale(sale_id: int) -> Any:
    """One of the merchant's sales on the Return panel (any branch's: the panel says which); the sale page's Return
    button and anything else that starts a return links here."""
    tenant_get_or_404(Sale, sale_id)  # another merchant's id is a 404 wherever the tablet is
    counter = returning_counter()
    sale = lookup.returnable_sale(db.session, counter.merchant_id, sale_id)
    if sale is None:
        abort(404)  # a draft is no sale to return from
    return return_screen(counter, sale=sale)


@bp.get("/returns/customers")
@permission_required(Permission.PAGE_POS)
def find_return_customer() -> Any:
    """The customer picker of Return mode: as the counter's, but a name leads to their purchases."""
    returning_counter()
    query = request.args.get("q", "")
    found = customers.find_customers(db.session, current_user.merchant_id, query)
    if request.headers.get("HX-Target") == "return-customer-results" and is_htmx():
        return render("counter/dialog.html", "counter/_return_customer_results.html", query=query, found=found)
    return dialog("counter/_return_customer.html", query=query, found=found)


@bp.get("/returns/customers/<int:customer_id>")
@permission_required(Permission.PAGE_POS)
def customer_purchases(customer_id: int) -> Any:
    """The customer's latest purchases at any branch, newest first; one tap shows a sale on the panel."""
    customer = tenant_get_or_404(Customer, customer_id)
    counter = returning_counter()
    purchases = lookup.customer_sales(db.session, counter.merchant_id, customer.id)
    return return_screen(counter, customer=customer, purchases=purchases)
