"""Cart pricing: hand-computed carts, rounding, and sums that always add up, in integer paisa."""

from __future__ import annotations

import itertools

import pytest

from ismartsync.services.pricing import (
    Discount,
    DiscountKind,
    LineInput,
    Totals,
    discount_amount,
    discount_share_bp,
    price_cart,
)


def amount(minor: int) -> Discount:
    return Discount(DiscountKind.AMOUNT, minor)


def percent(bp: int) -> Discount:
    return Discount(DiscountKind.PERCENT, bp)


def line(
    price: int, qty: int = 1, rate: int = 1800, *, ts: bool = False, discount: Discount | None = None
) -> LineInput:
    return LineInput(unit_price_minor=price, quantity=qty, tax_rate_bp=rate, third_schedule=ts, discount=discount)


# Each row: lines, prices_include_tax, order discount, POS fee,
#   per line (line discount, order share, discount excl. tax, value, tax, total),
#   totals (subtotal, discount, value, tax, grand total, payable).
PRICING_TABLE = [
    # FBR reference §2.8, exclusive: TS-001 2 × 1,000.00 = 2,000.00 − 100.00 = 1,900.00; × 18 % = 342.00 → 2,242.00.
    # BL-007 1,500.00 × 18 % = 270.00 → 1,770.00. Totals 3,400.00 + 612.00 = 4,012.00.
    pytest.param(
        [line(100000, 2, discount=amount(10000)), line(150000)],
        False,
        None,
        0,
        [(10000, 0, 10000, 190000, 34200, 224200), (0, 0, 0, 150000, 27000, 177000)],
        (350000, 10000, 340000, 61200, 401200, 401200),
        id="fbr-2.8-exclusive",
    ),
    # The same sale with the Re 1 POS fee on: payable 4,012.00 + 1.00 = 4,013.00; the fee is not in the grand total.
    pytest.param(
        [line(100000, 2, discount=amount(10000)), line(150000)],
        False,
        None,
        100,
        [(10000, 0, 10000, 190000, 34200, 224200), (0, 0, 0, 150000, 27000, 177000)],
        (350000, 10000, 340000, 61200, 401200, 401300),
        id="pos-fee-re-1",
    ),
    # Inclusive 18 %, Rs 999: value 99900 × 10000 / 11800 = 84661.02 → 84661 (846.61); tax 99900 − 84661 = 15239.
    pytest.param(
        [line(99900)],
        True,
        None,
        0,
        [(0, 0, 0, 84661, 15239, 99900)],
        (99900, 0, 84661, 15239, 99900, 99900),
        id="inclusive-999",
    ),
    # Inclusive 1,180.00 less 10 % = 118.00 → total 1,062.00; value 1062 / 1.18 = 900.00, tax 162.00;
    # gross excl. 1,000.00 − 900.00 = discount excl. 100.00.
    pytest.param(
        [line(118000, discount=percent(1000))],
        True,
        None,
        0,
        [(11800, 0, 10000, 90000, 16200, 106200)],
        (118000, 11800, 90000, 16200, 106200, 106200),
        id="inclusive-10-percent-line-discount",
    ),
    # Inclusive 2 × 999 = 199800 less 10 % = 19980 → 179820; value 1798200000 / 11800 = 152389.83 → 152390,
    # tax 27430; gross excl. 1998000000 / 11800 = 169322.03 → 169322, discount excl. 169322 − 152390 = 16932.
    pytest.param(
        [line(99900, 2, discount=percent(1000))],
        True,
        None,
        0,
        [(19980, 0, 16932, 152390, 27430, 179820)],
        (199800, 19980, 152390, 27430, 179820, 179820),
        id="inclusive-10-percent-line-discount-rounded",
    ),
    # Order Re 1 (100) over bases 10000/20000/30000: 16.67, 33.33, 50 → floors 16+33+50 = 99; the one paisa left goes
    # to the largest remainder (line 1) → 17, 33, 50. Exclusive 18 %: 9983 → tax 1796.94 → 1797; 19967 → 3594.06 → 3594;
    # 29950 → 5391.
    pytest.param(
        [line(10000), line(20000), line(30000)],
        False,
        amount(100),
        0,
        [(0, 17, 17, 9983, 1797, 11780), (0, 33, 33, 19967, 3594, 23561), (0, 50, 50, 29950, 5391, 35341)],
        (60000, 100, 59900, 10782, 70682, 70682),
        id="order-amount-largest-remainder",
    ),
    # Order 100 over three equal bases: 33.33 each → 99, remainders equal, so the earlier line gets the paisa: 34/33/33.
    pytest.param(
        [line(10000, rate=0), line(10000, rate=0), line(10000, rate=0)],
        False,
        amount(100),
        0,
        [(0, 34, 34, 9966, 0, 9966), (0, 33, 33, 9967, 0, 9967), (0, 33, 33, 9967, 0, 9967)],
        (30000, 100, 29900, 0, 29900, 29900),
        id="order-amount-tie-goes-to-earlier-line",
    ),
    # Order 5 % of (200000 + 150000) = 17500, shared 200000:150000 → 10000 and 7500. Exclusive 18 %:
    # 190000 → 34200; 142500 → 25650.
    pytest.param(
        [line(100000, 2), line(150000)],
        False,
        percent(500),
        0,
        [(0, 10000, 10000, 190000, 34200, 224200), (0, 7500, 7500, 142500, 25650, 168150)],
        (350000, 17500, 332500, 59850, 392350, 392350),
        id="order-percent",
    ),
    # Same cart exclusive: 118000 → tax 21240; 3 × 5000 = 15000 → tax 2700.
    pytest.param(
        [line(118000), line(5000, 3)],
        False,
        None,
        0,
        [(0, 0, 0, 118000, 21240, 139240), (0, 0, 0, 15000, 2700, 17700)],
        (133000, 0, 133000, 23940, 156940, 156940),
        id="same-cart-exclusive",
    ),
    # ... and inclusive: 118000 / 1.18 = 100000, tax 18000; 15000 / 1.18 = 12711.86 → 12712, tax 2288.
    pytest.param(
        [line(118000), line(5000, 3)],
        True,
        None,
        0,
        [(0, 0, 0, 100000, 18000, 118000), (0, 0, 0, 12712, 2288, 15000)],
        (133000, 0, 112712, 20288, 133000, 133000),
        id="same-cart-inclusive",
    ),
    # Third Schedule, retail price 118.00 at 18 %: tax 11800 × 1800 / 11800 = 1800, value 10000, in either convention.
    pytest.param(
        [line(11800, ts=True)],
        True,
        None,
        0,
        [(0, 0, 0, 10000, 1800, 11800)],
        (11800, 0, 10000, 1800, 11800, 11800),
        id="third-schedule-inclusive-merchant",
    ),
    pytest.param(
        [line(11800, ts=True)],
        False,
        None,
        0,
        [(0, 0, 0, 10000, 1800, 11800)],
        (11800, 0, 10000, 1800, 11800, 11800),
        id="third-schedule-exclusive-merchant",
    ),
    # Rs 10 off the retail price: tax stays 1800 (on 11800); total 10800, value 10800 − 1800 = 9000;
    # discount excl. (11800 − 1800) − 9000 = 1000.
    pytest.param(
        [line(11800, ts=True, discount=amount(1000))],
        True,
        None,
        0,
        [(1000, 0, 1000, 9000, 1800, 10800)],
        (11800, 1000, 9000, 1800, 10800, 10800),
        id="third-schedule-discount-leaves-tax",
    ),
    # 100 % off a Third-Schedule line is capped at gross − tax = 10000: the customer still pays the 1800 tax, value 0.
    pytest.param(
        [line(11800, ts=True, discount=percent(10000))],
        False,
        None,
        0,
        [(10000, 0, 10000, 0, 1800, 1800)],
        (11800, 10000, 0, 1800, 1800, 1800),
        id="third-schedule-line-discount-capped",
    ),
    # Bases 11800 − 9500 = 2300 and 10000; order 25 % = 3075 → 575 and 2500. The Third-Schedule line may take only
    # 10000 − 9500 = 500 more, so 75 is not given (and not moved): order discount 3000, not 3075.
    pytest.param(
        [line(11800, ts=True, discount=amount(9500)), line(10000, rate=0)],
        False,
        percent(2500),
        0,
        [(9500, 500, 10000, 0, 1800, 1800), (0, 2500, 2500, 7500, 0, 7500)],
        (21800, 12500, 7500, 1800, 9300, 9300),
        id="third-schedule-order-share-capped",
    ),
    # Rate 0: value = total, tax 0; a Third-Schedule line at 0 % behaves the same (250.00 − 10 % = 225.00).
    pytest.param(
        [line(25000, rate=0), line(25000, rate=0, ts=True, discount=percent(1000))],
        True,
        None,
        0,
        [(0, 0, 0, 25000, 0, 25000), (2500, 0, 2500, 22500, 0, 22500)],
        (50000, 2500, 47500, 0, 47500, 47500),
        id="rate-zero",
    ),
    # Mixed, inclusive, order 10 % of 258600 = 25860 → 11700 / 11800 / 2360.
    # 17 % variant 1170.00 − 117.00 = 1053.00 → / 1.17 = 900.00, tax 153.00; gross excl. 1000.00.
    # 18 % 2 × 590.00 − 118.00 = 1062.00 → 900.00 + 162.00; gross excl. 1000.00.
    # Third Schedule 236.00: tax 23600 × 1800 / 11800 = 3600 whatever the discount; total 21240, value 17640.
    pytest.param(
        [line(117000, rate=1700), line(59000, 2), line(23600, ts=True)],
        True,
        percent(1000),
        0,
        [
            (0, 11700, 10000, 90000, 15300, 105300),
            (0, 11800, 10000, 90000, 16200, 106200),
            (0, 2360, 2360, 17640, 3600, 21240),
        ],
        (258600, 25860, 197640, 35100, 232740, 232740),
        id="mixed-17-18-third-schedule",
    ),
    # Exactly half a paisa rounds up: 12525 × 18 % = 2254.5 → 2255; just under: 12524 × 18 % = 2254.32 → 2254.
    pytest.param(
        [line(12525), line(12524)],
        False,
        None,
        0,
        [(0, 0, 0, 12525, 2255, 14780), (0, 0, 0, 12524, 2254, 14778)],
        (25049, 0, 25049, 4509, 29558, 29558),
        id="half-paisa-tax-rounds-up",
    ),
    # 10 % of 15 paisa = 1.5 → 2; 10 % of 14 = 1.4 → 1.
    pytest.param(
        [line(15, rate=0, discount=percent(1000)), line(14, rate=0, discount=percent(1000))],
        False,
        None,
        0,
        [(2, 0, 2, 13, 0, 13), (1, 0, 1, 13, 0, 13)],
        (29, 3, 26, 0, 26, 26),
        id="half-paisa-discount-rounds-up",
    ),
]


