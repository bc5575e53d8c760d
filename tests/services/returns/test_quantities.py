"""What is still returnable of a sale: the sale locked for a return, each line's units less earlier returns, what
each payment gave back so far, and the sale's status once returns leave what they leave."""

from __future__ import annotations

from ismartsync.extensions import db
from ismartsync.models import SaleStatus, Tender
from ismartsync.services.checkout import Payment
from ismartsync.services.returns.quantities import (
    lock_sale,
    refunded_by_payment,
    returnable_quantities,
    returned_quantities,
    status_after_return,
)
from ismartsync.services.returns.record import record_return
from tests import factories
from tests.selling import cart_with, open_till, sell, stock_items
from tests.services.returns.conftest import request_for


def test_only_the_merchants_placed_sale_is_locked_for_a_return(till, counter, items, merchant, other_merchant):
    sale = sell(till, counter, items[0], items[1])
    draft = cart_with(till, counter, items[2])
    other_branch = factories.BranchFactory(merchant=other_merchant)
    other_counter = factories.CounterFactory(branch=other_branch)
    seller = factories.UserFactory(merchant=other_merchant)
    theirs = sell(open_till(seller, seller, other_counter), other_counter, stock_items(other_merchant, other_branch)[0])

    locked = lock_sale(db.session, merchant.id, sale.id)

    assert locked is sale and [line.variant_id for line in locked.lines] == [items[0].id, items[1].id]
    assert lock_sale(db.session, merchant.id, draft.id) is None
    assert lock_sale(db.session, merchant.id, theirs.id) is None


def test_each_line_is_returnable_up_to_what_earlier_returns_left(till, approved, counter, items):
    sale = sell(till, counter, items[0], items[1], items[1], items[1])
    first, second = sale.lines
    assert returnable_quantities(db.session, sale) == {first.id: 1, second.id: 3}
    assert returned_quantities(db.session, sale.id) == {}

    record_return(db.session, approved, counter, request_for(sale, (1, 2)))
    record_return(db.session, approved, counter, request_for(sale, (1, 1)))

    assert returned_quantities(db.session, sale.id) == {second.id: 3}
    assert returnable_quantities(db.session, sale) == {first.id: 1, second.id: 0}


def test_what_each_payment_gave_back_is_summed_over_earlier_returns(till, approved, counter, items):
    sale = sell(
        till, counter, items[0], items[1], payments=[Payment(Tender.CARD, 200_000), Payment(Tender.CASH, 249_000)]
    )
    card, cash = sorted(sale.payments, key=lambda p: p.tender != Tender.CARD)
    assert refunded_by_payment(db.session, sale) == {}

    record_return(db.session, approved, counter, request_for(sale, (1, 1)))  # Rs 1,500, all by card
    record_return(db.session, approved, counter, request_for(sale, (0, 1)))  # Rs 2,990: card's last 500, then cash

    assert refunded_by_payment(db.session, sale) == {card.id: 200_000, cash.id: 249_000}


def test_a_sale_is_refunded_once_no_line_has_anything_left():
    assert status_after_return({1: 0, 2: 0}) == SaleStatus.REFUNDED
    assert status_after_return({1: 0, 2: 1}) == SaleStatus.PARTLY_REFUNDED
