"""FBR for online sales: the tax invoice of what a dispatch shipped, and the credit note of a parcel refused at the
door or returned, each with its own USIN from the reporting counter's gapless sequence (the one its sales and returns
share) and a pending `FiscalDocument` reported like a counter sale's.

Entry points, called inside the caller's transaction (they flush, never commit):
- `open_online_invoice`: dispatch calls it with the lines it shipped; None when the branch has no counter reporting
  its online orders (`online_counters.online_reporting_note` says why, for the screen).
- `open_online_credit_note`: receiving a refused or returned COD parcel calls it; InvoiceType 3, RefUSIN the
  invoice's USIN, under the invoice's POSID (`services/fiscal/documents.open_online_document`, which shares the
  payload code of a return's credit note).
After the commit the caller makes the inline attempt with `pipelines.fbr_report.report_after_checkout(session,
document.id)`; if FBR does not answer, the fiscal queue's sweep sends it later with the same USIN.

Figures: Shopify's line price (after line discounts) is priced by `services.pricing` with the merchant's convention
(`prices_include_tax`), as the counter prices the same catalog: the catalog's prices are Shopify's, so the shop shows
them with tax included exactly when the counter does. Tax per line at the variant's rate (the merchant's standard
rate when it has none), Third Schedule on the retail price. The POS fee (Re 1) is not charged: the customer paid on
the store, not at an integrated POS [U]. Shipping charges are not on the invoice: fbr.md says nothing of them (a
delivery service, not goods) [U]; the documents print them apart, not reported.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ismartsync.errors import DomainError
from ismartsync.models import (
    Branch,
    FiscalDocument,
    Merchant,
    OnlineInvoice,
    OnlineInvoiceKind,
    OnlineInvoiceLine,
    OnlineOrder,
    OnlineOrderLine,
)
from ismartsync.models.base import utcnow
from ismartsync.services.checkout import next_number, usin_for
from ismartsync.services.fiscal.documents import open_online_document
from ismartsync.services.fiscal.online_counters import reporting_counter
from ismartsync.services.pricing import LineInput, price_cart

REFUSED = "Refused at the door"


def open_online_invoice(
    session: Session,
    merchant: Merchant,
    order: OnlineOrder,
    branch: Branch,
    lines: Sequence[tuple[OnlineOrderLine, int]],
    dispatch_ref: str,
) -> FiscalDocument | None:
    """The pending FBR document of the invoice for `lines` (order line, quantity shipped) dispatched from `branch`;
    None when no counter reports the branch's online orders. The same `dispatch_ref` again returns the same document.

    :raise DomainError: nothing shipped, or more of a line than the order has left to invoice.
    """
    if order.merchant_id != merchant.id or branch.merchant_id != merchant.id:
        raise ValueError("an online invoice is for one of the merchant's orders, dispatched from its branch")
    existing = _by_reference(session, merchant.id, OnlineInvoiceKind.INVOICE, dispatch_ref)
    if existing is not None:
        return document_of_online_invoice(session, existing.id)
    counter = reporting_counter(session, merchant, branch)
    if counter is None:
        return None
    _check_lines(session, order, lines)
    number = next_number(session, counter)
    invoice = OnlineInvoice(
        merchant_id=merchant.id,
        order=order,
        branch_id=branch.id,
        counter=counter,
        kind=OnlineInvoiceKind.INVOICE,
        reference=dispatch_ref[:120],
        number=number,
        usin=usin_for(branch, counter, number),
        buyer_name=_buyer_name(order)[:150],
        buyer_phone=order.phone[:40],
        cod=order.cod,
        prices_include_tax=merchant.prices_include_tax,
        created_at=utcnow(),
    )
    invoice.lines = _priced_lines([(_facts(merchant, ln), ln.id, qty) for ln, qty in lines], invoice)
    _total(invoice)
    session.add(invoice)
    session.flush()
    return open_online_document(session, merchant, invoice)


def open_online_credit_note(
    session: Session,
    merchant: Merchant,
    invoice: OnlineInvoice,
    return_ref: str,
    *,
    lines: Sequence[tuple[OnlineInvoiceLine, int]] | None = None,
    reason: str = REFUSED,
) -> FiscalDocument | None:
    """The pending FBR credit note of a refused or returned parcel: `lines` (invoice line, quantity back), every line
    in full when None. Its own USIN from the invoice's counter, RefUSIN the invoice's USIN, the invoice's POSID. None
    when the invoice was never reported (nothing at FBR to correct). The same `return_ref` again: the same note.

    :raise DomainError: nothing came back, or more of a line than was invoiced and not yet credited.
    """
    existing = _by_reference(session, merchant.id, OnlineInvoiceKind.CREDIT_NOTE, return_ref)
    if existing is not None:
        return document_of_online_invoice(session, existing.id)
    if invoice.is_credit_note or invoice.merchant_id != merchant.id:
        raise ValueError("a credit note corrects one of the merchant's online invoices")
    original = document_of_online_invoice(session, invoice.id)
    if original is None:
        return None
    back = [(ln, ln.quantity) for ln in invoice.lines] if lines is None else list(lines)
    _check_credit(session, invoice, back)
    counter = invoice.counter
    number = next_number(session, counter)
    note = OnlineInvoice(
        merchant_id=merchant.id,
        order_id=invoice.order_id,
        branch_id=invoice.branch_id,
        counter=counter,
        kind=OnlineInvoiceKind.CREDIT_NOTE,
        invoice=invoice,
        reference=return_ref[:120],
        number=number,
        usin=usin_for(counter.branch, counter, number),
        buyer_name=invoice.buyer_name,
        buyer_phone=invoice.buyer_phone,
        cod=invoice.cod,
        prices_include_tax=invoice.prices_include_tax,
        reason=(reason.strip() or REFUSED)[:200],
        created_at=utcnow(),
    )
    note.lines = _credited_lines(back, note)
    _total(note)
    session.add(note)
    session.flush()
    return open_online_document(session, merchant, note, original)


def document_of_online_invoice(session: Session, online_invoice_id: int) -> FiscalDocument | None:
    return session.scalar(select(FiscalDocument).where(FiscalDocument.online_invoice_id == online_invoice_id))


def invoices_of_order(session: Session, merchant_id: int, order_id: int) -> list[OnlineInvoice]:
    """The order's invoices and credit notes, oldest first."""
    return list(
        session.scalars(
            select(OnlineInvoice)
            .where(OnlineInvoice.merchant_id == merchant_id, OnlineInvoice.order_id == order_id)
            .order_by(OnlineInvoice.id)
        )
    )


