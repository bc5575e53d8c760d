"""The cashier's discount limit: a cart beyond it until a supervisor approves, and again when it shrinks."""

from __future__ import annotations

from ismartsync.extensions import db
from ismartsync.services import cart as carts
from ismartsync.services import discount_limits as limits
from ismartsync.services.pricing import Discount, DiscountKind
from tests.selling import cart_with


def test_a_discount_beyond_the_cashier_limit_is_beyond_it_until_approved(till, counter, items, merchant):
    merchant.cashier_discount_limit_bp = 1000
    cart = cart_with(till, counter, items[0])
    carts.set_discount(db.session, till, cart, cart.lines[0], Discount(DiscountKind.PERCENT, 1000))
    assert not limits.beyond_limit(cart)
    carts.set_discount(db.session, till, cart, cart.lines[0], Discount(DiscountKind.PERCENT, 1001))
    assert limits.beyond_limit(cart)
    limits.note_approval(db.session, till, cart)
    assert not limits.beyond_limit(cart)
    carts.set_discount(db.session, till, cart, None, Discount(DiscountKind.AMOUNT, 30_000))
    assert limits.beyond_limit(cart)  # both discounts together take more than the line's approval allowed


def test_a_discount_within_the_limit_goes_beyond_it_when_the_cart_shrinks(till, counter, items, merchant):
    merchant.cashier_discount_limit_bp = 1000
    cart = carts.open_cart(db.session, till, counter)
    carts.add_variant(db.session, cart, items[1], 10)  # 10 × Rs 1,500
    carts.set_discount(db.session, till, cart, cart.lines[0], Discount(DiscountKind.AMOUNT, 150_000))  # 10 %
    assert not limits.beyond_limit(cart)
    carts.set_quantity(db.session, cart, cart.lines[0], 1)  # Rs 1,500 off Rs 1,500
    assert limits.beyond_limit(cart)
