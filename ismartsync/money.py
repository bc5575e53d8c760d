"""Money: integer minor units (paisa) everywhere; conversions happen only here (Decimal, ROUND_HALF_UP)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

MINOR_PER_MAJOR = 100


def to_minor(amount: Decimal | str | int) -> int:
    """A decimal amount ("2990.00", Decimal("12.345")) as minor units, rounded half up."""
    try:
        value = Decimal(str(amount))
    except InvalidOperation as exc:
        raise ValueError(f"not an amount: {amount!r}") from exc
    return int((value * MINOR_PER_MAJOR).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def to_decimal(minor: int) -> Decimal:
    """Minor units as a Decimal with two places, e.g. for Shopify's Money strings and FBR payloads."""
    return (Decimal(minor) / MINOR_PER_MAJOR).quantize(Decimal("0.01"))


def format_money(minor: int | None, currency: str = "Rs") -> str:
    """For display: "Rs 2,990" or "Rs 2,990.50"; negative amounts get a minus sign."""
    if minor is None:
        return "—"
    sign = "-" if minor < 0 else ""
    major, paisa = divmod(abs(minor), MINOR_PER_MAJOR)
    text = f"{major:,}" if paisa == 0 else f"{major:,}.{paisa:02d}"
    return f"{sign}{currency} {text}"
