"""The cart: lines added by scan or search, the FBR POS fee, stock at the branch, discounts and price overrides."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from ismartsync.errors import DomainError
from ismartsync.extensions import db
from ismartsync.models import AuditEntry
from ismartsync.services import cart as carts
from ismartsync.services.pricing import Discount, DiscountKind
from tests import factories
from tests.selling import cart_with


def test_the_same_variant_scanned_again_adds_to_its_line(till, counter, items):
    cart = cart_with(till, counter, items[0], items[0], items[1])

    assert [(ln.name, ln.quantity) for ln in cart.lines] == [(items[0].display_name, 2), (items[1].display_name, 1)]
    assert cart.subtotal_minor == 2 * 299000 + 150000
    assert cart.payable_minor == cart.total_minor  # this counter does not report to FBR: no FBR POS fee


def test_the_re_1_fbr_pos_fee_is_charged_only_where_sales_are_reported_to_fbr(till, counter, items, merchant):
    factories.enable_fbr(merchant, counter)

    cart = cart_with(till, counter, items[0])

    assert cart.pos_fee_minor == 100 and cart.payable_minor == cart.total_minor + 100


def test_a_code_finds_a_variant_by_barcode_internal_barcode_or_sku(merchant, items):
    items[1].barcode, items[1].internal_barcode = "", "2000000000017"
    assert carts.find_by_code(db.session, merchant.id, items[0].barcode) == items[0]
    assert carts.find_by_code(db.session, merchant.id, "2000000000017") == items[1]
    assert carts.find_by_code(db.session, merchant.id, items[2].sku) == items[2]
    assert carts.find_by_code(db.session, merchant.id, "nothing-like-it") is None


def test_search_matches_every_word_of_name_sku_or_barcode(merchant, items):
    items[0].search_text = "lawn 3pc printed — m / red zr-1001 8960000000000"
    db.session.flush()
    assert carts.search_variants(db.session, merchant.id, "3PC lawn") == [items[0]]
    assert carts.search_variants(db.session, merchant.id, "lawn khussa") == []


def test_block_policy_refuses_to_add_more_than_the_branch_has(till, counter, items, merchant):
    merchant.negative_stock_policy = "block"
    cart = carts.open_cart(db.session, till, counter)
    carts.add_variant(db.session, cart, items[0], 10)
    with pytest.raises(DomainError, match="Only 10 of"):
        carts.add_variant(db.session, cart, items[0])


def test_discounts_and_price_overrides_reprice_the_cart_and_are_audited(till, counter, items):
    cart = cart_with(till, counter, items[0], items[1])  # 2,990 and 1,500 incl. 18 %
    line = cart.lines[0]
    carts.set_discount(db.session, till, cart, line, Discount(DiscountKind.PERCENT, 1000))
    carts.override_price(db.session, till, cart, cart.lines[1], 140_000)
    carts.set_discount(db.session, till, cart, None, Discount(DiscountKind.AMOUNT, 10_000))

    assert cart.discount_minor == 29_900 + 10_000
    assert cart.total_minor == 299_000 + 140_000 - 39_900
    actions = db.session.scalars(sa.select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert actions[-3:] == ["cart.discount", "cart.price_override", "cart.discount"]
