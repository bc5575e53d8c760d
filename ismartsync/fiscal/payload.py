"""The FBR IMS POS request body (fbr.md §2.2) for a sale or credit note: pure, no database, no HTTP."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from ismartsync.errors import DomainError
from ismartsync.fiscal.payment_modes import payment_mode
from ismartsync.models.fiscal import FiscalDocument, InvoiceType
from ismartsync.models.online_invoice import OnlineInvoice
from ismartsync.models.sale import Sale, Tender
from ismartsync.models.sale_return import SaleReturn
from ismartsync.money import to_decimal

WALK_IN_BUYER = "Walk-in Customer"  # as in the §2.8 example when the buyer is not named
DATETIME_FORMAT = "%Y-%m-%d %H:%M:%S"

# §2.3 item InvoiceType: Third-Schedule (printed retail price) goods use 11/12 instead of 1/3.
ITEM_INVOICE_TYPE = {
    (InvoiceType.SALE, False): 1,
    (InvoiceType.CREDIT_NOTE, False): 3,
    (InvoiceType.SALE, True): 11,
    (InvoiceType.CREDIT_NOTE, True): 12,
}


class MissingPctCode(DomainError):
    """Items that would reach FBR without a PCT code (§2.2 requires one): the document is not built, so never sent."""

    def __init__(self, names: list[str]) -> None:
        listed = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
        super().__init__(
            f"Not sent to FBR: {listed} {'has' if len(names) == 1 else 'have'} no PCT code and the business has no "
            "default. Enter the default PCT code in Settings → FBR, then send it again; set the product's own "
            "PCT code on Products for later sales."
        )
        self.names = names


def pct_code_for(own: str, default: str) -> str:
    """The PCT code an item is reported (and printed) with: its own, else the merchant's default; "" when neither."""
    return (own or "").strip() or (default or "").strip()


def build_invoice(
    sale: Sale,
    document: FiscalDocument,
    *,
    pos_id: int,
    time_zone: str = "Asia/Karachi",
    default_pct_code: str = "",
) -> dict[str, Any]:
    """The JSON-ready IMS request for `document` (a sale, or a credit note whose `sale` holds the returned lines).

    An item without a PCT code of its own is sent with `default_pct_code` (the merchant's); when neither exists
    `MissingPctCode` is raised, naming the items: a blank PCTCode never leaves (§2.2, the sandbox's Code 102). Text is
    cut to the field lengths of §2.2, and a CNIC is sent as its 13 digits.

    Credit notes carry positive quantities and amounts, as in the §2.8 credit-note example; the sign convention is
    unconfirmed (§2.6, [U]) and is to be checked in the sandbox. The header's totals are sums of the items sent.
    """
    if sale.placed_at is None:
        raise ValueError("only a placed sale can be reported to FBR")
    tenders = [payment.tender for payment in sale.payments]
    return _body(sale, sale.lines, tenders, sale.placed_at, document, pos_id, time_zone, default_pct_code)


def build_credit_note(
    sale_return: SaleReturn,
    document: FiscalDocument,
    *,
    pos_id: int,
    time_zone: str = "Asia/Karachi",
    default_pct_code: str = "",
) -> dict[str, Any]:
    """The IMS request of a return's credit note (§2.6): its own USIN, header and items InvoiceType 3 (12 for Third
    Schedule items), RefUSIN the sale's USIN, the returned quantities and their refunds as positive figures, the
    buyer as the sale printed it, and the PaymentMode of the tenders the money went back through."""
    sale = sale_return.sale
    if sale is None or document.invoice_type != InvoiceType.CREDIT_NOTE or not document.ref_usin:
        raise ValueError("a credit note refers to the sale it corrects")
    tenders = [refund.tender for refund in sale_return.refunds]
    return _body(
        sale, sale_return.lines, tenders, sale_return.created_at, document, pos_id, time_zone, default_pct_code
    )


def build_online_document(
    online_invoice: OnlineInvoice,
    document: FiscalDocument,
    *,
    pos_id: int,
    time_zone: str = "Asia/Karachi",
    default_pct_code: str = "",
) -> dict[str, Any]:
    """The IMS request of an online order's invoice (what one dispatch shipped) or of its credit note (a refused or
    returned parcel): the same fields, rules and sign convention as a counter sale's and a return's. The buyer is the
    order's name and phone; PaymentMode is Cash for cash on delivery and Card for an order paid online (a card, a
    wallet or a bank transfer through the store's gateway: all Card by `payment_modes.py`, [U] as there)."""
    if online_invoice.is_credit_note != (document.invoice_type == InvoiceType.CREDIT_NOTE):
        raise ValueError("an online credit note is reported as a credit note, an invoice as a sale")
    if online_invoice.is_credit_note and not document.ref_usin:
        raise ValueError("a credit note refers to the invoice it corrects")
    tenders = [Tender.CASH if online_invoice.cod else Tender.CARD]
    return _body(
        online_invoice,
        online_invoice.lines,
        tenders,
        online_invoice.created_at,
        document,
        pos_id,
        time_zone,
        default_pct_code,
    )


