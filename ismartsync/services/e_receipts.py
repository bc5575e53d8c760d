"""E-receipts: a placed sale's public link (its random receipt key; it opens for as many days as the merchant
set), and sending it to the customer by email (with the tax invoice attached) or WhatsApp; the same for a return of
the sale (its page behind the sale's link, the credit note attached)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import quote

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select
from sqlalchemy.orm import Session

from ismartsync.documents.credit_notes import credit_note_filename
from ismartsync.documents.invoices import invoice_filename
from ismartsync.models import OutgoingEmail, Sale, SaleReturn, SaleStatus
from ismartsync.models.base import utcnow
from ismartsync.phones import parse_mobile, whatsapp_number
from ismartsync.services.audit import Actor, record_audit
from ismartsync.services.email import queue_email
from ismartsync.services.sales import sale_for_receipt

# The same receipt to the same address again within this long is a double tap, not a second request.
REPEAT_WINDOW = timedelta(minutes=1)
SALE_INVOICE = "sale_invoice"
CREDIT_NOTE = "credit_note"
_RECEIPT_KEY = re.compile(r"[0-9a-f]{32}")


def receipt_token(sale: Sale) -> str:
    """The token of a sale's public link: its random receipt key."""
    return sale.receipt_key


def _legacy_serializer() -> URLSafeSerializer:
    # Links sent before receipt keys carry [merchant id, sale id] signed with the secret key; an old key kept in
    # ISMARTSYNC_SECRET_KEY_FALLBACKS still opens them after a rotation (itsdangerous: oldest first, current last).
    keys = [*current_app.config.get("SECRET_KEY_FALLBACKS", []), current_app.config["SECRET_KEY"]]
    return URLSafeSerializer(keys, salt="ismartsync.e-receipt")


def sale_for_token(session: Session, token: str) -> Sale | None:
    """The placed sale a link's token names, expired or not; None for a token that names none, or a draft."""
    if _RECEIPT_KEY.fullmatch(token):
        sale = session.scalar(select(Sale).where(Sale.receipt_key == token, Sale.status != SaleStatus.DRAFT))
        return sale_for_receipt(session, sale.merchant_id, sale.id) if sale is not None else None
    try:
        merchant_id, sale_id = _legacy_serializer().loads(token)
    except (BadSignature, ValueError, TypeError):
        return None
    if not isinstance(merchant_id, int) or not isinstance(sale_id, int) or not 0 < sale_id < 2**31:
        return None
    return sale_for_receipt(session, merchant_id, sale_id)


def link_expires_at(sale: Sale) -> datetime:
    """When the sale's public link stops opening: the merchant's number of days after the sale."""
    placed = sale.placed_at or sale.created_at
    return placed + timedelta(days=sale.merchant.receipt_link_days)


def link_expired(sale: Sale, now: datetime) -> bool:
    return now >= link_expires_at(sale)


@dataclass(frozen=True)
class Emailed:
    email: OutgoingEmail
    repeated: bool  # the same receipt had just been sent to this address: nothing new was queued


def email_receipt(session: Session, actor: Actor, sale: Sale, address: str, link: str) -> Emailed:
    """Queue an email of the sale's receipt link to `address`, with its tax invoice (buyer's CNIC and phone masked)
    rendered and attached when the email is sent. Asked again for the same address within a minute (a double
    tap, two tablets), it answers with the email already queued.
    """
    address = address.strip()
    # Under the sale's row lock, so two requests at once cannot both find no email and both queue one.
    session.execute(select(Sale.id).where(Sale.id == sale.id).with_for_update())
    if (repeated := _queued_lately(session, sale.merchant_id, address, SALE_INVOICE, "sale_id", sale.id)) is not None:
        return Emailed(repeated, repeated=True)
    merchant = sale.merchant
    email = queue_email(
        session,
        address,
        f"Your receipt from {merchant.brand_name} · {sale.usin}",
        "receipt",
        sale.merchant_id,
        attachments=[{"kind": SALE_INVOICE, "sale_id": sale.id, "filename": invoice_filename(sale)}],
        sale=sale,
        merchant=merchant,
        link=link,
    )
    record_audit(
        session,
        actor,
        "sale.email_receipt",
        f"Receipt {sale.usin} emailed to {address}",
        target=sale,
        branch_id=sale.branch_id,
    )
    return Emailed(email, repeated=False)


