"""The thermal receipt printed by the browser, as the printer gets it: the QR of the longest FBR number decodes to
the number and prints at 7 × 7 mm or more on 80 mm and 58 mm rolls."""

from __future__ import annotations

from collections.abc import Callable

import pypdfium2
import pytest
from flask import Flask
from playwright.sync_api import expect
from sqlalchemy import select

from ismartsync.extensions import db
from ismartsync.models import FiscalDocument, FiscalStatus, Sale
from ismartsync.models.base import utcnow
from tests.browser.conftest import SCREENSHOTS, Tablet
from tests.browser.steps import sign_in_with_password
from tests.browser.test_sales import sell  # noqa: F401  (Sana's sale at Gulberg's Counter 1)
from tests.documents.fixtures import LONGEST_FBR_NUMBER
from tests.documents.pdf import pdf_qr_symbols

pytestmark = pytest.mark.browser
SCALE = 8  # the printed page read at 576 dpi, finer than any thermal head


@pytest.fixture
def viewport() -> str:
    return "portrait"


def _reported_with(live_app: Flask, usin: str, number: str) -> int:
    """FBR answered the sale's report with `number`; the sale's id."""
    with live_app.app_context():
        sale = db.session.scalars(select(Sale).where(Sale.usin == usin)).one()
        document = db.session.scalars(select(FiscalDocument).where(FiscalDocument.sale_id == sale.id)).one()
        document.status, document.fbr_number, document.reported_at = FiscalStatus.REPORTED, number, utcnow()
        db.session.commit()
        return sale.id


@pytest.mark.parametrize("paper", ["80", "58"])
def test_the_longest_fbr_number_prints_a_qr_that_decodes_at_7_mm_or_more(
    tablet: Tablet,
    live_app: Flask,
    sell: Callable[[], str],  # noqa: F811
    paper: str,
) -> None:
    sale_id = _reported_with(live_app, sell(), LONGEST_FBR_NUMBER)
    page = tablet.page
    sign_in_with_password(page, "Bilal Ahmed")
    page.goto(f"/sales/{sale_id}/receipt?paper={paper}")
    expect(page.locator("#receipt-fbr")).to_contain_text(LONGEST_FBR_NUMBER)
    page.emulate_media(media="print")

    pdf = page.pdf(width=f"{paper}mm", height="300mm", print_background=True)

    [(decoded, side_mm)] = pdf_qr_symbols(pdf, scale=SCALE)
    assert decoded == LONGEST_FBR_NUMBER
    assert side_mm >= 7, side_mm  # SRO 1006's 7 × 7 mm, on the paper
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    document = pypdfium2.PdfDocument(pdf)
    try:
        document[0].render(scale=2).to_pil().save(SCREENSHOTS / f"receipt-{paper}mm-longest-fbr-number.png")
    finally:
        document.close()
    assert tablet.unexpected_errors() == []