LINE_FIELDS = (
    "line_discount_minor",
    "order_discount_minor",
    "discount_excl_minor",
    "value_minor",
    "tax_minor",
    "total_minor",
)


@pytest.mark.parametrize(("lines", "inclusive", "order", "fee", "expected_lines", "expected_totals"), PRICING_TABLE)
def test_cart_prices_match_the_hand_computed_figures(lines, inclusive, order, fee, expected_lines, expected_totals):
    totals = price_cart(lines, prices_include_tax=inclusive, order_discount=order, pos_fee_minor=fee)

    got_lines = [tuple(getattr(priced, field) for field in LINE_FIELDS) for priced in totals.lines]
    got_totals = (
        totals.subtotal_minor,
        totals.discount_minor,
        totals.value_minor,
        totals.tax_minor,
        totals.grand_total_minor,
        totals.payable_minor,
    )
    assert got_lines == expected_lines
    assert got_totals == expected_totals
    _assert_adds_up(lines, totals, inclusive, order, fee)


def test_fbr_example_reports_quantity_and_fee_as_given():
    totals = price_cart(
        [line(100000, 2, discount=amount(10000)), line(150000)], prices_include_tax=False, pos_fee_minor=100
    )

    assert (totals.quantity, totals.pos_fee_minor) == (3, 100)
    assert [p.gross_minor for p in totals.lines] == [200000, 150000]


