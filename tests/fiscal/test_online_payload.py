"""An online order's FBR request (its dispatch's invoice, a refused parcel's credit note), field by field against
fbr.md §2.2, §2.3, §2.6 and the §2.8 example: the same body a counter sale of the same items would send."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from ismartsync.fiscal.payload import build_online_document
from ismartsync.models import FiscalDocument, InvoiceType, OnlineInvoice, OnlineInvoiceKind, OnlineInvoiceLine
from tests.fbr_examples import CREDIT_NOTE, EXAMPLE

POS_ID = 110014
USIN = "ISS-LHR1-C2-000123"
CN_USIN = "ISS-LHR1-C2-CN-000007"


def _line(sku: str, name: str, pct: str, qty: int, value: int, tax: int, discount: int) -> OnlineInvoiceLine:
    return OnlineInvoiceLine(
        sku=sku,
        name=name,
        pct_code=pct,
        quantity=qty,
        position=0,
        barcode="",
        unit_price_minor=0,
        tax_rate_bp=1800,
        third_schedule=False,
        value_minor=value,
        tax_minor=tax,
        total_minor=value + tax,
        discount_excl_minor=discount,
    )


def _invoice(lines: list[OnlineInvoiceLine], *, cod: bool, at: datetime, **fields: object) -> OnlineInvoice:
    return OnlineInvoice(
        kind=fields.pop("kind", OnlineInvoiceKind.INVOICE),
        lines=lines,
        cod=cod,
        created_at=at,
        buyer_name=fields.pop("buyer_name", ""),
        buyer_phone=fields.pop("buyer_phone", ""),
        **fields,
    )


def _card_order() -> OnlineInvoice:
    return _invoice(
        [
            _line("TS-001", "Cotton T-Shirt", "61091000", 2, 190000, 34200, 10000),
            _line("BL-007", "Leather Belt", "42033000", 1, 150000, 27000, 0),
        ],
        cod=False,
        at=datetime(2025, 9, 15, 9, 5, 33, tzinfo=UTC),  # 14:05:33 in Karachi
    )


def _document(usin: str = USIN, invoice_type: str = InvoiceType.SALE, ref_usin: str | None = None) -> FiscalDocument:
    return FiscalDocument(usin=usin, invoice_type=invoice_type, ref_usin=ref_usin)


def test_an_order_paid_online_reproduces_the_fbr_example_exactly():
    payload = build_online_document(_card_order(), _document(), pos_id=POS_ID)

    assert payload == EXAMPLE
    assert list(payload) == list(EXAMPLE)
    for name in ("TotalSaleValue", "TotalTaxCharged", "Discount", "FurtherTax", "TotalBillAmount"):
        assert isinstance(payload[name], float), name


@pytest.mark.parametrize(("cod", "mode"), [(True, 1), (False, 2)])
def test_cash_on_delivery_is_reported_as_cash_and_an_order_paid_online_as_card(cod, mode):
    order = _card_order()
    order.cod = cod

    assert build_online_document(order, _document(), pos_id=POS_ID)["PaymentMode"] == mode


def test_the_buyer_is_the_orders_customer_by_name_and_phone():
    order = _card_order()
    order.buyer_name, order.buyer_phone = "Ayesha Khan", "+923001234567"

    payload = build_online_document(order, _document(), pos_id=POS_ID)

    assert payload["BuyerName"] == "Ayesha Khan"
    assert payload["BuyerPhoneNumber"] == "+923001234567"
    assert payload["BuyerNTN"] is None and payload["BuyerCNIC"] is None


def test_a_refused_parcels_credit_note_reproduces_the_fbr_credit_note_example():
    note = _invoice(
        [_line("TS-001", "Cotton T-Shirt", "61091000", 1, 95000, 17100, 5000)],
        cod=False,
        at=datetime(2025, 9, 16, 6, 20, 0, tzinfo=UTC),
        kind=OnlineInvoiceKind.CREDIT_NOTE,
    )

    payload = build_online_document(note, _document(CN_USIN, InvoiceType.CREDIT_NOTE, ref_usin=USIN), pos_id=POS_ID)

    buyer = {"BuyerName": "Walk-in Customer", "BuyerNTN": None, "BuyerCNIC": None, "BuyerPhoneNumber": None}
    assert payload == {**CREDIT_NOTE, **buyer}
    assert payload["InvoiceType"] == 3 and payload["Items"][0]["InvoiceType"] == 3
    assert payload["RefUSIN"] == payload["Items"][0]["RefUSIN"] == USIN


def test_an_invoice_is_never_reported_as_a_credit_note_nor_a_credit_note_without_its_invoice():
    with pytest.raises(ValueError):
        build_online_document(_card_order(), _document(invoice_type=InvoiceType.CREDIT_NOTE, ref_usin=USIN), pos_id=1)
    note = _card_order()
    note.kind = OnlineInvoiceKind.CREDIT_NOTE
    with pytest.raises(ValueError):
        build_online_document(note, _document(CN_USIN, InvoiceType.CREDIT_NOTE), pos_id=POS_ID)
