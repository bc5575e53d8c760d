"""E-receipts: a sale's receipt page and tax invoice behind its link (no sign-in, for the customer's phone; open for
the days the merchant set, then a polite 410; a few requests a minute per address), the sale's returns and their
credit notes behind the same link, and sending that link from the counter by email or WhatsApp."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, Response, abort, current_app, flash, make_response, redirect, render_template, url_for
from flask_login import current_user

from ismartsync.access import current_actor
from ismartsync.documents.invoices import invoice_filename, sale_invoice_pdf
from ismartsync.extensions import db, limiter
from ismartsync.forms.receipts import EmailReceiptForm
from ismartsync.models import Sale, SaleReturn
from ismartsync.models.base import utcnow
from ismartsync.permissions import Permission
from ismartsync.services import e_receipts
from ismartsync.services import sales as sales_service
from ismartsync.services.fiscal.documents import document_of_return
from ismartsync.services.returns.reading import get_return, returns_of_sale
from ismartsync.views.sale_returns import credit_note_response, visible_return
from ismartsync.views.sales import printing_allowed, visible_sale
from ismartsync.web.htmx import is_htmx, render

bp = Blueprint("receipts", __name__)
# The customer's pages are not for search engines, and are not framed or cached (the app's headers see to those).
NOT_INDEXED = {"X-Robots-Tag": "noindex, nofollow"}


@dataclass(frozen=True)
class Sharing:
    """What the screen after checkout offers for the customer's phone."""

    link: str  # the signed public link, absolute
    whatsapp: str
    mobile: str | None  # the buyer's mobile the WhatsApp link opens a chat with (shown with the `mobile` filter)
    form: EmailReceiptForm


def receipt_link(sale: Sale) -> str:
    return url_for("receipts.receipt", token=e_receipts.receipt_token(sale), _external=True)


def sharing(sale: Sale, form: EmailReceiptForm | None = None) -> Sharing:
    """The link, its WhatsApp share and the email form (the customer's email on file to start with)."""
    link = receipt_link(sale)
    return Sharing(
        link=link,
        whatsapp=e_receipts.whatsapp_url(sale, link),
        mobile=e_receipts.buyer_mobile(sale),
        form=form or EmailReceiptForm(email=sale.customer.email if sale.customer else ""),
    )


def return_link(sale_return: SaleReturn) -> str | None:
    """The customer's page of a return, behind its sale's link; None for a return without a receipt (no link)."""
    if sale_return.sale is None:
        return None
    token = e_receipts.receipt_token(sale_return.sale)
    return url_for("receipts.return_receipt", token=token, return_id=sale_return.id, _external=True)


def return_sharing(sale_return: SaleReturn, form: EmailReceiptForm | None = None) -> Sharing | None:
    """What the screen after a return offers for the customer's phone, as after a sale; None without a link."""
    link = return_link(sale_return)
    if link is None:
        return None
    customer = sale_return.customer or (sale_return.sale.customer if sale_return.sale else None)
    return Sharing(
        link=link,
        whatsapp=e_receipts.return_whatsapp_url(sale_return, link),
        mobile=e_receipts.return_mobile(sale_return),
        form=form or EmailReceiptForm(email=customer.email if customer else ""),
    )


def return_email_context(sale_return: SaleReturn) -> dict[str, str]:
    """What the shared "Email it" form (receipts/_email.html) says and posts to for a return."""
    action = url_for("receipts.email_return_receipt", return_id=sale_return.id)
    return {
        "email_action": action,
        "email_what": "Return receipt and credit note",
        "share_title": "Return receipt on the customer's phone",
    }


def _shared_sale(token: str) -> Sale:
    sale = e_receipts.sale_for_token(db.session, token)
    if sale is None:
        abort(404)
    if e_receipts.link_expired(sale, utcnow()):
        merchant = sale.merchant
        page = render_template("receipts/expired.html", merchant=merchant, days=merchant.receipt_link_days)
        abort(make_response(page, 410, NOT_INDEXED))
    return sale


# Per address: anyone may open a link, so this is what keeps a script from rendering PDFs (about 200 ms of CPU each)
# all day. Counted in Redis; if Redis is down, in memory per process (RATELIMIT_IN_MEMORY_FALLBACK_ENABLED).
def _page_limit() -> str:
    return current_app.config["RECEIPT_LIMIT"]


def _pdf_limit() -> str:
    return current_app.config["RECEIPT_PDF_LIMIT"]