@pytest.mark.parametrize(
    ("base", "discount", "expected"),
    [
        (10000, None, 0),
        (10000, amount(500), 500),
        (10000, amount(20000), 10000),  # more than the base is cut to the base
        (15, percent(1000), 2),  # 1.5 → 2
        (14, percent(1000), 1),  # 1.4 → 1
        (10000, percent(10000), 10000),
        (10000, percent(0), 0),
        (0, percent(5000), 0),
    ],
)
def test_discount_amount_rounds_half_up_and_never_exceeds_the_base(base, discount, expected):
    assert discount_amount(base, discount) == expected


@pytest.mark.parametrize(
    ("base", "amount_minor", "expected"),
    [
        (0, 0, 0),
        (0, 50, 0),  # nothing to take a share of
        (10000, 1000, 1000),
        (3, 1, 3333),  # 3333.33
        (3, 2, 6667),  # 6666.67
        (20000, 1, 1),  # 0.5 bp → 1
        (30000, 1, 0),  # 0.33 bp
    ],
)
def test_discount_share_is_basis_points_of_the_base_rounded_half_up(base, amount_minor, expected):
    assert discount_share_bp(base, amount_minor) == expected


def test_an_empty_cart_costs_nothing():
    totals = price_cart([], prices_include_tax=True, order_discount=amount(500))

    assert totals == Totals((), 0, 0, 0, 0, 0, 0, 0, 0)


