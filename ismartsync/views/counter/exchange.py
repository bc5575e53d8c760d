"""An exchange in one ticket, started on the Return panel: what comes back is held on the cart (so it is parked and
recalled with it) while the new items are scanned in; the pay step (`pay.checkout`) then records both through
`services.returns.exchange.exchange_items`: a credit note for what came back and a sale for what went out."""

from __future__ import annotations

from typing import Any

from flask import abort, request, url_for

from ismartsync.access import current_actor, permission_required, tenant_get_or_404
from ismartsync.errors import DomainError
from ismartsync.extensions import db
from ismartsync.inputs import parse_id
from ismartsync.models import Sale
from ismartsync.permissions import Permission
from ismartsync.services import cart as carts
from ismartsync.services import sale_lookup as lookup
from ismartsync.services.returns import exchange as exchanges
from ismartsync.views.counter import bp
from ismartsync.views.counter.context import dialog, selling_counter
from ismartsync.views.counter.returns import read_return_form, return_screen, returning_counter
from ismartsync.web.htmx import hx_redirect_or


@bp.post("/returns/exchange")
@permission_required(Permission.PAGE_POS)
def start_exchange() -> Any:
    """Hold the lines chosen on the panel as an exchange and go to the cart for the new items; what is chosen is
    checked as a return would be (422 on the panel when it cannot come back)."""
    counter = returning_counter()
    if parse_id(request.form.get("sale_id")) is None:
        return dialog("counter/_return_refused.html", 422, error="Choose the sale that comes back.", field="sale_id")
    sale = tenant_get_or_404(Sale, request.form.get("sale_id"))
    if lookup.returnable_sale(db.session, counter.merchant_id, sale.id) is None:
        abort(404)
    try:
        exchanges.hold_exchange(db.session, current_actor(), counter, read_return_form(sale))
    except DomainError as exc:
        db.session.rollback()
        fragment = "counter/_return_actions.html"
        return return_screen(counter, 422, fragment=fragment, sale=sale, exchange_error=exc.message)
    db.session.commit()
    return hx_redirect_or(url_for("counter.index"))


@bp.post("/exchange/cancel")
@permission_required(Permission.PAGE_POS)
def cancel_exchange() -> Any:
    """Forget the exchange the cart holds: nothing was recorded; the cart stays as it is."""
    cart = carts.active_cart(db.session, selling_counter(), lock=True)
    if cart is not None:
        exchanges.drop_exchange(db.session, cart)
        db.session.commit()
    return hx_redirect_or(url_for("counter.index"))
