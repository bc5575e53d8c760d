"""Exchanges in one ticket (a credit note and a sale), store credit spent at checkout, and restocked units reaching
Shopify through the outbox."""

from __future__ import annotations

import pytest

from ismartsync.errors import DomainError
from ismartsync.extensions import db
from ismartsync.models import Customer, FiscalDocument, SaleStatus, StoreCreditEntry, Tender
from ismartsync.services.audit import Actor
from ismartsync.services.checkout import Payment, checkout_sale
from ismartsync.services.returns.exchange import exchange_items
from ismartsync.services.returns.record import record_return
from ismartsync.services.returns.store_credit import ledger_balance
from ismartsync.services.returns.tenders import RefundTender
from ismartsync.services.stock.ledger import level_of
from tests import factories
from tests.selling import cart_with, open_till, sell
from tests.services.returns.conftest import request_for


def test_a_size_swap_that_costs_more_is_a_credit_note_and_a_sale_and_the_customer_pays_the_difference(
    till, approved, counter, items, merchant, branch
):
    factories.enable_fbr(merchant, counter)
    sold = sell(till, counter, items[1])  # Rs 1,500 + the Re 1 POS fee
    cart = cart_with(till, counter, items[0])  # Rs 2,990 going out instead
    request = request_for(sold, (0, 1))

    done = exchange_items(db.session, approved, counter, request, cart.uuid, [Payment(Tender.CASH, 150_000)])

    ret, new = done.returned.sale_return, done.checkout.sale
    assert ret.total_minor == 150_000 and new.payable_minor == 299_100
    assert done.difference_minor == 149_100
    assert [(p.tender, p.amount_minor) for p in new.payments] == [(Tender.EXCHANGE, 150_000), (Tender.CASH, 149_100)]
    assert [(r.tender, r.amount_minor) for r in ret.refunds] == [(Tender.EXCHANGE, 150_000)]
    assert (ret.kind, ret.exchange_sale_id, sold.status) == ("exchange", new.id, SaleStatus.REFUNDED)
    # Fiscally two documents: the credit note for what came back, the sale for what went out.
    note, sale_doc = (db.session.get(FiscalDocument, i) for i in done.fiscal_document_ids)
    assert (note.invoice_type, note.ref_usin, note.usin) == ("3", sold.usin, ret.usin)
    assert (sale_doc.invoice_type, sale_doc.usin) == ("1", new.usin)
    assert sale_doc.request["PaymentMode"] == 5 and note.request["PaymentMode"] == 3  # [U] rows of payment_modes
    assert (ret.number, new.number) == (sold.number + 1, sold.number + 2)
    assert (level_of(db.session, items[1], branch), level_of(db.session, items[0], branch)) == (10, 9)
    # The drawer got the difference and gave nothing back.
    assert new.shift.cash_refunds_minor == 0

    again = exchange_items(db.session, approved, counter, request, cart.uuid, [Payment(Tender.CASH, 150_000)])
    assert again.repeated and again.checkout.sale.id == new.id


def test_a_swap_for_something_cheaper_gives_the_difference_back_to_the_original_tender(till, approved, counter, items):
    sold = sell(till, counter, items[0], payments=[Payment(Tender.CARD, 299_000)])
    cart = cart_with(till, counter, items[2])  # Rs 999

    done = exchange_items(db.session, approved, counter, request_for(sold, (0, 1)), cart.uuid, [])

    refunds = [(r.tender, r.amount_minor) for r in done.returned.sale_return.refunds]
    assert refunds == [(Tender.EXCHANGE, 99_900), (Tender.CARD, 199_100)]
    assert done.difference_minor == -199_100
    assert [(p.tender, p.amount_minor) for p in done.checkout.sale.payments] == [(Tender.EXCHANGE, 99_900)]


def test_an_exchange_that_is_not_paid_writes_nothing(till, approved, counter, items, branch):
    sold = sell(till, counter, items[2])
    cart = cart_with(till, counter, items[0])
    with pytest.raises(DomainError, match="still to pay"):
        exchange_items(db.session, approved, counter, request_for(sold, (0, 1)), cart.uuid, [])
    assert sold.status == SaleStatus.PLACED and level_of(db.session, items[2], branch) == 9


def test_the_till_cannot_send_an_exchange_credit_itself(till, counter, items):
    cart = cart_with(till, counter, items[2])
    with pytest.raises(DomainError, match="exchange"):
        checkout_sale(db.session, till, counter, cart.uuid, [Payment(Tender.EXCHANGE, 99_900)])


def test_store_credit_from_a_return_is_spent_at_checkout_under_its_balance(till, approved, counter, items, merchant):
    customer = Customer(merchant_id=merchant.id, first_name="Hina", phone="+923001234567")
    db.session.add(customer)
    db.session.flush()
    sold = sell(till, counter, items[1])
    credit = (RefundTender(Tender.STORE_CREDIT, 150_000),)
    record_return(db.session, approved, counter, request_for(sold, (0, 1), customer_id=customer.id, refunds=credit))
    cart = cart_with(till, counter, items[2])

    with pytest.raises(DomainError, match="customer"), db.session.begin_nested():  # a cart of nobody's: refused
        checkout_sale(db.session, till, counter, cart.uuid, [Payment(Tender.STORE_CREDIT, 99_900)])
    cart.customer_id = customer.id
    db.session.flush()
    placed = checkout_sale(db.session, till, counter, cart.uuid, [Payment(Tender.STORE_CREDIT, 99_900)]).sale

    db.session.refresh(customer)
    assert customer.store_credit_minor == 50_100 == ledger_balance(db.session, customer.id)
    spent = db.session.query(StoreCreditEntry).filter_by(sale_id=placed.id).one()
    assert (spent.kind, spent.delta_minor, spent.balance_after_minor) == ("spent", -99_900, 50_100)
    second = cart_with(till, counter, items[2])
    second.customer_id = customer.id
    db.session.flush()
    with pytest.raises(DomainError, match="Rs 501 of store credit"):
        checkout_sale(db.session, till, counter, second.uuid, [Payment(Tender.STORE_CREDIT, 99_900)])


def test_a_restocked_return_raises_the_shopify_level_through_the_outbox(synced, manager, cashier, run_jobs):
    counter = factories.CounterFactory(branch=synced.branch)
    actor = open_till(manager, manager, counter)
    variant = synced.variants(1)[0]
    before = synced.shopify_on_hand(variant)
    sold = sell(actor, counter, variant)
    db.session.commit()
    run_jobs("shopify")
    assert synced.shopify_on_hand(variant) == before - 1

    record_return(db.session, Actor(manager, counter_id=counter.id), counter, request_for(sold, (0, 1)))
    db.session.commit()
    run_jobs("shopify")

    assert synced.shopify_on_hand(variant) == before
