"""The refund of returned units, pro-rated from what the sale line was actually paid: pure, no database.

A sale line holds its figures as checkout priced them (line and order discounts taken, tax rounded per line). The
first `k` units of a line refund `round(value × k / quantity)` of its value and `round(tax × k / quantity)` of its
tax, half up, and their sum as the total (so no part is ever negative); a return of `q` units after `before` were
returned refunds the difference between the first `before + q` and the first `before`. So however a
line is returned, in one go or in many, its refunds add up to exactly what was paid for it, never more, and
returning every unit refunds the line's total to the paisa. The POS fee belongs to no line and is never refunded.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


class PricedLine(Protocol):
    """What a sale line carries that a refund is taken from (`SaleLine` is one)."""

    quantity: int
    gross_minor: int
    discount_excl_minor: int
    value_minor: int
    tax_minor: int
    total_minor: int


@dataclass(frozen=True)
class LineRefund:
    """What some units of a line give back: value excluding tax, its tax, their total, and (for FBR's item fields)
    the gross and the discount excluding tax they carried."""

    quantity: int
    gross_minor: int
    discount_excl_minor: int
    value_minor: int
    tax_minor: int
    total_minor: int


def _share(figure: int, units: int, quantity: int) -> int:
    """figure × units / quantity, rounded half up (figures are never negative)."""
    quotient, remainder = divmod(figure * units, quantity)
    return quotient + (1 if 2 * remainder >= quantity else 0)


def _first(line: PricedLine, units: int) -> tuple[int, int, int, int]:
    """Gross, discount, value and tax of the line's first `units` units."""
    value, tax = _share(line.value_minor, units, line.quantity), _share(line.tax_minor, units, line.quantity)
    gross = _share(line.gross_minor, units, line.quantity)
    discount = _share(line.discount_excl_minor, units, line.quantity)
    return gross, discount, value, tax


def line_refund(line: PricedLine, returned_before: int, quantity: int) -> LineRefund:
    """The refund of `quantity` units of `line` when `returned_before` units of it were already returned.

    :raise ValueError: fewer than one unit, or more than are left to return.
    """
    if quantity < 1 or returned_before < 0 or returned_before + quantity > line.quantity:
        raise ValueError(f"cannot return {quantity} after {returned_before} of {line.quantity}")
    gross_0, discount_0, value_0, tax_0 = _first(line, returned_before)
    gross_1, discount_1, value_1, tax_1 = _first(line, returned_before + quantity)
    value, tax = value_1 - value_0, tax_1 - tax_0
    return LineRefund(
        quantity=quantity,
        gross_minor=gross_1 - gross_0,
        discount_excl_minor=discount_1 - discount_0,
        value_minor=value,
        tax_minor=tax,
        total_minor=value + tax,
    )
