"""The receipt code: the short number under the barcode on every receipt and invoice, which finds the sale again.

A USIN (`GUL-C3-000123`) names the sale but is too long for a 1-D barcode on a 58 mm roll once a branch code has 12
characters, and its letters force Code 128's wider character sets. The receipt code carries the same two numbers
(the counter and its gapless sale number, unique together) in digits only, so Code 128 packs two digits a symbol:

    <how many digits the counter id has><the counter id><the sale number, zero-padded to an even total, at least 6>

`13000123` is counter 3's sale 123; `2420000123` counter 42's. The first digit makes it self-delimiting (any sale
number fits, however large), and a sale is found through the (counter, number) key within the merchant only.
"""

from __future__ import annotations

import re

from ismartsync.inputs import parse_id

MIN_NUMBER_DIGITS = 6
MAX_LENGTH = 22  # 1 + a 9-digit counter id + a sale number within PostgreSQL's integer (and padding)
_DIGITS = re.compile(r"[0-9]+")


def receipt_code(counter_id: int, number: int) -> str:
    """The receipt code of sale `number` on counter `counter_id`: digits only, of even length."""
    counter = str(counter_id)
    if not 1 <= len(counter) <= 9 or number < 0:
        raise ValueError(f"no receipt code for counter {counter_id}, number {number}")
    head = f"{len(counter)}{counter}"
    width = max(MIN_NUMBER_DIGITS, len(str(number)))
    if (len(head) + width) % 2:
        width += 1
    return f"{head}{number:0{width}d}"


def parse_receipt_code(text: str) -> tuple[int, int] | None:
    """(counter id, sale number) from a receipt code as scanned or typed; None for anything that is not one."""
    code = text.strip()
    if not 8 <= len(code) <= MAX_LENGTH or not _DIGITS.fullmatch(code):
        return None
    size = int(code[0])
    counter, number = code[1 : 1 + size], code[1 + size :]
    if size == 0 or counter.startswith("0") or len(number) < MIN_NUMBER_DIGITS:
        return None
    counter_id, sale_number = parse_id(counter), parse_id(number)  # past the database's integer: no such sale
    if counter_id is None or sale_number is None:
        return None
    return counter_id, sale_number
