"""Reading a PDF the way its reader would: the text on its pages, and the QR codes a phone camera would find."""

from __future__ import annotations

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
    document = pypdfium2.PdfDocument(pdf)
    try:
        image = document[0].render(scale=scale).to_pil()
    finally:
        document.close()
    return [found.text for found in zxingcpp.read_barcodes(image) if found.format == zxingcpp.BarcodeFormat.QRCode]
