"""FBR settings of a merchant and its counters (Settings → FBR), and who reports with which token."""

from __future__ import annotations

from ismartsync.models import Counter, Merchant
from ismartsync.models.merchant import FiscalBackendKind


def token_for(merchant: Merchant, counter: Counter) -> str | None:
    """The bearer token a counter's reports are sent with: its own when FBR issued one, else the merchant's."""
    return counter.fbr_token or merchant.fbr_token or None


def counter_reports_to_fbr(merchant: Merchant, counter: Counter) -> bool:
    """Whether a sale at this counter is reported: backend on, counter switched on, a POSID and a token to send."""
    return (
        merchant.fiscal_backend != FiscalBackendKind.OFF
        and counter.fbr_enabled
        and bool(counter.fbr_pos_id)
        and token_for(merchant, counter) is not None
    )
