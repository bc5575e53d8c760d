"""Finding a sale to return: by the receipt code, the USIN, the FBR number, or the customer's purchases; only the
merchant's own placed sales, at any of its branches; anything else says so and never fails."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from ismartsync.extensions import db
from ismartsync.models import Customer, Tender
from ismartsync.models.base import utcnow
from ismartsync.receipt_codes import parse_receipt_code, receipt_code
from ismartsync.services.checkout import Payment, checkout_sale
from ismartsync.services.sale_lookup import SaleNotFound, customer_sales, find_sale, returnable_sale
from tests import factories
from tests.selling import cart_with, open_till, reported_to_fbr, sell

FBR_NUMBER = "810001FBKP2194812123"


@pytest.fixture
def placed(merchant, till, counter, items):
    return sell(till, counter, items[0], items[1])


def test_the_receipt_code_finds_the_sale(merchant, placed):
    assert find_sale(db.session, merchant.id, receipt_code(placed.counter_id, placed.number)) == placed
    assert find_sale(db.session, merchant.id, f"  {receipt_code(placed.counter_id, placed.number)}\n") == placed


def test_the_usin_finds_the_sale_however_it_is_cased(merchant, placed):
    assert find_sale(db.session, merchant.id, placed.usin) == placed
    assert find_sale(db.session, merchant.id, placed.usin.lower()) == placed


def test_the_fbr_number_finds_the_sale(merchant, placed, counter):
    reported_to_fbr(placed, FBR_NUMBER)
    assert find_sale(db.session, merchant.id, FBR_NUMBER) == placed


def test_a_sale_of_another_branch_is_found_with_its_branch(merchant, manager, cashier, placed, items):
    elsewhere = factories.CounterFactory(branch=factories.BranchFactory(merchant=merchant, name="DHA", code="DHA-5"))
    other = sell(open_till(manager, manager, elsewhere), elsewhere, items[2])
    found = find_sale(db.session, merchant.id, other.usin)  # a branch code with a dash: DHA-5-C<id>-000001
    assert found == other and found.branch.name == "DHA"
    assert find_sale(db.session, merchant.id, receipt_code(elsewhere.id, 1)) == other


def test_another_merchants_sale_is_not_found_by_any_of_its_codes(other_merchant, placed):
    for code in (receipt_code(placed.counter_id, placed.number), placed.usin):
        with pytest.raises(SaleNotFound) as refused:
            find_sale(db.session, other_merchant.id, code)
        assert refused.value.field == "code"
    assert returnable_sale(db.session, other_merchant.id, placed.id) is None


def test_a_cart_is_not_a_sale(merchant, till, counter, items):
    cart = cart_with(till, counter, items[0])
    db.session.flush()
    assert returnable_sale(db.session, merchant.id, cart.id) is None


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("", "Scan the receipt's barcode"),
        ("   ", "Scan the receipt's barcode"),
        ("x" * 65, "longer than any"),
        ("13009999", "No sale of yours"),
        ("GUL-C999999-000001", "No sale of yours"),
    ],
)
def test_nothing_found_says_why(merchant, placed, text, says):
    with pytest.raises(SaleNotFound) as refused:
        find_sale(db.session, merchant.id, text)
    assert says in refused.value.message and refused.value.field == "code"


def test_the_customers_purchases_are_theirs_newest_first_at_any_branch(merchant, till, counter, items, placed):
    ayesha = Customer(merchant_id=merchant.id, first_name="Ayesha", phone="03001234567")
    db.session.add(ayesha)
    db.session.flush()
    sales = []
    for days in (3, 1, 2):
        cart = cart_with(till, counter, items[2])
        cart.customer = ayesha
        sale = _checkout(till, counter, cart)
        sale.placed_at = utcnow() - timedelta(days=days)
        sales.append(sale)
    cart_with(till, counter, items[1]).customer = ayesha  # her cart on the counter is no purchase yet
    db.session.flush()
    assert customer_sales(db.session, merchant.id, ayesha.id) == [sales[1], sales[2], sales[0]]
    assert customer_sales(db.session, factories.MerchantFactory().id, ayesha.id) == []


def _checkout(till, counter, cart):
    return checkout_sale(db.session, till, counter, cart.uuid, [Payment(Tender.CASH, cart.payable_minor)]).sale


@pytest.mark.parametrize(("counter_id", "number"), [(1, 1), (7, 123), (42, 999_999), (1234, 10_000_000), (10**8, 5)])
def test_a_receipt_code_reads_back_to_its_counter_and_number(counter_id, number):
    code = receipt_code(counter_id, number)
    assert code.isdigit() and len(code) % 2 == 0  # Code 128's set C: two digits a symbol, never a lone one
    assert parse_receipt_code(code) == (counter_id, number)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.text(max_size=200)
    | st.from_regex(r"[0-9]{1,30}", fullmatch=True)
    | st.from_regex(r"[A-Z-]{1,14}-C[0-9]{1,15}-[0-9]{1,15}", fullmatch=True)
)
@example("9" * 22)
@example("1" + "9" * 21)
@example("\x00")
@example("١٣٠٠٠١٢٣")
@example("GUL-C2147483648-000001")
@example("%_\\")
def test_any_input_is_a_sale_or_says_why(merchant, placed, text):
    """Hostile scans and keystrokes: past the database's integers, control characters, other digits, wildcards."""
    try:
        sale = find_sale(db.session, merchant.id, text)
    except SaleNotFound as refused:
        assert refused.field == "code" and refused.message
    else:
        assert sale.merchant_id == merchant.id and not sale.is_draft