def _queued_lately(
    session: Session, merchant_id: int, address: str, kind: str, key: str, document_id: int
) -> OutgoingEmail | None:
    """An email of this document (`kind`, `key` = `document_id`) to `address` queued within the repeat window."""
    recent = session.scalars(
        select(OutgoingEmail).where(
            OutgoingEmail.merchant_id == merchant_id,
            OutgoingEmail.to_address == address,
            OutgoingEmail.created_at >= utcnow() - REPEAT_WINDOW,
        )
    ).all()
    for email in recent:
        if any(a.get("kind") == kind and a.get(key) == document_id for a in email.attachments or []):
            return email
    return None


def email_return_receipt(session: Session, actor: Actor, sale_return: SaleReturn, address: str, link: str) -> Emailed:
    """Queue an email of the return's receipt link (`link`, its page behind the sale's link) to `address`, with
    its credit note (buyer's CNIC and phone masked) rendered and attached when the email is sent. A repeat for
    the same address within a minute answers with the email already queued, as for a sale's receipt.
    """
    address = address.strip()
    session.execute(select(SaleReturn.id).where(SaleReturn.id == sale_return.id).with_for_update())
    merchant_id = sale_return.merchant_id
    if repeated := _queued_lately(session, merchant_id, address, CREDIT_NOTE, "sale_return_id", sale_return.id):
        return Emailed(repeated, repeated=True)
    merchant = sale_return.merchant
    filename = credit_note_filename(sale_return)
    email = queue_email(
        session,
        address,
        f"Your return receipt from {merchant.brand_name} · {sale_return.usin}",
        "return_receipt",
        merchant_id,
        attachments=[{"kind": CREDIT_NOTE, "sale_return_id": sale_return.id, "filename": filename}],
        sale_return=sale_return,
        merchant=merchant,
        link=link,
    )
    record_audit(
        session,
        actor,
        "return.email_receipt",
        f"Return receipt {sale_return.usin} emailed to {address}",
        target=sale_return,
        branch_id=sale_return.branch_id,
    )
    return Emailed(email, repeated=False)


def buyer_mobile(sale: Sale) -> str | None:
    """The buyer's Pakistani mobile in international form without the plus (923001234567), if the sale has one."""
    for phone in (sale.buyer_phone, sale.customer.phone if sale.customer else ""):
        if mobile := parse_mobile(phone):
            return whatsapp_number(mobile)
    return None


def whatsapp_url(sale: Sale, link: str) -> str:
    """A WhatsApp share of the receipt link: to the buyer's mobile when the sale has one, else to a chat to pick."""
    text = f"Your receipt from {sale.merchant.brand_name} ({sale.usin}): {link}"
    mobile = buyer_mobile(sale)
    return f"https://wa.me/{mobile or ''}?text={quote(text, safe='')}"


def return_mobile(sale_return: SaleReturn) -> str | None:
    """The mobile a return's receipt goes to on WhatsApp: the sale's buyer's, else the return's customer's."""
    if sale_return.sale is not None and (mobile := buyer_mobile(sale_return.sale)):
        return mobile
    customer = sale_return.customer
    typed = parse_mobile(customer.phone) if customer is not None else None
    return whatsapp_number(typed) if typed else None


def return_whatsapp_url(sale_return: SaleReturn, link: str) -> str:
    """A WhatsApp share of the return's receipt link, to the customer's mobile when known, else a chat to pick."""
    text = f"Your return receipt from {sale_return.merchant.brand_name} ({sale_return.usin}): {link}"
    return f"https://wa.me/{return_mobile(sale_return) or ''}?text={quote(text, safe='')}"
