"""The counter screen: one blueprint (`counter.<verb_noun>`, under /counter), its routes in a module per part.

`context` is what every part needs (this tablet's counter, shift and cart, the drawer strip, the cart fragment and
dialogs); `till` the page itself and the register and shift at the counter; `cart` the lines (scan, search, quick
keys, quantities, price, void); `discounts`; `customers`; `parking`; `pay` (the tenders dialog, checkout and the screen
after it); `drawer` (cash in and out); `returns` (Return mode: finding a sale to return, its panel, and recording the
return). Templates are in templates/counter/.
"""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("counter", __name__, url_prefix="/counter")

# Each part registers its routes on `bp` when imported, so it comes after `bp`.
from ismartsync.views.counter import (  # noqa: E402, F401
    cart,
    customers,
    discounts,
    drawer,
    exchange,
    no_receipt,
    parking,
    pay,
    returned,
    returns,
    till,
)
