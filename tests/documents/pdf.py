"""Reading a PDF the way its reader would: the text on its pages, and the QR codes a phone camera would find."""

from __future__ import annotations

import math

import pypdfium2
import zxingcpp


def pdf_pages(pdf: bytes) -> list[str]:
    """The text of each page, whitespace collapsed."""
    document = pypdfium2.PdfDocument(pdf)
    try:
        return [" ".join(document[i].get_textpage().get_text_range().split()) for i in range(len(document))]
    finally:
        document.close()


def pdf_printed_pages(pdf: bytes) -> list[str]:
    """The text of each page that lies on the paper, whitespace collapsed: what overflows the page is left out."""
    document = pypdfium2.PdfDocument(pdf)
    try:
        pages = []
        for i in range(len(document)):
            width, height = document[i].get_size()
            text = document[i].get_textpage().get_text_bounded(left=0, bottom=0, right=width, top=height)
            pages.append(" ".join(text.split()))
        return pages
    finally:
        document.close()


def pdf_text(pdf: bytes) -> str:
    """The text of every page, whitespace collapsed."""
    return " ".join(pdf_pages(pdf))


def pdf_qr_codes(pdf: bytes, scale: float = 3) -> list[str]:
    """What the QR codes on the first page decode to, read off the page rendered at `scale` × 72 dpi."""
    return [text for text, _ in pdf_qr_symbols(pdf, scale)]


def pdf_qr_symbols(pdf: bytes, scale: float = 3) -> list[tuple[str, float]]:
    """Each QR code on the first page: what it decodes to and its printed side in mm (the symbol the reader
    found, finder pattern to finder pattern, without the quiet zone), read off the page at `scale` × 72 dpi."""
    document = pypdfium2.PdfDocument(pdf)
    try:
        image = document[0].render(scale=scale).to_pil()
    finally:
        document.close()
    mm_per_pixel = 25.4 / (72 * scale)
    found = [code for code in zxingcpp.read_barcodes(image) if code.format == zxingcpp.BarcodeFormat.QRCode]
    return [(code.text, _shorter_side(code.position) * mm_per_pixel) for code in found]


def _shorter_side(corners: zxingcpp.Position) -> float:
    def side(a: zxingcpp.Point, b: zxingcpp.Point) -> float:
        return math.hypot(b.x - a.x, b.y - a.y)

    return min(side(corners.top_left, corners.top_right), side(corners.top_left, corners.bottom_left))
