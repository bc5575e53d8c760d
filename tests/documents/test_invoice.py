"""The A4 tax invoice PDF, read back as its reader sees it: the SRO 1006 fields and figures, the QR, FBR pending."""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo

import pytest

from ismartsync.documents.invoices import invoice_filename, sale_invoice_pdf
from ismartsync.extensions import db
from ismartsync.models import FiscalDocument, Sale, Tender
from ismartsync.money import format_money, to_minor
from ismartsync.services.checkout import Payment
from ismartsync.services.sales import fiscal_document_for
from ismartsync.services.stock.ledger import record_opening_stock
from tests import factories
from tests.documents.fixtures import FBR_NUMBER, LONGEST_FBR_NUMBER, fiscal_of, report
from tests.documents.pdf import pdf_pages, pdf_qr_codes, pdf_qr_symbols, pdf_text
from tests.selling import open_till, sell

VERIFY = "Verify this invoice through FBR TaxAsaan MobileApp or SMS at 9966 and win exciting prizes in draw"


def _invoice(sale: Sale, *, masked: bool = False) -> bytes:
    db.session.expire_all()  # read back what was committed, as a request or a job would
    sale = db.session.get(Sale, sale.id)
    return sale_invoice_pdf(sale, fiscal_document_for(db.session, sale), masked=masked)


def _in_order(text: str, *parts: str) -> None:
    positions = []
    for part in parts:
        assert part in text, f"{part!r} not in {text!r}"
        positions.append(text.index(part, positions[-1] if positions else 0))
    assert positions == sorted(positions), text


def test_the_invoice_prints_every_field_sro_1006_asks(sale):
    report(sale)
    text = pdf_text(_invoice(sale))
    karachi = sale.placed_at.astimezone(ZoneInfo("Asia/Karachi")).strftime("%d/%m/%Y %H:%M")
    # (A) business, (B) invoice details, with the merchant's own number at the top.
    _in_order(
        text,
        "Zari",
        "Zari Textiles (Private) Limited",
        "Registered office: 45-B Industrial Estate, Kot Lakhpat, Lahore",
        "NTN 1234567-8 · STRN 3277876127954",
        "Tax office: RTO Lahore",
        "Tax invoice",
        "Invoice no. 1",
        f"USIN {sale.usin}",
        f"Date {karachi}",
        "POSID 810001",
        f"FBR invoice no. {FBR_NUMBER}",
        "Sold at Gulberg 12 Main Boulevard, Gulberg III, Lahore Tel 042-35761234",
        "Counter 1 · Cashier Sana Iqbal",
        "Buyer Ayesha Khan NTN 7654321-0 CNIC 35202-1234567-1 Phone 03001234567",
    )
    # (C) item-wise: quantity, unit price excluding tax, discount, value excluding tax, rate, tax, line total.
    _in_order(
        text,
        "Qty Unit price excl. tax Discount Value excl. tax Tax rate Tax Total",
        "1 Rs 2,533.90 — Rs 2,533.90 18% Rs 456.10 Rs 2,990",
        "1 Rs 1,271.19 -Rs 84.75 Rs 1,186.44 18% Rs 213.56 Rs 1,400",
        "Payment mode Mixed: Card, Cash Card Rs 2,000 Cash Rs 2,391",
        # (D) FBR, under the payment: the number again beside its QR and the FBR POS mark, and the sentence.
        f"FBR invoice number {FBR_NUMBER}",
        VERIFY,
        "Value of goods excl. tax Rs 3,805.09",
        "Discount -Rs 84.75",
        "Total sale value excl. tax Rs 3,720.34",
        "Sales tax charged Rs 669.66",
        "Grand total Rs 4,390",
        "FBR POS service fee Rs 1",
        "Total payable Rs 4,391",
        "Received Rs 5,000",
        "Change Rs 609",
    )
    assert "SKU SKU-" in text and " · PCT 62044200" in text  # each description (documents/_lines.html)
    assert "pending" not in text and "offline" not in text


def test_the_figures_add_up_the_way_fbr_reads_them(sale):
    """Value + tax = line total on every line; the lines sum to the header the FBR report carries."""
    report(sale)
    request = fiscal_of(sale).request
    text = pdf_text(_invoice(sale))

    def rs(amount: float) -> str:
        return format_money(to_minor(str(amount)))

    for item in request["Items"]:
        assert f"{rs(item['SaleValue'])} 18% {rs(item['TaxCharged'])} {rs(item['TotalAmount'])}" in text
    assert f"Total sale value excl. tax {rs(request['TotalSaleValue'])}" in text
    assert f"Sales tax charged {rs(request['TotalTaxCharged'])}" in text
    assert f"Grand total {rs(request['TotalBillAmount'])}" in text


def test_the_qr_code_decodes_to_the_fbr_number_and_nothing_else(sale):
    report(sale)
    assert pdf_qr_codes(_invoice(sale)) == [FBR_NUMBER]


@pytest.mark.parametrize("number", [FBR_NUMBER, LONGEST_FBR_NUMBER])
def test_the_qr_code_of_any_fbr_number_prints_at_7_mm_or_more(sale, number):
    assert len(LONGEST_FBR_NUMBER) == 30
    report(sale, number)
    [(decoded, side_mm)] = pdf_qr_symbols(_invoice(sale))
    assert decoded == number
    assert 7 <= side_mm <= 25, side_mm  # the SRO's 7 × 7 mm at least, inside its 25 mm box


