"""QR codes as inline SVG (segno): the FBR invoice number on receipts and invoices, a receipt's link for a phone."""

from __future__ import annotations

import segno
from markupsafe import Markup


def qr_svg(data: str, *, version: int | None = None, css_class: str = "qr") -> Markup:
    """`data` as a QR code in an inline `<svg>` without a fixed size: the stylesheet sizes it in mm.

    Error correction at least M (segno raises it when the data leaves room); a 4-module quiet zone as the standard
    asks, so a phone camera finds the code on a busy receipt.
    """
    code = segno.make_qr(data, error="m", version=version)
    svg = code.svg_inline(
        scale=1, border=4, omitsize=True, svgclass=css_class, lineclass=None, dark="#000", light="#fff"
    )
    return Markup(svg)  # segno's own markup; `data` is encoded as modules, never as text


def fbr_qr_svg(fbr_number: str) -> Markup:
    """The FBR invoice number and nothing else, as the rules ask (fbr.md §1.2 (D)): version 2 (25 × 25 modules),
    so it stays scannable when printed at 7 × 7 mm or more (fbr.md §6.5)."""
    return qr_svg(fbr_number, version=2, css_class="qr fbr-qr")
