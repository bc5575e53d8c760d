"""QR codes as inline SVG (segno): the FBR invoice number on receipts and invoices, a receipt's link for a phone."""

from __future__ import annotations

import segno
from markupsafe import Markup


def qr_svg(data: str, *, css_class: str = "qr") -> Markup:
    """`data` as a QR code in an inline `<svg>` without a fixed size: the stylesheet sizes it in mm.

    segno picks the smallest version the data fits, so any length prints (a 30-character FBR number with lowercase
    letters needs version 3). Error correction at least M, as fbr.md §6.5 asks (segno raises it when the data leaves
    room); a 4-module quiet zone as the standard asks, so a phone camera finds the code on a busy receipt.
    """
    code = segno.make_qr(data, error="m")
    svg = code.svg_inline(
        scale=1, border=4, omitsize=True, svgclass=css_class, lineclass=None, dark="#000", light="#fff"
    )
    return Markup(svg)  # segno's own markup; `data` is encoded as modules, never as text


def fbr_qr_svg(fbr_number: str) -> Markup:
    """The FBR invoice number and nothing else, as the rules ask (fbr.md §1.2 (D)); the stylesheets print it at
    20–25 mm, well above the SRO's 7 × 7 mm minimum for any number FBR may send (varchar(30), fbr.md §2.2)."""
    return qr_svg(fbr_number, css_class="qr fbr-qr")
