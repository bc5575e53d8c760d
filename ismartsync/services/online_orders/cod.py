"""Cash on delivery, told from an order's payment gateway names.

Shopify has no "COD" flag: an order names the payment methods it used. Cash on delivery shows as Shopify's own manual
method "Cash on Delivery (COD)" (`cash_on_delivery` in REST payloads and older stores), and Pakistani merchants often
add manual methods of their own named "COD", "COD - Karachi only", "Cash on delivery (Lahore)". So a gateway name is
COD when, lower-cased and cut into words at anything that is not a letter or digit, it holds the words "cash on
delivery" in a row or the word "cod". Nothing else is guessed at: "Bank Deposit", "JazzCash", "shopify_payments",
"Cards (Codeless Pay)" are not COD ("codeless" is not the word "cod").
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_WORDS = re.compile(r"[a-z0-9]+")


def is_cod_gateway(name: str) -> bool:
    words = _WORDS.findall((name or "").lower())
    if "cod" in words:
        return True
    return any(words[i : i + 3] == ["cash", "on", "delivery"] for i in range(len(words)))


def is_cod(gateway_names: Iterable[str]) -> bool:
    """Whether any of the order's payment methods is cash on delivery."""
    return any(is_cod_gateway(name) for name in gateway_names)
