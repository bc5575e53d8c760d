"""What a cash report covers and the helpers every cash report shares: the members it may name, shares, pages."""

from __future__ import annotations

from decimal import Decimal

import pytest

from ismartsync.extensions import db
from ismartsync.services.cash.report_filters import MAX_PAGE, members_for, page_number, percent
from tests import factories
from tests.services.cash.scripted_days import scripted_days


@pytest.fixture
def day(merchant, owner, manager, cashier, branch, counter):
    return scripted_days(merchant, owner, manager, cashier, branch, counter)


def test_members_named_are_those_of_the_branches(day, merchant, roles):
    factories.UserFactory(merchant=merchant, role=roles["Cashier"], full_name="Nobody Anywhere")
    gulberg_only = [u.full_name for u in members_for(db.session, merchant.id, (day.gulberg.id,))]
    assert "Sana Iqbal" in gulberg_only and "Bilal Ahmed" in gulberg_only  # works there / across branches
    assert "Omar Farooq" not in gulberg_only and "Nobody Anywhere" not in gulberg_only


def test_a_share_is_a_percentage_to_one_decimal_rounded_half_up_and_none_of_nothing():
    assert (percent(1, 3), percent(2, 3), percent(1, 8), percent(0, 5)) == (
        Decimal("33.3"),
        Decimal("66.7"),
        Decimal("12.5"),
        Decimal("0.0"),
    )
    assert percent(0, 0) is None


@pytest.mark.parametrize(
    ("asked", "page"), [(-3, 1), (0, 1), (1, 1), (7, 7), (MAX_PAGE, MAX_PAGE), (MAX_PAGE + 1, MAX_PAGE)]
)
def test_a_page_number_is_kept_between_the_first_and_the_last_page(asked, page):
    assert page_number(asked) == page
