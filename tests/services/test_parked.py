"""Parked carts: set aside with a label (the local time when unnamed), recalled at any counter of the branch."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest

from ismartsync.errors import DomainError
from ismartsync.extensions import db
from ismartsync.services import cart as carts
from ismartsync.services import parked as parking
from tests import factories
from tests.selling import cart_with


def test_a_parked_cart_is_recalled_at_another_counter_of_the_branch(till, counter, items, branch):
    cart = cart_with(till, counter, items[0])
    parking.park_cart(db.session, till, cart, "Mrs Khan, fitting")
    other = factories.CounterFactory(branch=branch, name="Counter 9")
    waiting = cart_with(till, other, items[1])

    recalled, set_aside = parking.recall_cart(db.session, till, other, cart)

    assert recalled.counter_id == other.id and recalled.parked_at is None
    assert carts.active_cart(db.session, other).id == cart.id
    assert set_aside is waiting and waiting.parked_at is not None  # the cart on screen went aside, not away
    assert [c.label for c in parking.parked_carts(db.session, branch.id)] == [waiting.label]
    with pytest.raises(DomainError, match="Another counter took that cart"):
        parking.recall_cart(db.session, till, counter, cart)


def test_an_unnamed_parked_cart_is_labelled_with_the_merchants_local_time(till, counter, items, merchant):
    merchant.time_zone = "Asia/Karachi"
    cart = cart_with(till, counter, items[0])

    parking.park_cart(db.session, till, cart, "  ")

    assert cart.label == f"Parked {cart.parked_at.astimezone(ZoneInfo('Asia/Karachi')):%H:%M}"  # not UTC's 5 h earlier


def test_recalling_onto_an_empty_screen_sets_nothing_aside(till, counter, items, branch):
    cart = cart_with(till, counter, items[0])
    parking.park_cart(db.session, till, cart, "Mrs Khan")
    assert parking.recall_cart(db.session, till, counter, cart) == (cart, None)