# --- the lines ------------------------------------------------------------------------------------------------------


def _by_reference(session: Session, merchant_id: int, kind: str, reference: str) -> OnlineInvoice | None:
    return session.scalar(
        select(OnlineInvoice).where(
            OnlineInvoice.merchant_id == merchant_id,
            OnlineInvoice.kind == kind,
            OnlineInvoice.reference == reference[:120],
        )
    )


def _buyer_name(order: OnlineOrder) -> str:
    address = order.shipping_address or {}
    return order.customer_name.strip() or str(address.get("name") or "").strip()


def _facts(merchant: Merchant, line: OnlineOrderLine) -> OnlineInvoiceLine:
    """The order line's facts as the counter copies a variant's into a sale line."""
    variant = line.variant
    name = line.title + (f" – {line.variant_title}" if line.variant_title else "")
    rate = merchant.default_tax_rate_bp if variant is None or variant.tax_rate_bp is None else variant.tax_rate_bp
    return OnlineInvoiceLine(
        merchant_id=merchant.id,
        name=(name.strip() or line.sku or "Item")[:300],
        sku=line.sku or (variant.sku if variant else ""),
        barcode=variant.scan_code if variant else "",
        pct_code=variant.pct_code if variant else "",
        unit_price_minor=line.unit_price_minor,
        tax_rate_bp=rate,
        third_schedule=bool(variant and variant.third_schedule),
    )


def _priced_lines(
    facts: list[tuple[OnlineInvoiceLine, int | None, int]], invoice: OnlineInvoice
) -> list[OnlineInvoiceLine]:
    inputs = [LineInput(f.unit_price_minor, qty, f.tax_rate_bp, f.third_schedule) for f, _, qty in facts]
    totals = price_cart(inputs, prices_include_tax=invoice.prices_include_tax)
    for position, ((line, order_line_id, quantity), price) in enumerate(zip(facts, totals.lines, strict=True)):
        line.order_line_id, line.position, line.quantity = order_line_id, position, quantity
        line.gross_minor, line.discount_excl_minor = price.gross_minor, price.discount_excl_minor
        line.value_minor, line.tax_minor, line.total_minor = price.value_minor, price.tax_minor, price.total_minor
    return [line for line, _, _ in facts]


