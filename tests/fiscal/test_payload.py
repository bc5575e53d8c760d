"""The FBR IMS request body, checked field by field against fbr.md §2.8."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from ismartsync.fiscal.payload import MissingPctCode, build_invoice
from ismartsync.models.fiscal import FiscalDocument, InvoiceType
from ismartsync.models.sale import Sale, SaleLine, SalePayment
from tests.fbr_examples import CREDIT_NOTE, EXAMPLE

POS_ID = 110014
USIN = "ISS-LHR1-C2-000123"
CN_USIN = "ISS-LHR1-C2-CN-000007"


def _line(
    sku: str, name: str, pct: str, qty: int, value: int, tax: int, discount: int, rate_bp: int = 1800
) -> SaleLine:
    return SaleLine(
        sku=sku,
        name=name,
        pct_code=pct,
        quantity=qty,
        position=0,
        barcode="",
        list_price_minor=0,
        unit_price_minor=0,
        tax_rate_bp=rate_bp,
        third_schedule=False,
        value_minor=value,
        tax_minor=tax,
        total_minor=value + tax,
        discount_excl_minor=discount,
    )


def _sale(lines: list[SaleLine], tenders: list[str], placed_at: datetime, **buyer: str) -> Sale:
    sale = Sale(
        lines=lines,
        payments=[SalePayment(tender=tender, amount_minor=0, tendered_minor=0) for tender in tenders],
        placed_at=placed_at,
        buyer_name=buyer.get("buyer_name", ""),
        buyer_ntn=buyer.get("buyer_ntn", ""),
        buyer_cnic=buyer.get("buyer_cnic", ""),
        buyer_phone=buyer.get("buyer_phone", ""),
        prices_include_tax=False,
        quantity=sum(line.quantity for line in lines),
        value_minor=sum(line.value_minor for line in lines),
        tax_minor=sum(line.tax_minor for line in lines),
        total_minor=sum(line.total_minor for line in lines),
    )
    return sale


def _card_sale() -> Sale:
    return _sale(
        [
            _line("TS-001", "Cotton T-Shirt", "61091000", 2, 190000, 34200, 10000),
            _line("BL-007", "Leather Belt", "42033000", 1, 150000, 27000, 0),
        ],
        ["card"],
        datetime(2025, 9, 15, 9, 5, 33, tzinfo=UTC),  # 14:05:33 in Karachi (UTC+5)
    )


def _document(usin: str = USIN, invoice_type: str = InvoiceType.SALE, ref_usin: str | None = None) -> FiscalDocument:
    return FiscalDocument(usin=usin, invoice_type=invoice_type, ref_usin=ref_usin)


def test_card_sale_reproduces_the_fbr_example_exactly() -> None:
    assert build_invoice(_card_sale(), _document(), pos_id=POS_ID) == EXAMPLE


def test_card_sale_fields_keep_their_json_types() -> None:
    payload = build_invoice(_card_sale(), _document(), pos_id=POS_ID)

    assert list(payload) == list(EXAMPLE)
    for field in ("TotalSaleValue", "TotalTaxCharged", "Discount", "FurtherTax", "TotalBillAmount"):
        assert isinstance(payload[field], float), field
    assert isinstance(payload["POSID"], int)
    assert isinstance(payload["PaymentMode"], int)
    assert isinstance(payload["InvoiceType"], int)
    assert isinstance(payload["Items"][0]["TaxRate"], int)


def test_credit_note_reproduces_the_fbr_example_exactly() -> None:
    returned = _sale(
        [_line("TS-001", "Cotton T-Shirt", "61091000", 1, 95000, 17100, 5000)],
        ["card"],
        datetime(2025, 9, 16, 6, 20, 0, tzinfo=UTC),
    )
    document = _document(CN_USIN, InvoiceType.CREDIT_NOTE, ref_usin=USIN)

    payload = build_invoice(returned, document, pos_id=POS_ID)

    # The doc's credit note omits the buyer fields; ours sends them as for a sale.
    buyer = {"BuyerName": "Walk-in Customer", "BuyerNTN": None, "BuyerCNIC": None, "BuyerPhoneNumber": None}
    assert payload == {**CREDIT_NOTE, **buyer}
    assert payload["RefUSIN"] == payload["Items"][0]["RefUSIN"] == USIN


def test_sale_document_ignores_a_stray_ref_usin() -> None:
    payload = build_invoice(_card_sale(), _document(ref_usin="OTHER"), pos_id=POS_ID)

    assert payload["RefUSIN"] is None
    assert all(item["RefUSIN"] is None for item in payload["Items"])


@pytest.mark.parametrize(
    ("tenders", "mode"),
    [
        (["cash"], 1),
        (["card"], 2),
        (["card", "card"], 2),
        (["bank"], 2),
        (["wallet"], 2),
        (["cash", "card"], 5),
        (["cash", "cash"], 1),
        (["card", "wallet"], 5),
        ([], 1),
    ],
)
def test_payment_mode_follows_the_tender_mix(tenders: list[str], mode: int) -> None:
    sale = _card_sale()
    sale.payments = [SalePayment(tender=tender, amount_minor=0, tendered_minor=0) for tender in tenders]

    assert build_invoice(sale, _document(), pos_id=POS_ID)["PaymentMode"] == mode


def test_date_time_is_local_time_across_midnight() -> None:
    sale = _card_sale()
    sale.placed_at = datetime(2025, 12, 31, 20, 30, 0, tzinfo=UTC)

    assert build_invoice(sale, _document(), pos_id=POS_ID)["DateTime"] == "2026-01-01 01:30:00"
    assert build_invoice(sale, _document(), pos_id=POS_ID, time_zone="UTC")["DateTime"] == "2025-12-31 20:30:00"


def test_named_buyer_fields_are_sent_and_empty_ones_are_null() -> None:
    sale = _card_sale()
    sale.buyer_name = "Ayesha Khan"
    sale.buyer_ntn = "1234567-8"
    sale.buyer_phone = "   "

    payload = build_invoice(sale, _document(), pos_id=POS_ID)

    assert payload["BuyerName"] == "Ayesha Khan"
    assert payload["BuyerNTN"] == "1234567-8"
    assert payload["BuyerCNIC"] is None
    assert payload["BuyerPhoneNumber"] is None


def test_fractional_tax_rate_is_a_decimal_percent() -> None:
    sale = _sale(
        [_line("X-1", "Thing", "12345678", 1, 100000, 17500, 0, rate_bp=1750)], ["cash"], _card_sale().placed_at
    )

    item = build_invoice(sale, _document(), pos_id=POS_ID)["Items"][0]

    assert item["TaxRate"] == 17.5
    assert item["TotalAmount"] == 1175.00


def test_third_schedule_items_use_their_own_item_types() -> None:
    sale = _card_sale()
    sale.lines[0].third_schedule = True

    sale_items = build_invoice(sale, _document(), pos_id=POS_ID)["Items"]
    note = build_invoice(sale, _document(CN_USIN, InvoiceType.CREDIT_NOTE, USIN), pos_id=POS_ID)

    assert [item["InvoiceType"] for item in sale_items] == [11, 1]
    assert note["InvoiceType"] == 3
    assert [item["InvoiceType"] for item in note["Items"]] == [12, 3]


def test_item_without_sku_falls_back_to_barcode_then_position() -> None:
    sale = _card_sale()
    sale.lines[0].sku = ""
    sale.lines[0].barcode = "8964000000011"
    sale.lines[1].sku = ""
    sale.lines[1].position = 1

    items = build_invoice(sale, _document(), pos_id=POS_ID)["Items"]

    assert [item["ItemCode"] for item in items] == ["8964000000011", "ITEM-2"]


def test_header_totals_are_the_sums_of_items_with_paisa() -> None:
    sale = _sale(
        [
            _line("A", "A", "11111111", 1, 10001, 1800, 33),
            _line("B", "B", "22222222", 3, 20002, 3600, 67),
        ],
        ["cash"],
        _card_sale().placed_at,
    )

    payload = build_invoice(sale, _document(), pos_id=POS_ID)

    assert payload["TotalSaleValue"] == 300.03
    assert payload["TotalTaxCharged"] == 54.00
    assert payload["Discount"] == 1.00
    assert payload["TotalBillAmount"] == 354.03
    assert payload["TotalQuantity"] == 4


def test_unplaced_sale_is_refused() -> None:
    sale = _card_sale()
    sale.placed_at = None

    with pytest.raises(ValueError, match="placed"):
        build_invoice(sale, _document(), pos_id=POS_ID)


def test_item_without_pct_code_takes_the_merchant_default() -> None:
    sale = _card_sale()
    sale.lines[1].pct_code = ""

    items = build_invoice(sale, _document(), pos_id=POS_ID, default_pct_code="62044200")["Items"]

    assert [item["PCTCode"] for item in items] == ["61091000", "62044200"]


@pytest.mark.parametrize("blank", ["", "   "])
def test_item_without_pct_code_and_no_default_is_never_built_and_says_what_to_fix(blank: str) -> None:
    sale = _card_sale()
    sale.lines[1].pct_code = blank

    with pytest.raises(MissingPctCode) as refused:
        build_invoice(sale, _document(), pos_id=POS_ID, default_pct_code=blank)

    assert refused.value.names == ["Leather Belt"]
    assert refused.value.message.startswith("Not sent to FBR: Leather Belt has no PCT code")
    assert "Enter the default PCT code in Settings → FBR, then send it again" in refused.value.message


def test_text_is_cut_to_the_ims_field_lengths_and_cnic_sent_as_digits() -> None:
    sale = _card_sale()
    sale.lines[0].name = "Lawn " * 60
    sale.lines[0].sku = "S" * 80
    sale.buyer_name = "B" * 200
    sale.buyer_cnic = "35202-1234567-1"
    sale.buyer_phone = "+92 300 1234567 ext. 1234"

    payload = build_invoice(sale, _document(), pos_id=POS_ID)

    assert len(payload["Items"][0]["ItemName"]) <= 150
    assert payload["Items"][0]["ItemCode"] == "S" * 50
    assert payload["BuyerName"] == "B" * 150
    assert payload["BuyerCNIC"] == "3520212345671"
    assert len(payload["BuyerPhoneNumber"]) == 20