_GRID_LINES = [
    line(price, qty, rate, ts=ts, discount=discount)
    for price, qty, rate, ts, discount in itertools.product(
        [0, 1, 99, 999, 99900, 118000],
        [1, 3],
        [0, 1700, 1800],
        [False, True],
        [None, amount(1), amount(50000), percent(333), percent(10000)],
    )
]
_GRID_CARTS = [_GRID_LINES[start : start + size] for start in range(0, len(_GRID_LINES), 5) for size in (1, 3)]


@pytest.mark.parametrize("inclusive", [True, False])
@pytest.mark.parametrize("order", [None, amount(1), amount(12345), percent(333), percent(10000)])
def test_every_cart_on_a_grid_adds_up_and_nothing_is_negative(inclusive, order):
    for lines in _GRID_CARTS:
        totals = price_cart(lines, prices_include_tax=inclusive, order_discount=order, pos_fee_minor=100)
        _assert_adds_up(lines, totals, inclusive, order, 100)


def _assert_adds_up(lines, totals, inclusive, order, fee):
    bases = []
    for given, priced in zip(lines, totals.lines, strict=True):
        assert priced.gross_minor == given.quantity * given.unit_price_minor
        assert priced.value_minor + priced.tax_minor == priced.total_minor
        assert priced.discount_minor == priced.line_discount_minor + priced.order_discount_minor
        assert min(vars(priced).values()) >= 0
        if given.third_schedule or inclusive:
            assert priced.total_minor == priced.gross_minor - priced.discount_minor
        else:
            assert priced.value_minor == priced.gross_minor - priced.discount_minor
        if given.third_schedule:  # the discount never changes a Third-Schedule line's tax
            undiscounted = LineInput(given.unit_price_minor, given.quantity, given.tax_rate_bp, third_schedule=True)
            assert priced.tax_minor == price_cart([undiscounted], prices_include_tax=inclusive).lines[0].tax_minor
        bases.append(priced.gross_minor - priced.line_discount_minor)

    order_amount = discount_amount(sum(bases), order)
    shares = [p.order_discount_minor for p in totals.lines]
    if any(given.third_schedule for given in lines):
        assert sum(shares) <= order_amount  # a capped Third-Schedule share is not handed to another line
    else:
        assert sum(shares) == order_amount
        whole = sum(bases)
        for base, share in zip(bases, shares, strict=True):  # each share is its proportion, floored or ceiled
            assert abs(share * whole - order_amount * base) < whole or share == whole == 0

    assert totals.quantity == sum(given.quantity for given in lines)
    assert totals.subtotal_minor == sum(p.gross_minor for p in totals.lines)
    assert totals.discount_minor == sum(p.discount_minor for p in totals.lines)
    assert totals.value_minor == sum(p.value_minor for p in totals.lines)
    assert totals.tax_minor == sum(p.tax_minor for p in totals.lines)
    assert totals.grand_total_minor == sum(p.total_minor for p in totals.lines)
    assert totals.payable_minor == totals.grand_total_minor + fee


@pytest.mark.parametrize(
    ("lines", "order", "fee"),
    [
        pytest.param([line(100, 0)], None, 0, id="quantity-zero"),
        pytest.param([line(-1)], None, 0, id="negative-price"),
        pytest.param([line(100, rate=-1)], None, 0, id="negative-rate"),
        pytest.param([line(100, discount=amount(-1))], None, 0, id="negative-line-amount"),
        pytest.param([line(100, discount=percent(-1))], None, 0, id="negative-line-percent"),
        pytest.param([line(100, discount=percent(10001))], None, 0, id="line-percent-over-100"),
        pytest.param([line(100)], amount(-5), 0, id="negative-order-amount"),
        pytest.param([line(100)], percent(10001), 0, id="order-percent-over-100"),
        pytest.param([line(100)], None, -1, id="negative-pos-fee"),
    ],
)
def test_impossible_input_is_refused_with_value_error(lines, order, fee):
    with pytest.raises(ValueError):
        price_cart(lines, prices_include_tax=True, order_discount=order, pos_fee_minor=fee)


def test_discount_helpers_refuse_negative_figures():
    with pytest.raises(ValueError):
        discount_amount(-1, None)
    with pytest.raises(ValueError):
        discount_share_bp(100, -1)