def _credited_lines(back: list[tuple[OnlineInvoiceLine, int]], note: OnlineInvoice) -> list[OnlineInvoiceLine]:
    """Every line back in full keeps its invoiced figures to the paisa; a part is priced again the same way."""
    copies = []
    for line, quantity in back:
        copy = OnlineInvoiceLine(
            merchant_id=line.merchant_id,
            name=line.name,
            sku=line.sku,
            barcode=line.barcode,
            pct_code=line.pct_code,
            unit_price_minor=line.unit_price_minor,
            tax_rate_bp=line.tax_rate_bp,
            third_schedule=line.third_schedule,
        )
        copies.append((copy, line.order_line_id, quantity))
    priced = _priced_lines(copies, note)
    for copy, (line, quantity) in zip(priced, back, strict=True):
        if quantity == line.quantity:
            copy.gross_minor, copy.discount_excl_minor = line.gross_minor, line.discount_excl_minor
            copy.value_minor, copy.tax_minor, copy.total_minor = line.value_minor, line.tax_minor, line.total_minor
    return priced


def _total(invoice: OnlineInvoice) -> None:
    invoice.value_minor = sum(ln.value_minor for ln in invoice.lines)
    invoice.tax_minor = sum(ln.tax_minor for ln in invoice.lines)
    invoice.total_minor = sum(ln.total_minor for ln in invoice.lines)


def _check_lines(session: Session, order: OnlineOrder, lines: Sequence[tuple[OnlineOrderLine, int]]) -> None:
    if not lines or all(qty == 0 for _, qty in lines):
        raise DomainError("Nothing was shipped: an invoice needs at least one item.")
    invoiced: dict[int, int] = defaultdict(int)
    for line_id, kind, quantity in session.execute(
        select(OnlineInvoiceLine.order_line_id, OnlineInvoice.kind, func.sum(OnlineInvoiceLine.quantity))
        .join(OnlineInvoice, OnlineInvoice.id == OnlineInvoiceLine.online_invoice_id)
        .where(OnlineInvoice.order_id == order.id)
        .group_by(OnlineInvoiceLine.order_line_id, OnlineInvoice.kind)
    ):
        if kind == OnlineInvoiceKind.INVOICE and line_id is not None:
            invoiced[line_id] += int(quantity)
    for line, quantity in lines:
        if line.order_id != order.id:
            raise ValueError("an invoice's lines are its order's")
        if quantity < 1:
            raise DomainError(f"{line.title}: ship at least one, or leave it off the invoice.")
        invoiced[line.id] += quantity
        if invoiced[line.id] > line.quantity:
            raise DomainError(
                f"{line.title}: {line.quantity} ordered and {invoiced[line.id] - quantity} already invoiced; "
                f"{quantity} more cannot be invoiced."
            )


def _check_credit(session: Session, invoice: OnlineInvoice, back: list[tuple[OnlineInvoiceLine, int]]) -> None:
    if not back:
        raise DomainError("Nothing came back: a credit note needs at least one item.")
    credited: dict[int | None, int] = defaultdict(int)
    for line_id, quantity in session.execute(
        select(OnlineInvoiceLine.order_line_id, func.sum(OnlineInvoiceLine.quantity))
        .join(OnlineInvoice, OnlineInvoice.id == OnlineInvoiceLine.online_invoice_id)
        .where(OnlineInvoice.invoice_id == invoice.id)
        .group_by(OnlineInvoiceLine.order_line_id)
    ):
        credited[line_id] = int(quantity)
    for line, quantity in back:
        if line.online_invoice_id != invoice.id:
            raise ValueError("a credit note's lines are its invoice's")
        credited[line.order_line_id] += quantity
        if quantity < 1 or credited[line.order_line_id] > line.quantity:
            raise DomainError(f"{line.name}: {line.quantity} invoiced; {quantity} cannot come back on this note.")
