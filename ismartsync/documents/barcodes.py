"""1-D barcodes as inline SVG (python-barcode's Code 128): the receipt code on receipts and tax invoices."""

from __future__ import annotations

import re
from xml.dom import minidom

from barcode import Code128
from barcode.writer import SVGWriter
from markupsafe import Markup

from ismartsync.receipt_codes import receipt_code

# One module (the narrowest bar) is 0.375 mm: three dots of a 203-dpi thermal head, so no bar is rounded to an uneven
# width, and well above the 0.19 mm a laser scanner resolves. Code 128 asks for a quiet zone of 10 modules each side.
# A receipt code of 8 to 12 digits is 99 to 121 modules with its quiet zones (37 to 45 mm): inside the 48 mm a 58 mm
# roll prints; a longer one is narrowed by the stylesheets (max-width: 100%) rather than cut.
MODULE_MM = 0.375
QUIET_MODULES = 10
BAR_HEIGHT_MM = 10.0
# On a screen (a receipt shown on a tablet, an e-receipt on a phone held to the scanner) a module is 2 CSS pixels:
# whole device pixels at any pixel ratio, where 0.375 mm (1.42 px) would make bars of uneven widths.
SCREEN_MODULE_PX = 2
SCREEN_BAR_HEIGHT_PX = 48
_MM = re.compile(r"^(-?[0-9.]+)mm$")


def code128_svg(
    data: str,
    *,
    css_class: str = "barcode",
    label: str = "",
    module: float = MODULE_MM,
    bar_height: float = BAR_HEIGHT_MM,
    unit: str = "mm",
) -> Markup:
    """`data` as a Code 128 barcode in an inline `<svg>` of modules `module` `unit` wide (mm for paper, px for a
    screen), with a viewBox so a stylesheet may narrow it.

    python-barcode draws the bars (character sets, checksum, stop pattern); its SVG sizes every rectangle in mm,
    which this turns into plain numbers of the viewBox, so the symbol keeps its proportions at any size.
    """
    writer = SVGWriter()
    writer.with_doctype = False
    svg = Code128(data, writer=writer).render(
        {
            "module_width": module,
            "module_height": bar_height,
            "quiet_zone": QUIET_MODULES * module,
            "margin_top": 0,
            "margin_bottom": 0,
            "write_text": False,  # the page prints the code as text under it, in its own font
        }
    )
    document = minidom.parseString(svg)
    root = document.documentElement
    width, height = (_mm(root.getAttribute(name)) for name in ("width", "height"))
    for rect in root.getElementsByTagName("rect"):
        for name in ("x", "y", "width", "height"):
            value = rect.getAttribute(name)
            if _MM.match(value):
                rect.setAttribute(name, f"{_mm(value):g}")
        # A presentation attribute, not a style: the pages' CSP allows no inline style, and a blocked one would
        # leave the background rectangle black.
        colour = rect.getAttribute("style").removeprefix("fill:").rstrip(";")
        rect.removeAttribute("style")
        rect.setAttribute("fill", "#fff" if colour == "white" else "#000")
    for group in root.getElementsByTagName("g"):
        group.removeAttribute("id")  # "barcode_group": two barcodes on a page would share it
    _drop_blank_and_comments(root)
    root.setAttribute("viewBox", f"0 0 {width:g} {height:g}")
    root.setAttribute("width", f"{width:g}{unit}")
    root.setAttribute("height", f"{height:g}{unit}")
    root.setAttribute("class", css_class)
    root.setAttribute("preserveAspectRatio", "none")  # narrowed to fit, the bars keep their height
    root.setAttribute("shape-rendering", "crispEdges")  # whole pixels on a screen: no grey edges between bars
    root.setAttribute("role", "img")
    root.setAttribute("aria-label", label or f"Barcode {data}")
    return Markup(root.toxml())  # our own markup; `data` is digits drawn as bars, and escaped in the label


def _drop_blank_and_comments(node: minidom.Element) -> None:
    for child in list(node.childNodes):
        if child.nodeType == child.COMMENT_NODE or (child.nodeType == child.TEXT_NODE and not child.data.strip()):
            node.removeChild(child)
        elif child.nodeType == child.ELEMENT_NODE:
            _drop_blank_and_comments(child)


def _mm(value: str) -> float:
    match = _MM.match(value)
    if match is None:
        raise ValueError(f"python-barcode sized something in other units than mm: {value!r}")
    return float(match.group(1))


def receipt_barcode_svg(counter_id: int, number: int) -> Markup:
    """The sale's receipt code (receipt_codes.py) as a Code 128 barcode, twice: in mm for paper (`barcode-print`)
    and in whole pixels for a screen (`barcode-screen`); the stylesheets show the one for the medium."""
    code = receipt_code(counter_id, number)
    label = f"Receipt code {code}"
    return code128_svg(code, css_class="barcode receipt-barcode barcode-print", label=label) + code128_svg(
        code,
        css_class="barcode receipt-barcode barcode-screen",
        label=label,
        module=SCREEN_MODULE_PX,
        bar_height=SCREEN_BAR_HEIGHT_PX,
        unit="px",
    )
