"""What a document prints about the buyer: in full for the merchant, identity numbers masked on a shared link."""

from __future__ import annotations

from dataclasses import dataclass

from ismartsync.models import Sale

MASK = "•"


def mask_digits(value: str, keep: int = 4) -> str:
    """Every digit but the last `keep` replaced by a bullet, separators kept: "35202-1234567-1" → "•••••-••••567-1"."""
    digits = sum(ch.isdigit() for ch in value)
    hidden = max(0, digits - keep)
    out = []
    for ch in value:
        if ch.isdigit() and hidden:
            out.append(MASK)
            hidden -= 1
        else:
            out.append(ch)
    return "".join(out)


@dataclass(frozen=True)
class Buyer:
    name: str
    phone: str
    cnic: str
    ntn: str

    def __bool__(self) -> bool:
        return bool(self.name or self.phone or self.cnic or self.ntn)


def buyer_of(sale: Sale, masked: bool = False) -> Buyer:
    """The buyer as the sale recorded them. `masked`: for a link or an email that may be forwarded, the CNIC and
    phone show only their last four digits (the NTN is a business's public tax number and stays whole)."""
    phone, cnic = sale.buyer_phone, sale.buyer_cnic
    if masked:
        phone, cnic = mask_digits(phone), mask_digits(cnic)
    return Buyer(name=sale.buyer_name, phone=phone, cnic=cnic, ntn=sale.buyer_ntn)
