"""An exchange under way is held on its cart: it survives the database round trip, is parked and recalled with the
cart (on another counter by another cashier too), is gone once placed, cancelled or thrown away, and is refused at
pay with nothing written when its units were returned meanwhile."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from ismartsync.errors import DomainError
from ismartsync.extensions import db
from ismartsync.models import Customer, Sale, SaleReturn, SaleStatus, Tender
from ismartsync.services import cart as carts
from ismartsync.services import parked
from ismartsync.services.audit import Actor
from ismartsync.services.checkout import Payment
from ismartsync.services.returns.exchange import (
    drop_exchange,
    exchange_items,
    held_exchange,
    hold_exchange,
    pending_exchange,
    request_from_json,
    request_to_json,
)
from ismartsync.services.returns.record import ReturnItem, ReturnRequest, UnreceiptedItem, record_return
from ismartsync.services.returns.tenders import RefundTender
from ismartsync.services.stock.ledger import level_of
from tests import factories
from tests.selling import cart_with, open_till, sell
from tests.services.returns.conftest import request_for


def _reloaded(cart: Sale) -> Sale:
    db.session.expire_all()
    reloaded = db.session.get(Sale, cart.id)
    assert reloaded is not None
    return reloaded


def test_an_exchange_is_held_on_the_counters_cart_and_read_back_as_it_was_chosen(till, counter, items, merchant):
    sold = sell(till, counter, items[1], items[2])
    customer = Customer(merchant_id=merchant.id, first_name="Hina", phone="+923001234567")
    db.session.add(customer)
    db.session.flush()
    wanted = request_for(sold, (0, 1), (1, 1, "defective"), customer_id=customer.id)

    cart = hold_exchange(db.session, till, counter, wanted)  # no cart on screen yet: one is started for it

    assert carts.active_cart(db.session, counter).id == cart.id
    cart = _reloaded(cart)
    assert pending_exchange(cart) == wanted
    held = held_exchange(cart)
    assert held is not None and held.credit_minor == 150_000 + 99_900 and held.sale_usin == sold.usin

    drop_exchange(db.session, cart)
    assert pending_exchange(_reloaded(cart)) is None and carts.active_cart(db.session, counter).id == cart.id


def test_every_part_of_a_return_request_survives_the_json_column(till, counter, items):
    wanted = ReturnRequest(
        uuid="held-key-1",
        sale_id=41,
        items=(ReturnItem(7, 2, "wrong_size", True), ReturnItem(8, 1, "defective", False)),
        unreceipted=(UnreceiptedItem(items[0].id, 1, "changed_mind", True),),
        refunds=(RefundTender(Tender.CARD, 1_000, None, "4411"), RefundTender(Tender.BANK, 500, 3, "IBFT-9")),
        customer_id=5,
        note="size 40 instead",
    )
    cart = cart_with(till, counter, items[0])
    cart.exchange_request = request_to_json(wanted)
    db.session.flush()

    assert request_from_json(_reloaded(cart).exchange_request) == wanted
    assert request_from_json(request_to_json(ReturnRequest("k", 1))).refunds is None


def test_what_cannot_come_back_is_not_held(till, counter, items):
    sold = sell(till, counter, items[1])
    with pytest.raises(DomainError, match=r"can still be returned|returned already"):
        hold_exchange(db.session, till, counter, request_for(sold, (0, 2)))
    assert carts.active_cart(db.session, counter) is None


def test_parking_takes_the_exchange_with_the_cart_and_the_next_cart_starts_clean(till, counter, items, manager, branch):
    sold = sell(till, counter, items[1])
    wanted = request_for(sold, (0, 1))
    cart = hold_exchange(db.session, till, counter, wanted)
    parked.park_cart(db.session, till, cart, "Mrs Khan")  # no new items yet: the exchange alone is worth parking

    next_cart = cart_with(till, counter, items[2])
    assert next_cart.id != cart.id and pending_exchange(next_cart) is None

    # Recalled at another counter of the branch, by another cashier: the exchange comes with it and is finished there.
    other = factories.CounterFactory(branch=branch)
    there = open_till(manager, manager, other)
    recalled, set_aside = parked.recall_cart(db.session, there, other, cart)
    assert set_aside is None and recalled.counter_id == other.id and pending_exchange(recalled) == wanted
    carts.add_variant(db.session, recalled, items[0])

    done = exchange_items(db.session, there, other, wanted, recalled.uuid, [Payment(Tender.CASH, 149_000)])

    assert done.returned.sale_return.exchange_sale_id == recalled.id and recalled.status == SaleStatus.PLACED
    assert recalled.exchange_request is None and pending_exchange(recalled) is None
    assert pending_exchange(carts.active_cart(db.session, counter)) is None  # the other cart never had it


def test_recalling_over_a_cart_that_holds_only_an_exchange_parks_it_instead_of_throwing_it_away(till, counter, items):
    sold = sell(till, counter, items[1])
    earlier = cart_with(till, counter, items[2])
    parked.park_cart(db.session, till, earlier, "Earlier")
    holding = hold_exchange(db.session, till, counter, request_for(sold, (0, 1)))

    recalled, set_aside = parked.recall_cart(db.session, till, counter, earlier)

    assert set_aside is holding and holding.parked_at is not None and held_exchange(holding) is not None
    assert recalled.id == earlier.id


def test_throwing_the_cart_away_takes_its_exchange_with_it(till, counter, items):
    sold = sell(till, counter, items[1])
    cart = hold_exchange(db.session, till, counter, request_for(sold, (0, 1)))
    carts.add_variant(db.session, cart, items[0])
    carts.discard_cart(db.session, till, cart)

    assert pending_exchange(carts.open_cart(db.session, till, counter)) is None


def test_an_exchange_whose_units_were_returned_meanwhile_is_refused_and_nothing_is_written(
    till, approved, counter, items, branch
):
    sold = sell(till, counter, items[1])
    wanted = request_for(sold, (0, 1))
    cart = hold_exchange(db.session, till, counter, wanted)
    carts.add_variant(db.session, cart, items[0])
    record_return(db.session, approved, counter, request_for(sold, (0, 1)))  # another tablet took the khussa back
    db.session.flush()
    before = (level_of(db.session, items[0], branch), level_of(db.session, items[1], branch))

    refusal = r"This exchange can no longer be made\. .* was returned already\. Cancel the exchange"
    with pytest.raises(DomainError, match=refusal) as refused, db.session.begin_nested():
        exchange_items(db.session, approved, counter, wanted, cart.uuid, [Payment(Tender.CASH, 299_100)])

    assert refused.value.field == "exchange"
    assert db.session.scalar(select(func.count(SaleReturn.id)).where(SaleReturn.sale_id == sold.id)) == 1
    cart = _reloaded(cart)
    assert cart.status == SaleStatus.DRAFT and pending_exchange(cart) == wanted  # kept until it is cancelled
    assert (level_of(db.session, items[0], branch), level_of(db.session, items[1], branch)) == before


def test_a_held_exchange_goes_through_once_when_its_checkout_is_repeated(till, approved, counter, items):
    sold = sell(till, counter, items[1])
    wanted = request_for(sold, (0, 1))
    cart = hold_exchange(db.session, till, counter, wanted)
    carts.add_variant(db.session, cart, items[0])
    pay = [Payment(Tender.CASH, 149_100)]

    first = exchange_items(db.session, approved, counter, wanted, cart.uuid, pay)
    again = exchange_items(db.session, Actor(approved.user, counter_id=counter.id), counter, wanted, cart.uuid, pay)

    assert again.repeated and again.returned.sale_return.id == first.returned.sale_return.id
    assert db.session.scalar(select(func.count(SaleReturn.id)).where(SaleReturn.sale_id == sold.id)) == 1
