"""Reading sales back: the branch's list and its filters, who sees which branch, the sale a receipt prints."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from ismartsync.extensions import db
from ismartsync.models import Sale
from ismartsync.services import cart as carts
from ismartsync.services import parked as parking
from ismartsync.services import sales as service
from ismartsync.services.sales import SaleFilters, branches_for, sale_for_receipt, search_sales
from tests import factories
from tests.selling import cart_with, close_till, open_till, sell
from tests.sql import statements_sent


def _at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 1, day, hour, minute, tzinfo=UTC)


@pytest.fixture
def shop(merchant, branch, counter, manager, roles, till, items):
    """Two counters of one branch: Sana, then Bilal, sell on Counter 1 (one register, two shifts), Omar on Counter 2.

    Times are UTC; Karachi is UTC+5, so 14 Jan 19:30 UTC is already 15 Jan there.
    """
    counter2 = factories.CounterFactory(branch=branch, name="Counter 2")
    omar = factories.UserFactory(merchant=merchant, role=roles["Cashier"], branches=[branch], full_name="Omar Farooq")
    sales = {
        "sana_late_14th": sell(till, counter, items[0], at=_at(14, 18, 30)),
        "sana_early_15th": sell(till, counter, items[1], at=_at(14, 19, 30)),
    }
    close_till(till)  # Sana hands the drawer over to Bilal
    bilal = open_till(None, manager, counter)
    omar_till = open_till(manager, omar, counter2)
    sales |= {
        "bilal_15th": sell(bilal, counter, items[2], at=_at(15, 10)),
        "omar_16th": sell(omar_till, counter2, items[0], items[1], at=_at(15, 20)),
    }
    other_branch = factories.BranchFactory(merchant=merchant, name="DHA", code="DHA")
    factories.CounterFactory(branch=other_branch, name="DHA 1")
    return sales | {"omar": omar, "counter2": counter2, "dha": other_branch}


def _found(merchant, branch, page: int = 1, **filters) -> list[int]:
    return [
        s.id for s in search_sales(db.session, merchant.id, SaleFilters(branch_ids=(branch.id,), **filters), page).sales
    ]


def _ids(shop, *names: str) -> list[int]:
    return [shop[n].id for n in names]


def test_the_list_shows_the_branchs_sales_newest_first(merchant, branch, shop):
    assert _found(merchant, branch) == _ids(shop, "omar_16th", "bilal_15th", "sana_early_15th", "sana_late_14th")
    assert _found(merchant, shop["dha"]) == []


def test_a_number_finds_the_sale_of_that_number_on_any_counter(merchant, branch, shop):
    assert _found(merchant, branch, text="2") == _ids(shop, "sana_early_15th")
    assert _found(merchant, branch, text="1") == _ids(shop, "omar_16th", "sana_late_14th")


def test_a_usin_whole_or_in_part_finds_its_sale(merchant, branch, shop):
    usin = shop["bilal_15th"].usin
    assert _found(merchant, branch, text=usin.lower()) == _ids(shop, "bilal_15th")
    assert _found(merchant, branch, text=f"C{shop['counter2'].id}-") == _ids(shop, "omar_16th")
    assert _found(merchant, branch, text="100%_") == []


def test_a_number_or_usin_past_the_database_range_finds_nothing(merchant, branch, shop):
    assert _found(merchant, branch, text="2147483648") == []
    assert _found(merchant, branch, text="99999999999999999999999") == []
    assert _found(merchant, branch, text=f"GUL-C{shop['counter2'].id}-99999999999") == []
    assert _found(merchant, branch, text="GUL-C99999999999-1") == []


def test_dates_are_branch_local_days(merchant, branch, shop):
    # 14 Jan 19:30 UTC is 15 Jan 00:30 in Karachi; 15 Jan 20:00 UTC is 16 Jan 01:00.
    assert _found(merchant, branch, until=date(2026, 1, 14)) == _ids(shop, "sana_late_14th")
    assert _found(merchant, branch, since=date(2026, 1, 15), until=date(2026, 1, 15)) == _ids(
        shop, "bilal_15th", "sana_early_15th"
    )
    assert _found(merchant, branch, since=date(2026, 1, 16)) == _ids(shop, "omar_16th")


def test_cashier_register_and_shift_each_narrow_the_list(merchant, branch, shop, cashier):
    assert _found(merchant, branch, cashier_id=shop["omar"].id) == _ids(shop, "omar_16th")
    assert _found(merchant, branch, cashier_id=cashier.id) == _ids(shop, "sana_early_15th", "sana_late_14th")
    register_1 = shop["sana_late_14th"].register_id
    assert _found(merchant, branch, register_id=register_1) == _ids(
        shop, "bilal_15th", "sana_early_15th", "sana_late_14th"
    )
    assert _found(merchant, branch, shift_id=shop["bilal_15th"].shift_id) == _ids(shop, "bilal_15th")


def test_drafts_are_parked_carts_and_an_empty_cart_on_screen_is_not_listed(merchant, branch, counter, till, shop):
    parked = cart_with(till, counter, shop["sana_late_14th"].lines[0].variant)
    parking.park_cart(db.session, till, parked, "Fitting for Ayesha")
    carts.open_cart(db.session, till, counter)  # the next, empty cart on the counter's screen
    db.session.flush()

    assert _found(merchant, branch, status="draft") == [parked.id]
    assert _found(merchant, branch)[0] == parked.id  # started just now: the newest
    assert _found(merchant, branch, status="placed") == _ids(
        shop, "omar_16th", "bilal_15th", "sana_early_15th", "sana_late_14th"
    )
    assert _found(merchant, branch, status="refunded") == []


def test_pages_merge_every_status_in_time_order(monkeypatch, merchant, branch, counter, till, shop):
    monkeypatch.setattr(service, "PAGE_SIZE", 2)
    parked = cart_with(till, counter, shop["sana_late_14th"].lines[0].variant)
    parking.park_cart(db.session, till, parked, "")
    parked.created_at = _at(15, 12)  # between Bilal's sale and Omar's
    db.session.flush()

    first = search_sales(db.session, merchant.id, SaleFilters(branch_ids=(branch.id,)), 1)
    third = search_sales(db.session, merchant.id, SaleFilters(branch_ids=(branch.id,)), 3)

    assert [s.id for s in first.sales] == [shop["omar_16th"].id, parked.id] and first.has_more
    assert _found(merchant, branch, page=2) == _ids(shop, "bilal_15th", "sana_early_15th")
    assert [s.id for s in third.sales] == _ids(shop, "sana_late_14th") and not third.has_more


def test_the_list_reads_no_sale_lines(app, merchant, branch, shop):
    db.session.expunge_all()
    with statements_sent() as statements:
        found = search_sales(db.session, merchant.id, SaleFilters(branch_ids=(branch.id,)))
        names = [(s.cashier.full_name, s.counter.name, s.payable_minor) for s in found.sales]

    assert len(names) == 4
    assert statements and not any("sale_lines" in s for s in statements)
    assert len(statements) <= 3  # the merchant, the page's ids, the page's sales with cashier and counter


def test_owners_see_every_branch_and_a_cashier_their_branches_and_counters(merchant, roles, owner, branch, shop):
    assert [b.name for b in branches_for(db.session, owner)] == ["DHA", "Gulberg"]
    dha_counter = shop["dha"].counters[0]
    clerk = factories.UserFactory(merchant=merchant, role=roles["Cashier"], counters=[dha_counter])
    assert [b.name for b in branches_for(db.session, clerk)] == ["DHA"]
    nowhere = factories.UserFactory(merchant=merchant, role=roles["Cashier"])
    assert branches_for(db.session, nowhere) == []


def test_a_receipt_is_for_a_placed_sale_of_the_merchant_only(merchant, other_merchant, counter, till, shop):
    placed = shop["bilal_15th"]
    draft = cart_with(till, counter, placed.lines[0].variant)
    found = sale_for_receipt(db.session, merchant.id, placed.id)
    assert found is not None and [ln.name for ln in found.lines] == [placed.lines[0].name]
    assert sale_for_receipt(db.session, merchant.id, draft.id) is None
    assert sale_for_receipt(db.session, other_merchant.id, placed.id) is None
    assert db.session.get(Sale, draft.id).is_draft


def test_several_branches_are_merged_newest_first_page_by_page(monkeypatch, merchant, branch, shop):
    monkeypatch.setattr(service, "PAGE_SIZE", 3)
    dha_counter = shop["dha"].counters[0]
    at_dha = Sale(
        merchant_id=merchant.id,
        uuid="dha-sale",
        branch_id=shop["dha"].id,
        counter_id=dha_counter.id,
        cashier_id=shop["omar"].id,
        status="placed",
        number=1,
        usin=f"DHA-C{dha_counter.id}-000001",
        placed_at=_at(15, 11),  # between Bilal's sale and Omar's
    )
    db.session.add(at_dha)
    db.session.flush()
    both = SaleFilters(branch_ids=(branch.id, shop["dha"].id))

    first = search_sales(db.session, merchant.id, both, 1)
    second = search_sales(db.session, merchant.id, both, 2)

    assert [s.id for s in first.sales] == [shop["omar_16th"].id, at_dha.id, shop["bilal_15th"].id] and first.has_more
    assert [s.id for s in second.sales] == _ids(shop, "sana_early_15th", "sana_late_14th") and not second.has_more
    assert [s.branch.name for s in first.sales] == ["Gulberg", "DHA", "Gulberg"]
    assert search_sales(db.session, merchant.id, SaleFilters(branch_ids=()), 1).sales == []
