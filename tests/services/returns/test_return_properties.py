"""The pro-rating property through the real services: random carts checked out, then returned in random partial
returns; per line never more than was paid, in total exactly the sale's total once everything is back."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ismartsync.extensions import db
from ismartsync.models import SaleStatus, Tender
from ismartsync.services import cart as carts
from ismartsync.services.checkout import Payment, checkout_sale
from ismartsync.services.pricing import Discount, DiscountKind
from ismartsync.services.returns.record import record_return
from tests import factories
from tests.selling import cart_with
from tests.services.returns.conftest import request_for

discounts = st.one_of(
    st.none(),
    st.builds(Discount, st.just(DiscountKind.PERCENT), st.integers(1, 5_000)),
    st.builds(Discount, st.just(DiscountKind.AMOUNT), st.integers(1, 200_000)),
)
carts_drawn = st.fixed_dictionaries(
    {
        "lines": st.lists(
            st.tuples(st.integers(0, 2), st.integers(1, 4), discounts, st.booleans()), min_size=1, max_size=3
        ),
        "order_discount": discounts,
        "prices_include_tax": st.booleans(),
        "fbr": st.booleans(),
    }
)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=carts_drawn, data=st.data())
def test_random_carts_returned_in_random_parts_refund_exactly_what_was_paid(
    case, data, till, approved, counter, items, merchant
):
    savepoint = db.session.begin_nested()  # each example starts from the same shop
    try:
        merchant.prices_include_tax = case["prices_include_tax"]
        if case["fbr"]:
            factories.enable_fbr(merchant, counter)  # and so the Re 1 POS fee
        cart = cart_with(till, counter)
        for index, quantity, discount, third_schedule in case["lines"]:
            items[index].third_schedule = third_schedule
            line = carts.add_variant(db.session, cart, items[index], quantity)
            if discount is not None and not line.discount_kind:
                carts.set_discount(db.session, approved, cart, line, discount)
        if case["order_discount"] is not None:
            carts.set_discount(db.session, approved, cart, None, case["order_discount"])
        sale = checkout_sale(db.session, till, counter, cart.uuid, [Payment(Tender.CASH, 10**9)]).sale

        refunded: dict[int, int] = {}
        for index, line in enumerate(sale.lines):
            left = line.quantity
            while left:
                quantity = data.draw(st.integers(1, left), label=f"line {index} returns")
                done = record_return(db.session, approved, counter, request_for(sale, (index, quantity)))
                [back] = done.sale_return.lines
                assert back.value_minor >= 0 and back.tax_minor >= 0
                refunded[line.id] = refunded.get(line.id, 0) + back.total_minor
                assert refunded[line.id] <= line.total_minor  # never more than was paid for the line
                left -= quantity
            assert refunded[line.id] == line.total_minor  # every unit back: exactly what the line was paid
        assert sum(refunded.values()) == sale.total_minor == sale.payable_minor - sale.pos_fee_minor
        assert sale.status == SaleStatus.REFUNDED
    finally:
        savepoint.rollback()