def test_before_fbr_answers_the_invoice_says_pending_with_no_qr_and_no_mark(sale):
    pdf = _invoice(sale)
    text = pdf_text(pdf)
    assert "FBR invoice no. FBR number pending" in text
    assert "FBR number pending The sale is recorded and is being reported to FBR" in text
    assert VERIFY not in text and "offline" not in text
    assert not re.search(r"FBR POS(?! service fee)", text)  # the FBR POS mark (its placeholder says so in text)
    assert pdf_qr_codes(pdf) == []
    assert "POSID 810001" in text  # the invoice is still the counter's


def test_a_receipt_issued_while_fbr_was_unreachable_is_marked_offline_for_good(sale):
    fiscal = fiscal_of(sale)
    fiscal.offline_issued = True
    db.session.commit()
    assert "Issued in offline mode – FBR number pending" in pdf_text(_invoice(sale))

    report(sale, offline=True)
    pdf = _invoice(sale)
    text = pdf_text(pdf)
    assert f"FBR invoice number {FBR_NUMBER}" in text and "Issued in offline mode" in text
    assert "pending" not in text
    assert pdf_qr_codes(pdf) == [FBR_NUMBER]


def test_a_sale_at_a_counter_that_does_not_report_has_no_fbr_lines_at_all(seller, manager, branch, items):
    other = factories.CounterFactory(branch=branch, name="Counter 2")  # FBR is on for Counter 1 only
    placed = sell(open_till(manager, manager, other), other, items[2])
    db.session.commit()
    assert fiscal_document_for(db.session, placed) is None
    text = pdf_text(_invoice(placed))
    assert f"USIN {placed.usin}" in text and "Total payable Rs 999" in text  # no FBR POS fee either
    assert "FBR" not in text and "POSID" not in text and "pending" not in text


def test_an_exempt_item_prints_zero_percent(seller, counter, till, merchant, branch):
    exempt = factories.VariantFactory(product__merchant=merchant, price_minor=50_000, tax_rate_bp=0)
    record_opening_stock(db.session, branch, {exempt.id: 5}, "opening")
    placed = sell(till, counter, exempt, payments=[Payment(Tender.CASH, 50_100)])
    db.session.commit()
    assert "1 Rs 500 — Rs 500 0% Rs 0 Rs 500" in pdf_text(_invoice(placed))


def test_a_shared_copy_shows_only_the_last_four_digits_of_cnic_and_phone(sale):
    text = pdf_text(_invoice(sale, masked=True))
    assert "CNIC •••••-••••567-1" in text and "Phone •••••••4567" in text
    assert "1234567-1" not in text and "03001234567" not in text
    assert "Ayesha Khan" in text and "NTN 7654321-0" in text


def test_a_product_named_like_markup_is_printed_as_text_and_loads_nothing(seller, counter, till, merchant, branch):
    name = '<img src="file:///etc/passwd"><link rel="stylesheet" href="http://127.0.0.1:9/x.css">'
    variant = factories.VariantFactory(product__merchant=merchant, product__title=name, price_minor=10_000)
    record_opening_stock(db.session, branch, {variant.id: 5}, "opening")
    placed = sell(till, counter, variant)
    db.session.commit()
    printed = "".join(pdf_text(_invoice(placed)).split())  # a long name wraps where it likes
    assert "".join(name.split()) + "—M/Red" in printed


def test_a_long_sale_runs_over_pages_with_the_column_heads_and_page_numbers(seller, counter, till, merchant, branch):
    variants = [factories.VariantFactory(product__merchant=merchant, price_minor=10_000) for _ in range(30)]
    record_opening_stock(db.session, branch, {v.id: 5 for v in variants}, "opening")
    placed = sell(till, counter, *variants)
    db.session.commit()
    pages = pdf_pages(_invoice(placed))
    assert len(pages) >= 2
    with_items = [page for page in pages if "Lawn suit" in page]
    assert len(with_items) >= 2 and all("Unit price excl. tax" in page for page in with_items)
    assert [f"Page {n} of {len(pages)}" in page for n, page in enumerate(pages, 1)] == [True] * len(pages)
    assert all(f"USIN {placed.usin}" in page for page in pages)
    assert "Total payable" in pages[-1]


def test_the_file_is_named_by_the_usin(sale):
    assert invoice_filename(sale) == f"{sale.usin}.pdf"
    sale.usin = 'GUL/C1 "000001"'
    assert invoice_filename(sale) == "GUL-C1-000001.pdf"


def test_the_fiscal_document_read_is_the_sales_own(sale):
    """A credit note's document for the same sale (the returns issue) must not lend its number to the invoice."""
    fiscal = fiscal_of(sale)
    db.session.add(
        FiscalDocument(
            merchant_id=sale.merchant_id,
            sale_id=sale.id,
            counter_id=fiscal.counter_id,
            invoice_type="3",
            usin=f"{sale.usin}-R1",
            fbr_number="CREDIT-NOTE-NUMBER",
        )
    )
    db.session.commit()
    text = pdf_text(_invoice(sale))
    assert "CREDIT-NOTE-NUMBER" not in text and "FBR number pending" in text
