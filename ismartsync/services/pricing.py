"""Pricing a cart: line and order discounts, tax per line (inclusive, exclusive, Third Schedule), totals in paisa."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

WHOLE_BP = 10_000  # 100.00 % in basis points


class DiscountKind(StrEnum):
    AMOUNT = "amount"  # value in minor units, in the price convention (tax-inclusive when prices include tax)
    PERCENT = "percent"  # value in basis points (1000 = 10 %)


@dataclass(frozen=True)
class Discount:
    kind: DiscountKind
    value: int


@dataclass(frozen=True)
class LineInput:
    unit_price_minor: int  # price charged per unit (after any override), in the merchant's convention;
    # for Third-Schedule items the printed retail price, which always includes tax
    quantity: int  # >= 1
    tax_rate_bp: int
    third_schedule: bool = False
    discount: Discount | None = None


@dataclass(frozen=True)
class LinePrice:
    gross_minor: int  # quantity × unit price (price convention)
    line_discount_minor: int  # from the line's own discount
    order_discount_minor: int  # this line's share of the order discount
    discount_minor: int  # line + order share (price convention)
    discount_excl_minor: int  # the discount excluding tax (FBR item Discount field) = gross excl. tax − value
    value_minor: int  # sale value excluding tax, net of all discounts (FBR SaleValue)
    tax_minor: int
    total_minor: int  # value + tax: what the customer pays for this line


@dataclass(frozen=True)
class Totals:
    lines: tuple[LinePrice, ...]
    quantity: int
    subtotal_minor: int  # sum of gross
    discount_minor: int  # sum of discounts (price convention: "Discount (incl. GST)" when prices include tax)
    value_minor: int  # sum of line values
    tax_minor: int  # sum of line taxes
    grand_total_minor: int  # sum of line totals
    pos_fee_minor: int
    payable_minor: int  # grand total + POS fee


def _div_half_up(numerator: int, denominator: int) -> int:
    """numerator / denominator rounded half up, for numerator >= 0 and denominator > 0."""
    quotient, remainder = divmod(numerator, denominator)
    return quotient + (1 if 2 * remainder >= denominator else 0)


def discount_amount(base_minor: int, discount: Discount | None) -> int:
    """The discount in minor units on `base_minor`, never more than the base and never negative.

    A percentage is rounded half up to the paisa; an amount larger than the base is cut to the base.
    """
    if base_minor < 0:
        raise ValueError(f"negative discount base: {base_minor}")
    if discount is None:
        return 0
    if discount.value < 0:
        raise ValueError(f"negative discount: {discount.value}")
    if discount.kind is DiscountKind.PERCENT:
        if discount.value > WHOLE_BP:
            raise ValueError(f"discount over 100 %: {discount.value} bp")
        return _div_half_up(base_minor * discount.value, WHOLE_BP)
    return min(discount.value, base_minor)


def discount_share_bp(base_minor: int, amount_minor: int) -> int:
    """What fraction of `base_minor` the amount is, in basis points rounded half up (0 when base is 0).

    Used to check a discount against the cashier's limit.
    """
    if base_minor < 0 or amount_minor < 0:
        raise ValueError("base and amount must not be negative")
    if base_minor == 0:
        return 0
    return _div_half_up(amount_minor * WHOLE_BP, base_minor)


def _allocate(amount: int, bases: Sequence[int]) -> list[int]:
    """Split `amount` over `bases` in proportion, largest remainder first, so the shares sum exactly to it."""
    whole = sum(bases)
    if whole == 0:
        return [0] * len(bases)
    shares, remainders = [], []
    for base in bases:
        share, remainder = divmod(amount * base, whole)
        shares.append(share)
        remainders.append(remainder)
    # The paisa left over by flooring go one each to the largest remainders; sorted() is stable, so on a tie
    # the earlier line wins. A base-0 line has remainder 0 and fewer paisa are left than non-zero remainders.
    left = amount - sum(shares)
    for index in sorted(range(len(bases)), key=lambda i: -remainders[i])[:left]:
        shares[index] += 1
    return shares


def _third_schedule_tax(gross: int, rate_bp: int) -> int:
    # The printed retail price already contains the tax: RP × rate / (100 % + rate), whatever the discount.
    return _div_half_up(gross * rate_bp, WHOLE_BP + rate_bp)


def _gross_and_line_discount(line: LineInput) -> tuple[int, int]:
    if line.quantity < 1:
        raise ValueError(f"quantity below 1: {line.quantity}")
    if line.unit_price_minor < 0:
        raise ValueError(f"negative price: {line.unit_price_minor}")
    if line.tax_rate_bp < 0:
        raise ValueError(f"negative tax rate: {line.tax_rate_bp}")
    gross = line.quantity * line.unit_price_minor
    line_discount = discount_amount(gross, line.discount)
    if line.third_schedule:
        # Tax stays on the full retail price, so a bigger discount would leave a negative sale value.
        line_discount = min(line_discount, gross - _third_schedule_tax(gross, line.tax_rate_bp))
    return gross, line_discount


def _price_line(line: LineInput, gross: int, line_discount: int, share: int, prices_include_tax: bool) -> LinePrice:
    rate = line.tax_rate_bp
    if line.third_schedule:
        tax = _third_schedule_tax(gross, rate)
        share = min(share, gross - tax - line_discount)  # the part cut by the cap is not given, not moved elsewhere
        total = gross - line_discount - share
        value = total - tax
        gross_excl = gross - tax
    elif prices_include_tax:
        total = gross - line_discount - share
        value = _div_half_up(total * WHOLE_BP, WHOLE_BP + rate)
        tax = total - value
        gross_excl = _div_half_up(gross * WHOLE_BP, WHOLE_BP + rate)
    else:
        value = gross - line_discount - share
        tax = _div_half_up(value * rate, WHOLE_BP)
        total = value + tax
        gross_excl = gross
    return LinePrice(
        gross_minor=gross,
        line_discount_minor=line_discount,
        order_discount_minor=share,
        discount_minor=line_discount + share,
        discount_excl_minor=gross_excl - value,
        value_minor=value,
        tax_minor=tax,
        total_minor=total,
    )


def price_cart(
    lines: Sequence[LineInput],
    *,
    prices_include_tax: bool,
    order_discount: Discount | None = None,
    pos_fee_minor: int = 0,
) -> Totals:
    """Price every line and the whole cart.

    Each line's gross (quantity × unit price) loses its own discount first. The order discount is taken on the sum
    of what is left and shared over the lines in proportion to it, by largest remainder (ties to the earlier line),
    so the shares add up exactly. Tax is rounded half up per line and the cart's totals are sums of the lines:
    - prices include tax: value = total × 100 % / (100 % + rate), tax = total − value;
    - prices exclude tax: tax = value × rate, total = value + tax;
    - Third Schedule (either convention): tax = retail price × rate / (100 % + rate) on the undiscounted gross,
      total = gross − discount, value = total − tax. Discounts on such a line are capped at gross − tax so the
      value never goes negative; an order share cut by the cap is simply not given (the order discount shrinks).
    payable = grand total + `pos_fee_minor` (the FBR POS fee; 0 when the merchant has it off).
    Raises ValueError on a quantity below 1, a negative price, rate, fee or discount, or a percentage over 100 %.
    """
    if pos_fee_minor < 0:
        raise ValueError(f"negative POS fee: {pos_fee_minor}")
    grosses_and_discounts = [_gross_and_line_discount(line) for line in lines]
    bases = [gross - line_discount for gross, line_discount in grosses_and_discounts]
    shares = _allocate(discount_amount(sum(bases), order_discount), bases)
    priced = tuple(
        _price_line(line, gross, line_discount, share, prices_include_tax)
        for line, (gross, line_discount), share in zip(lines, grosses_and_discounts, shares, strict=True)
    )
    grand_total = sum(line.total_minor for line in priced)
    return Totals(
        lines=priced,
        quantity=sum(line.quantity for line in lines),
        subtotal_minor=sum(line.gross_minor for line in priced),
        discount_minor=sum(line.discount_minor for line in priced),
        value_minor=sum(line.value_minor for line in priced),
        tax_minor=sum(line.tax_minor for line in priced),
        grand_total_minor=grand_total,
        pos_fee_minor=pos_fee_minor,
        payable_minor=grand_total + pos_fee_minor,
    )
