"""Refunds pro-rated from what was paid (services/returns/amounts.py), over random carts priced by the real pricing:
line and order discounts, prices with and without tax, Third Schedule lines, and any order of partial returns."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ismartsync.services.pricing import Discount, DiscountKind, LineInput, price_cart
from ismartsync.services.returns.amounts import line_refund


@dataclass(frozen=True)
class Line:
    """A sale line's figures as checkout stores them (the fields `line_refund` reads)."""

    quantity: int
    gross_minor: int
    discount_excl_minor: int
    value_minor: int
    tax_minor: int
    total_minor: int


discounts = st.one_of(
    st.none(),
    st.builds(Discount, st.just(DiscountKind.PERCENT), st.integers(0, 10_000)),
    st.builds(Discount, st.just(DiscountKind.AMOUNT), st.integers(0, 500_000)),
)
cart_lines = st.builds(
    LineInput,
    unit_price_minor=st.integers(0, 2_000_000),
    quantity=st.integers(1, 12),
    tax_rate_bp=st.sampled_from([0, 500, 1700, 1800, 2500]),
    third_schedule=st.booleans(),
    discount=discounts,
)


@st.composite
def sales_and_returns(draw):
    """A priced cart, and for each line the order its units come back in (several returns, in any sizes)."""
    lines = draw(st.lists(cart_lines, min_size=1, max_size=6))
    totals = price_cart(
        lines,
        prices_include_tax=draw(st.booleans()),
        order_discount=draw(discounts),
        pos_fee_minor=draw(st.sampled_from([0, 100])),
    )
    sold = [
        Line(i.quantity, p.gross_minor, p.discount_excl_minor, p.value_minor, p.tax_minor, p.total_minor)
        for i, p in zip(lines, totals.lines, strict=True)
    ]
    returns = []
    for line in sold:
        sizes, left = [], line.quantity
        while left:
            size = draw(st.integers(1, left))
            sizes.append(size)
            left -= size
        returns.append(sizes)
    return totals, sold, returns


@settings(max_examples=400, deadline=None)
@given(sales_and_returns())
def test_partial_returns_never_refund_more_than_was_paid_and_all_of_them_refund_the_sale_total(case):
    totals, sold, returns = case
    refunded_total = 0
    for line, sizes in zip(sold, returns, strict=True):
        before, value, tax, total = 0, 0, 0, 0
        for size in sizes:
            refund = line_refund(line, before, size)
            assert refund.value_minor >= 0 and refund.tax_minor >= 0  # no part of a refund ever goes negative
            assert refund.total_minor == refund.value_minor + refund.tax_minor
            value, tax, total, before = (
                value + refund.value_minor,
                tax + refund.tax_minor,
                total + refund.total_minor,
                before + size,
            )
            assert value <= line.value_minor and tax <= line.tax_minor and total <= line.total_minor
        # Every unit back: exactly what the line was paid, to the paisa, however it was split.
        assert (value, tax, total) == (line.value_minor, line.tax_minor, line.total_minor)
        refunded_total += total
    assert refunded_total == totals.grand_total_minor == totals.payable_minor - totals.pos_fee_minor


@settings(max_examples=200, deadline=None)
@given(sales_and_returns(), st.data())
def test_a_refund_is_the_same_whichever_units_came_back_before(case, data):
    """Returning k units refunds what the first k would have, wherever they fall: the difference of two cumulative
    figures, so a line's partial refunds add up whatever their order."""
    _, sold, _ = case
    line = data.draw(st.sampled_from(sold))
    split = data.draw(st.integers(0, line.quantity))
    whole = line_refund(line, 0, line.quantity)
    parts = [line_refund(line, 0, split)] if split else []
    if split < line.quantity:
        parts.append(line_refund(line, split, line.quantity - split))
    assert sum(p.total_minor for p in parts) == whole.total_minor == line.total_minor


def test_an_example_by_hand_three_kurtas_at_rs_999_with_rs_100_off_the_line_and_18_percent_in_the_price():
    [priced] = price_cart(
        [LineInput(99_900, 3, 1800, discount=Discount(DiscountKind.AMOUNT, 10_000))], prices_include_tax=True
    ).lines
    line = Line(3, priced.gross_minor, priced.discount_excl_minor, priced.value_minor, priced.tax_minor, 289_700)
    assert (priced.total_minor, priced.value_minor, priced.tax_minor) == (289_700, 245_508, 44_192)
    refunds = [line_refund(line, 0, 1), line_refund(line, 1, 1), line_refund(line, 2, 1)]
    assert [r.value_minor for r in refunds] == [81_836, 81_836, 81_836]
    assert [r.tax_minor for r in refunds] == [14_731, 14_730, 14_731]
    assert sum(r.total_minor for r in refunds) == 289_700


@pytest.mark.parametrize(("before", "quantity"), [(0, 0), (0, 4), (3, 1), (-1, 1)])
def test_returning_units_that_are_not_there_is_refused(before, quantity):
    with pytest.raises(ValueError):
        line_refund(Line(3, 300, 0, 254, 46, 300), before, quantity)
