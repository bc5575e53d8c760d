"""Checkout: one placed sale per cart, gapless numbers, tenders and change, stock via the ledger, fiscal document."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from hypothesis import given
from hypothesis import strategies as st

from ismartsync.errors import DomainError
from ismartsync.extensions import db
from ismartsync.models import (
    FiscalDocument,
    PaymentMethod,
    Sale,
    SaleStatus,
    Shift,
    StockLevel,
    StockMovement,
    Tender,
)
from ismartsync.models.catalog import Customer
from ismartsync.services import cart as carts
from ismartsync.services.audit import Actor
from ismartsync.services.cash.registers import start_register
from ismartsync.services.checkout import Payment, checkout_sale, split_tenders
from ismartsync.services.stock.ledger import level_of
from tests import factories
from tests.selling import cart_with


def test_checkout_places_one_sale_with_a_number_stock_movements_and_a_pending_fiscal_document(
    till, counter, items, branch, merchant
):
    factories.enable_fbr(merchant, counter)
    cart = cart_with(till, counter, items[0], items[1])
    due = cart.payable_minor

    done = checkout_sale(db.session, till, counter, cart.uuid, [Payment(Tender.CASH, 500_000)])
    db.session.commit()

    sale = done.sale
    assert (sale.status, sale.number, sale.usin) == (SaleStatus.PLACED, 1, f"{branch.code}-C{counter.id}-000001")
    assert (sale.paid_minor, sale.change_minor) == (due, 500_000 - due)
    assert [(p.tender, p.amount_minor, p.tendered_minor) for p in sale.payments] == [("cash", due, 500_000)]
    assert level_of(db.session, items[0], branch) == 9 and level_of(db.session, items[1], branch) == 9
    references = db.session.scalars(sa.select(StockMovement.reference).where(StockMovement.kind == "sale")).all()
    assert references == [f"gid://ismartsync/Sale/{sale.id}"] * 2
    fiscal = db.session.scalars(sa.select(FiscalDocument)).one()
    assert (fiscal.usin, fiscal.status, fiscal.sale_id) == (sale.usin, "pending", sale.id)
    assert (fiscal.pos_id, fiscal.environment, fiscal.attempts) == (factories.FIRST_POSID, "sandbox", 0)
    # The exact request is written with the sale, so every later attempt sends the same USIN and figures.
    assert fiscal.request["USIN"] == sale.usin and fiscal.request["POSID"] == factories.FIRST_POSID
    assert fiscal.request["TotalBillAmount"] == (sale.value_minor + sale.tax_minor) / 100
    assert done.fiscal_document_id == fiscal.id
    assert db.session.get(Shift, sale.shift_id).cash_sales_minor == due


def test_checkout_at_a_counter_that_does_not_report_to_fbr_writes_no_fiscal_document(till, counter, items, merchant):
    factories.enable_fbr(merchant)  # the business reports, this counter is not switched on
    cart = cart_with(till, counter, items[0])

    done = checkout_sale(db.session, till, counter, cart.uuid, [Payment(Tender.CASH, cart.payable_minor)])

    assert done.fiscal_document_id is None
    assert db.session.scalars(sa.select(FiscalDocument)).all() == []


def test_checkout_repeated_with_the_same_cart_makes_one_sale(till, counter, items):
    cart = cart_with(till, counter, items[0])
    first = checkout_sale(db.session, till, counter, cart.uuid, [Payment(Tender.CARD, cart.payable_minor)])
    db.session.commit()

    again = checkout_sale(db.session, till, counter, cart.uuid, [Payment(Tender.CARD, cart.payable_minor)])

    assert again.repeated and again.sale.id == first.sale.id
    assert db.session.scalar(sa.select(sa.func.count(Sale.id)).where(Sale.status == "placed")) == 1
    assert db.session.scalar(sa.select(sa.func.count(StockMovement.id)).where(StockMovement.kind == "sale")) == 1


def test_sale_numbers_follow_each_other_per_counter(till, counter, items):
    numbers = []
    for _ in range(3):
        cart = cart_with(till, counter, items[2])
        numbers.append(checkout_sale(db.session, till, counter, cart.uuid, [Payment(Tender.CASH, 10**7)]).sale.number)
    assert numbers == [1, 2, 3]


def test_split_card_and_cash_gives_change_only_from_cash(till, counter, items):
    cart = cart_with(till, counter, items[0])  # 2,990 (no FBR POS fee at this counter)
    sale = checkout_sale(
        db.session, till, counter, cart.uuid, [Payment(Tender.CARD, 200_000), Payment(Tender.CASH, 100_000)]
    ).sale
    assert [(p.tender, p.amount_minor, p.change_minor) for p in sale.payments] == [
        ("card", 200_000, 0),
        ("cash", 99_000, 1_000),
    ]
    assert sale.change_minor == 1_000


def test_card_over_the_amount_due_is_refused(till, counter, items):
    cart = cart_with(till, counter, items[2])
    with pytest.raises(DomainError, match="Change is given only in cash"):
        checkout_sale(db.session, till, counter, cart.uuid, [Payment(Tender.CARD, cart.payable_minor + 1)])


def test_too_little_paid_is_refused_with_what_is_still_due(till, counter, items):
    cart = cart_with(till, counter, items[2])  # 999
    with pytest.raises(DomainError, match="Rs 1 still to pay"):
        checkout_sale(db.session, till, counter, cart.uuid, [Payment(Tender.CASH, 99_800)])


def test_a_bank_tender_needs_one_of_the_merchants_active_accounts(till, counter, items, merchant):
    bank = PaymentMethod(merchant_id=merchant.id, kind="bank", name="Meezan Bank", account_number="0101 0104567890")
    db.session.add(bank)
    db.session.flush()
    cart = cart_with(till, counter, items[2])
    with pytest.raises(DomainError, match="Choose which bank transfer account"):
        checkout_sale(db.session, till, counter, cart.uuid, [Payment(Tender.BANK, cart.payable_minor)])
    sale = checkout_sale(
        db.session, till, counter, cart.uuid, [Payment(Tender.BANK, cart.payable_minor, bank.id, "TX-77")]
    ).sale
    assert [(p.tender, p.label, p.reference) for p in sale.payments] == [("bank", "Meezan Bank ··7890", "TX-77")]


def test_selling_without_an_open_shift_is_refused(manager, counter, items):
    start_register(db.session, Actor(manager), counter, 0)
    actor = Actor(manager, counter_id=counter.id)
    cart = carts.open_cart(db.session, actor, counter)
    carts.add_variant(db.session, cart, items[0])
    with pytest.raises(DomainError, match="Open your shift"):
        checkout_sale(db.session, actor, counter, cart.uuid, [Payment(Tender.CASH, 10**7)])


def test_above_the_threshold_the_buyers_name_is_required(till, counter, items, merchant):
    merchant.buyer_name_threshold_minor = 100_000
    cart = cart_with(till, counter, items[0])
    with pytest.raises(DomainError, match="buyer's name is required") as refused:
        checkout_sale(db.session, till, counter, cart.uuid, [Payment(Tender.CASH, 10**7)])
    assert refused.value.field == "customer"

    cart.customer = Customer(merchant_id=merchant.id, first_name="Ayesha", last_name="Khan", phone="03001234567")
    sale = checkout_sale(db.session, till, counter, cart.uuid, [Payment(Tender.CASH, 10**7)]).sale
    assert (sale.buyer_name, sale.buyer_phone) == ("Ayesha Khan", "03001234567")


def test_warn_policy_sells_below_zero_and_says_so(till, counter, items, branch):
    cart = carts.open_cart(db.session, till, counter)
    carts.add_variant(db.session, cart, items[0], 12)
    assert carts.branch_stock(db.session, cart)[cart.lines[0].id].short

    done = checkout_sale(db.session, till, counter, cart.uuid, [Payment(Tender.CASH, 10**8)])

    assert done.warnings and "Only 10" in done.warnings[0]
    assert level_of(db.session, items[0], branch) == -2


def test_block_policy_refuses_checkout_when_stock_went_meanwhile(till, counter, items, merchant, branch):
    cart = cart_with(till, counter, items[0])
    merchant.negative_stock_policy = "block"
    db.session.execute(sa.update(StockLevel).where(StockLevel.variant_id == items[0].id).values(quantity=0))
    with pytest.raises(DomainError, match="Only 0 of"):
        checkout_sale(db.session, till, counter, cart.uuid, [Payment(Tender.CASH, 10**8)])


TENDERS = st.lists(st.builds(Payment, st.sampled_from(list(Tender)), st.integers(0, 10**9)), max_size=6)


@given(due=st.integers(0, 10**9), payments=TENDERS)
def test_the_tender_split_always_adds_up_and_gives_change_only_from_cash(due, payments):
    split = split_tenders(due, payments)
    handed = sum(p.amount_minor for p in payments)
    cash = sum(p.amount_minor for p in payments if p.tender == Tender.CASH)

    assert split.left_minor == due - handed  # the pay dialog: still to pay above zero, change to give below
    assert split.settles == (handed - cash <= due <= handed)
    if split.settles:
        split.check()
        assert handed == due + split.change_minor  # paid = due + change
        assert split.other_minor + split.cash_paid_minor == due
        assert 0 <= split.change_minor <= cash  # change comes only out of the cash handed over
        assert 0 <= split.cash_paid_minor <= cash
    else:
        with pytest.raises(DomainError) as refused:
            split.check()
        assert refused.value.field == "payments"
        assert split.other_over or split.left_minor > 0
