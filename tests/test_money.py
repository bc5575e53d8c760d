"""Money: integer paisa everywhere, converted only in `ismartsync.money`, half up, never through float."""

from decimal import Decimal

import pytest

from ismartsync.money import format_money, to_decimal, to_minor


@pytest.mark.parametrize(
    ("amount", "minor"),
    [("2990.00", 299000), ("0.005", 1), ("12.345", 1235), ("-12.345", -1235), (Decimal("1.10"), 110), (7, 700)],
)
def test_amounts_become_paisa_rounded_half_up(amount, minor):
    assert to_minor(amount) == minor


def test_a_non_amount_is_refused():
    with pytest.raises(ValueError, match="not an amount"):
        to_minor("Rs 10")


def test_paisa_become_two_place_decimals_for_shopify_and_fbr():
    assert to_decimal(299050) == Decimal("2990.50")
    assert str(to_decimal(7)) == "0.07"


@pytest.mark.parametrize(
    ("minor", "text"),
    [(299000, "Rs 2,990"), (299050, "Rs 2,990.50"), (-150, "-Rs 1.50"), (None, "—"), (1234567800, "Rs 12,345,678")],
)
def test_amounts_show_with_thousands_separators_and_paisa_only_when_there_are_any(minor, text):
    assert format_money(minor) == text
