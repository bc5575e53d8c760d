"""How a sale's tenders are reported as FBR's PaymentMode (fbr.md §2.3): the one table the payload builder, Settings →
FBR and the README all read, for a merchant's licensed integrator (or PRAL) to confirm.

FBR's list is Cash, Card, Gift Voucher, Loyalty Card, Mixed, Cheque, numbered 1–6 by every implementation [P: S2's
field table; 3P: G1 on the numbering]. It has no code for a bank transfer or a mobile wallet, so their rows are [U]
(fbr.md's tag: unverified, to confirm), as is the rule for mixed tenders. What public IMS integrations send:

- `ZainKizilbash/erpnext` `erpnext/erpnext_integrations/fbr_pos_integration.py` (`get_payment_mode`): one payment:
  Cash 1, Card 2, Cheque 6, any other kind (ERPNext's Bank, Phone, General) 5; two or more payments: 5, even of one
  kind; loyalty points redeemed: 5 (4 when nothing else was paid).
- `muhammadabdullah-dot/branch-backend` `app/services/fbr_service.py` (`PAYMENT_MODES`): Easypaisa, JazzCash and bank
  transfers 2 ("our choice, to confirm with PRAL"); one kind of tender: its code; several kinds: 5.
- `Tier3-Pk/FBR-POS-INTEGRATION-SERVICES` `receipt.php`: Cash 1, debit or credit card 2, "Mixed" 5; nothing else.

We follow branch-backend and fbr.md §2.3 (bank and wallet as 2) until an integrator says otherwise; changing a row here
changes what is sent, what Settings → FBR shows and (through tests/fiscal/test_payment_modes.py) the README.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ismartsync.models.sale import Tender

CASH, CARD, GIFT_VOUCHER, LOYALTY_CARD, MIXED, CHEQUE = 1, 2, 3, 4, 5, 6
FBR_NAMES = {
    CASH: "Cash",
    CARD: "Card",
    GIFT_VOUCHER: "Gift Voucher",
    LOYALTY_CARD: "Loyalty Card",
    MIXED: "Mixed",
    CHEQUE: "Cheque",
}


@dataclass(frozen=True)
class PaymentModeRow:
    """One kind of tender and the PaymentMode it is reported as, with fbr.md's evidence tag and why."""

    tender: Tender
    code: int
    evidence: str  # "P": FBR's own list names it; "U": unverified, to confirm with PRAL or the integrator
    why: str

    @property
    def fbr_name(self) -> str:
        return FBR_NAMES[self.code]


PAYMENT_MODES: tuple[PaymentModeRow, ...] = (
    PaymentModeRow(Tender.CASH, CASH, "P", "FBR's Cash."),
    PaymentModeRow(Tender.CARD, CARD, "P", "FBR's Card (debit or credit)."),
    PaymentModeRow(
        Tender.BANK, CARD, "U", "FBR has no code for a bank transfer; the ERPNext IMS integration sends 5 (Mixed)."
    ),
    PaymentModeRow(
        Tender.WALLET, CARD, "U", "FBR has no code for a mobile wallet; the ERPNext IMS integration sends 5 (Mixed)."
    ),
    PaymentModeRow(
        Tender.STORE_CREDIT,
        GIFT_VOUCHER,
        "U",
        "Credit the shop issued for goods returned, spent like a voucher; the ERPNext integration sends 4 for loyalty.",
    ),
    PaymentModeRow(
        Tender.EXCHANGE,
        GIFT_VOUCHER,
        "U",
        "An exchange's returned goods paying towards the new sale: no FBR code says so; a voucher is the nearest.",
    ),
)
MIXED_RULE = (
    "Tenders of two or more kinds on one sale (cash and card, card and wallet): 5 (Mixed). Several payments of one "
    "kind: that kind's code (ERPNext sends 5 for any two payments). No payment at all: 1 (Cash)."
)
_CODES = {row.tender: row.code for row in PAYMENT_MODES}


def payment_mode(tenders: Iterable[str]) -> int:
    """The PaymentMode of a sale paid with `tenders` (one entry per payment), by the table and `MIXED_RULE`."""
    kinds = {Tender(tender) for tender in tenders}
    if not kinds:
        return CASH
    if len(kinds) > 1:
        return MIXED
    return _CODES[kinds.pop()]


def payment_modes_markdown() -> str:
    """The table as the README prints it (a test keeps the README's copy equal to this)."""
    rows = [
        "| Tender | PaymentMode | Evidence | Why |",
        "|---|---|---|---|",
        *(
            f"| {row.tender.label} | {row.code} ({row.fbr_name}) | [{row.evidence}] | {row.why} |"
            for row in PAYMENT_MODES
        ),
        f"| Two or more kinds | {MIXED} ({FBR_NAMES[MIXED]}) | [U] | {MIXED_RULE} |",
    ]
    return "\n".join(rows)
