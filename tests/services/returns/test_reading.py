"""Reading returns back: a sale's returns for its page, and one return with what its receipt and credit note print,
only to the merchant that recorded it."""

from __future__ import annotations

from ismartsync.extensions import db
from ismartsync.models import Tender
from ismartsync.services.returns.exchange import exchange_items
from ismartsync.services.returns.reading import get_return, returns_of_sale
from ismartsync.services.returns.record import record_return
from tests.selling import cart_with, sell
from tests.services.returns.conftest import request_for


def test_a_sales_returns_are_listed_oldest_first_and_only_its_own(till, approved, counter, items):
    sale = sell(till, counter, items[1], items[1], items[1])
    other = sell(till, counter, items[0])
    first = record_return(db.session, approved, counter, request_for(sale, (0, 1))).sale_return
    record_return(db.session, approved, counter, request_for(other, (0, 1)))
    second = record_return(db.session, approved, counter, request_for(sale, (0, 2))).sale_return
    db.session.expire_all()

    listed = returns_of_sale(db.session, sale)

    assert [r.id for r in listed] == [first.id, second.id]
    assert [[line.quantity for line in r.lines] for r in listed] == [[1], [2]]
    assert [[(f.tender, f.amount_minor) for f in r.refunds] for r in listed] == [
        [(Tender.CASH, 150_000)],
        [(Tender.CASH, 300_000)],
    ]
    assert {r.approved_by.full_name for r in listed} == {"Bilal Ahmed"}


def test_one_return_is_read_with_what_it_prints_by_its_merchant_only(
    till, approved, counter, items, merchant, other_merchant
):
    sale = sell(till, counter, items[0])
    returned = record_return(db.session, approved, counter, request_for(sale, (0, 1))).sale_return
    db.session.expire_all()

    found = get_return(db.session, merchant.id, returned.id)

    assert (found.sale.usin, found.counter.name, found.branch.name) == (sale.usin, "Counter 1", "Gulberg")
    assert found.cashier.full_name == "Sana Iqbal" and found.total_minor == 299_000
    assert get_return(db.session, other_merchant.id, returned.id) is None
    assert get_return(db.session, merchant.id, returned.id + 1000) is None


def test_a_sale_never_returned_lists_none(till, counter, items):
    assert returns_of_sale(db.session, sell(till, counter, items[0])) == []


def test_an_exchange_is_read_with_the_sale_that_went_out(till, approved, counter, items):
    sold = sell(till, counter, items[0])
    cart = cart_with(till, counter, items[2])
    done = exchange_items(db.session, approved, counter, request_for(sold, (0, 1)), cart.uuid, [])
    db.session.expire_all()

    found = get_return(db.session, sold.merchant_id, done.returned.sale_return.id)

    assert found.kind == "exchange" and found.exchange_sale.id == done.checkout.sale.id
    assert [line.variant_id for line in found.exchange_sale.lines] == [items[2].id]
    assert [r.id for r in returns_of_sale(db.session, sold)] == [found.id]
