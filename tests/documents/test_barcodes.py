"""The receipt code's Code 128 barcode, read back by a scanner's decoder (zxing-cpp) off the printed thermal receipt
(58 and 80 mm, at a 203-dpi head's resolution) and off the A4 tax invoice, with its modules and quiet zones measured."""

from __future__ import annotations

import pypdfium2
import pytest
import zxingcpp
from flask import render_template
from weasyprint import CSS, HTML

from ismartsync.documents.barcodes import MODULE_MM, QUIET_MODULES, code128_svg, receipt_barcode_svg
from ismartsync.documents.invoices import sale_invoice_pdf
from ismartsync.documents.render import BASE_URL, static_fetcher
from ismartsync.extensions import db
from ismartsync.models import Sale
from ismartsync.receipt_codes import receipt_code
from ismartsync.services.sales import fiscal_document_for
from tests.documents.fixtures import report

THERMAL_DPI = 203  # the common thermal head: 8 dots a millimetre
PRINTABLE_58_MM = 48


def _code128_on_page(pdf: bytes, dpi: int) -> list[zxingcpp.Barcode]:
    """The Code 128 symbols a scanner's decoder finds on the first page, rendered at `dpi` in black and white."""
    document = pypdfium2.PdfDocument(pdf)
    try:
        image = document[0].render(scale=dpi / 72, grayscale=True).to_pil()
    finally:
        document.close()
    image = image.point(lambda v: 255 if v > 127 else 0)  # a thermal head prints a dot or none
    return [c for c in zxingcpp.read_barcodes(image) if c.format == zxingcpp.BarcodeFormat.Code128]


def _reloaded(sale: Sale) -> Sale:
    db.session.expire_all()
    return db.session.get(Sale, sale.id)


@pytest.mark.parametrize("paper", ["58", "80"])
def test_the_thermal_receipt_barcode_scans_to_the_receipt_code(app, sale, paper):
    report(sale)  # the FBR QR beside it must not confuse the reader
    sale = _reloaded(sale)
    with app.test_request_context("/"):
        html = render_template(
            "sales/receipt.html", sale=sale, fiscal=fiscal_document_for(db.session, sale), paper=paper, back="/"
        )
        pdf = _thermal_pdf(html, paper)  # the receipt page on a roll of its width, as a thermal printer gets it
    [found] = _code128_on_page(pdf, THERMAL_DPI)
    assert found.text == receipt_code(sale.counter_id, sale.number)


def _thermal_pdf(html: str, paper: str) -> bytes:
    fetcher = static_fetcher()
    page = CSS(string=f"@page {{ size: {paper}mm 400mm; margin: 0 }} .receipt-actions {{ display: none }}")
    return HTML(string=html, base_url=BASE_URL, url_fetcher=fetcher).write_pdf(stylesheets=[page])


def test_the_a4_invoice_barcode_scans_to_the_receipt_code(sale):
    report(sale)
    sale = _reloaded(sale)
    pdf = sale_invoice_pdf(sale, fiscal_document_for(db.session, sale))
    [found] = _code128_on_page(pdf, 150)  # an office scanner's or a phone's photo of the page
    assert found.text == receipt_code(sale.counter_id, sale.number)


@pytest.mark.parametrize(("counter_id", "number"), [(3, 1), (42, 123), (1234, 9_999_999), (999_999_999, 2**31 - 1)])
def test_every_receipt_code_fits_a_58_mm_roll_with_its_quiet_zones(counter_id, number):
    svg = str(receipt_barcode_svg(counter_id, number))
    width_mm = float(svg.split('width="', 1)[1].split("mm", 1)[0])
    first_bar = float(svg.split('fill="#000"', 1)[0].rsplit('x="', 1)[1].split('"', 1)[0])
    assert first_bar == pytest.approx(QUIET_MODULES * MODULE_MM)  # 10 modules of white before the start character
    if len(receipt_code(counter_id, number)) <= 12:  # counters up to 9,999 and sales up to 10 million: at size
        assert width_mm <= PRINTABLE_58_MM, width_mm
    # Longer ones are narrowed by the stylesheet (max-width: 100%); never so far that a module is under 0.25 mm.
    modules = width_mm / MODULE_MM
    assert PRINTABLE_58_MM / modules >= 0.25, PRINTABLE_58_MM / modules


def test_the_svg_has_no_inline_style_the_pages_csp_would_block():
    svg = str(code128_svg("13000123"))
    assert "style=" not in svg and 'id="' not in svg
    assert 'viewBox="0 0 ' in svg and 'aria-label="Barcode 13000123"' in svg