def _body(
    sale: Sale | OnlineInvoice,  # the buyer's fields: a sale's, or an online invoice's (the order's customer)
    lines: Sequence[Any],  # SaleLine, ReturnLine or OnlineInvoiceLine: all carry the item fields `_item` reads
    tenders: list[str],
    issued_at: datetime,
    document: FiscalDocument,
    pos_id: int,
    time_zone: str,
    default_pct_code: str,
) -> dict[str, Any]:
    invoice_type = InvoiceType(document.invoice_type)
    ref_usin = document.ref_usin if invoice_type == InvoiceType.CREDIT_NOTE else None
    unreportable = [line.name for line in lines if not pct_code_for(line.pct_code, default_pct_code)]
    if unreportable:
        raise MissingPctCode(list(dict.fromkeys(unreportable)))
    items = [_item(line, invoice_type, ref_usin, default_pct_code) for line in lines]
    return {
        "InvoiceNumber": "",
        "POSID": pos_id,
        "USIN": document.usin,
        "RefUSIN": ref_usin,
        "DateTime": issued_at.astimezone(ZoneInfo(time_zone)).strftime(DATETIME_FORMAT),
        "BuyerName": sale.buyer_name.strip()[:150] or WALK_IN_BUYER,
        "BuyerNTN": _optional(sale.buyer_ntn, 9),
        "BuyerCNIC": _optional("".join(ch for ch in sale.buyer_cnic or "" if ch.isdigit()), 13),
        "BuyerPhoneNumber": _optional(sale.buyer_phone, 20),
        "TotalSaleValue": _sum(items, "SaleValue"),
        "TotalQuantity": sum(item["Quantity"] for item in items),
        "TotalTaxCharged": _sum(items, "TaxCharged"),
        "Discount": _sum(items, "Discount"),
        "FurtherTax": _sum(items, "FurtherTax"),
        "TotalBillAmount": _sum(items, "TotalAmount"),
        "PaymentMode": payment_mode(tenders),  # [U] rows: payment_modes.py
        "InvoiceType": int(invoice_type),
        "Items": items,
    }


def _item(line: Any, invoice_type: InvoiceType, ref_usin: str | None, default_pct_code: str) -> dict[str, Any]:
    return {
        "ItemCode": (line.sku.strip() or line.barcode.strip() or f"ITEM-{line.position + 1}")[:50],
        "ItemName": line.name.strip()[:150],
        "Quantity": line.quantity,
        "PCTCode": pct_code_for(line.pct_code, default_pct_code),
        "TaxRate": tax_rate(line.tax_rate_bp),
        "SaleValue": _amount(line.value_minor),
        "Discount": _amount(line.discount_excl_minor),
        "TaxCharged": _amount(line.tax_minor),
        "FurtherTax": _amount(0),
        "TotalAmount": _amount(line.value_minor + line.tax_minor),
        "InvoiceType": ITEM_INVOICE_TYPE[(invoice_type, bool(line.third_schedule))],
        "RefUSIN": ref_usin,
    }


def tax_rate(rate_bp: int) -> int | float:
    """Basis points as FBR's percent number: 1800 → 18, 1750 → 17.5."""
    percent = Decimal(rate_bp) / 100
    return int(percent) if percent == percent.to_integral_value() else float(percent)


def _amount(minor: int) -> float:
    # Money leaves Decimal only here, at the JSON edge: FBR's fields are JSON numbers ("double"), so the value is a
    # float rounded to 2 places; json.dumps prints e.g. 3400.0, which FBR reads as the same number as 3400.00.
    return round(float(to_decimal(minor)), 2)


def _sum(items: list[dict[str, Any]], field: str) -> float:
    # Summed as Decimals, so floats never accumulate error; the header always equals the items sent (§2.2).
    total = sum((Decimal(str(item[field])) for item in items), Decimal(0))
    return round(float(total.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)), 2)


def _optional(value: str | None, length: int) -> str | None:
    value = (value or "").strip()[:length]
    return value or None