@bp.get("/r/<token>")
@limiter.limit(_page_limit)
def receipt(token: str) -> Response:
    """The customer's receipt: the buyer's CNIC and phone masked, since a link gets forwarded."""
    sale = _shared_sale(token)
    fiscal = sales_service.fiscal_document_for(db.session, sale)
    page = render_template(
        "receipts/receipt.html",
        sale=sale,
        merchant=sale.merchant,
        fiscal=fiscal,
        token=token,
        returns=returns_of_sale(db.session, sale),
    )
    return make_response(page, 200, NOT_INDEXED)


@bp.get("/r/<token>/invoice.pdf")
@limiter.limit(_pdf_limit)
def invoice_pdf(token: str) -> Response:
    """The customer's copy of the tax invoice (masked like the page), shown in the phone's PDF viewer."""
    sale = _shared_sale(token)
    pdf = sale_invoice_pdf(sale, sales_service.fiscal_document_for(db.session, sale), masked=True)
    headers = {"Content-Disposition": f'inline; filename="{invoice_filename(sale)}"', **NOT_INDEXED}
    return Response(pdf, mimetype="application/pdf", headers=headers)


def _shared_return(token: str, return_id: int) -> SaleReturn:
    """A return of the sale the link names (its link opens its returns, for as long as it opens at all)."""
    sale = _shared_sale(token)
    sale_return = get_return(db.session, sale.merchant_id, return_id)
    if sale_return is None or sale_return.sale_id != sale.id:
        abort(404)
    return sale_return


@bp.get("/r/<token>/returns/<int:return_id>")
@limiter.limit(_page_limit)
def return_receipt(token: str, return_id: int) -> Response:
    """The customer's copy of a return: what came back, the money back, the credit note's FBR number and QR."""
    sale_return = _shared_return(token, return_id)
    page = render_template(
        "receipts/return.html",
        sale_return=sale_return,
        sale=sale_return.sale,
        merchant=sale_return.merchant,
        fiscal=document_of_return(db.session, sale_return.id),
        token=token,
    )
    return make_response(page, 200, NOT_INDEXED)


@bp.get("/r/<token>/returns/<int:return_id>/credit-note.pdf")
@limiter.limit(_pdf_limit)
def credit_note_pdf(token: str, return_id: int) -> Response:
    """The customer's copy of the credit note (masked like the page), shown in the phone's PDF viewer."""
    return credit_note_response(_shared_return(token, return_id), masked=True, disposition="inline", **NOT_INDEXED)


@bp.post("/sales/<int:sale_id>/receipt-email")
@printing_allowed
def email_receipt(sale_id: int) -> object:
    """Email the receipt link with the tax invoice attached; a second tap within the minute sends nothing more."""
    sale = visible_sale(sales_service.sale_for_receipt(db.session, current_user.merchant_id, sale_id))
    form = EmailReceiptForm()
    if not form.validate():
        return render("receipts/email.html", "receipts/_email.html", 422, sale=sale, form=form, sent=None)
    address = form.email.data
    e_receipts.email_receipt(db.session, current_actor(), sale, address, receipt_link(sale))
    db.session.commit()
    if is_htmx():
        return render("receipts/email.html", "receipts/_email.html", 200, sale=sale, form=form, sent=address)
    flash(f"Receipt and tax invoice on their way to {address}.", "success")
    back = "counter.sale_done" if current_user.can(Permission.PAGE_POS) else "sales.sale"
    return redirect(url_for(back, sale_id=sale.id), 303)


@bp.post("/sales/returns/<int:return_id>/receipt-email")
@printing_allowed
def email_return_receipt(return_id: int) -> object:
    """Email the return's link with its credit note attached, as a sale's receipt is emailed; a second tap within
    the minute sends nothing more. A return without a receipt has no link to send (404)."""
    sale_return = visible_return(return_id)
    link = return_link(sale_return)
    if link is None:
        abort(404)
    form = EmailReceiptForm()
    page = ("receipts/return_email.html", "receipts/_email.html")
    context = {"sale_return": sale_return, "form": form, **return_email_context(sale_return)}
    if not form.validate():
        return render(*page, 422, sent=None, **context)
    address = form.email.data
    e_receipts.email_return_receipt(db.session, current_actor(), sale_return, address, link)
    db.session.commit()
    if is_htmx():
        return render(*page, 200, sent=address, **context)
    flash(f"Return receipt and credit note on their way to {address}.", "success")
    if current_user.can(Permission.PAGE_POS):
        return redirect(url_for("counter.return_done", return_id=sale_return.id), 303)
    return redirect(url_for("sale_returns.sale_return", return_id=sale_return.id), 303)
