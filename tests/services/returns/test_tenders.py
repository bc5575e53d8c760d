"""How a refund goes back: through the sale's own payments card first and cash last, each capped at what it paid less
earlier refunds, or as a person chose and the rules allow."""

from __future__ import annotations

import pytest

from ismartsync.errors import DomainError
from ismartsync.extensions import db
from ismartsync.models import PaymentMethod, SalePayment, Tender
from ismartsync.services.returns.tenders import (
    RefundPart,
    RefundTender,
    allocate_refund,
    check_references,
    check_refunds,
    refundable_left,
)
from tests import factories


def paid(payment_id: int, tender: Tender, amount_minor: int, method_id: int | None = None) -> SalePayment:
    """One of a sale's payments as checkout recorded it (only what a refund reads of it)."""
    return SalePayment(
        id=payment_id, tender=tender, amount_minor=amount_minor, payment_method_id=method_id, label=tender.label
    )


def test_what_each_payment_can_still_give_back_card_first_and_cash_last():
    cash, card, wallet, credit = (
        paid(1, Tender.CASH, 50_000),
        paid(2, Tender.CARD, 30_000),
        paid(3, Tender.WALLET, 20_000),
        paid(4, Tender.STORE_CREDIT, 10_000),
    )
    left = refundable_left([cash, credit, wallet, card], refunded={2: 30_000, 3: 5_000})
    assert [(p.id, room) for p, room in left] == [(3, 15_000), (4, 10_000), (1, 50_000)]  # the card gave it all back


def test_a_refund_takes_each_payment_up_to_its_room_in_order_then_cash():
    card, cash = paid(1, Tender.CARD, 30_000, method_id=None), paid(2, Tender.CASH, 50_000)
    assert allocate_refund(40_000, [(card, 30_000), (cash, 50_000)]) == [
        RefundPart(Tender.CARD, 30_000, sale_payment_id=1, label="Card"),
        RefundPart(Tender.CASH, 10_000, sale_payment_id=2, label="Cash"),
    ]
    assert allocate_refund(20_000, [(card, 30_000), (cash, 50_000)]) == [
        RefundPart(Tender.CARD, 20_000, sale_payment_id=1, label="Card")
    ]


def test_an_exchanges_credit_and_what_no_payment_can_take_go_back_in_cash():
    exchange = paid(1, Tender.EXCHANGE, 10_000)
    parts = allocate_refund(25_000, [(exchange, 10_000)])
    assert [(p.tender, p.amount_minor, p.sale_payment_id) for p in parts] == [
        (Tender.CASH, 10_000, 1),
        (Tender.CASH, 15_000, None),
    ]


@pytest.mark.parametrize(
    ("chosen", "message", "field"),
    [
        ((RefundTender(Tender.CASH, 0), RefundTender(Tender.CASH, 30_000)), "amount above Rs 0", "refunds"),
        ((RefundTender(Tender.CASH, 20_000),), "must come to Rs 300", "refunds"),
        ((RefundTender(Tender.EXCHANGE, 30_000),), "not a refund tender", "refunds"),
        ((RefundTender(Tender.STORE_CREDIT, 30_000),), "choose the customer first", "customer"),
        ((RefundTender(Tender.CARD, 30_000, reference="  "),), "reference of the card refund", "reference"),
        ((RefundTender(Tender.CARD, 30_000, reference="RRN 1"),), "At most Rs 200 can go back by card", "refunds"),
    ],
)
def test_refunds_a_person_chose_are_refused_beside_the_field_that_is_wrong(merchant, chosen, message, field):
    left = [(paid(1, Tender.CARD, 20_000), 20_000), (paid(2, Tender.CASH, 10_000), 10_000)]
    with pytest.raises(DomainError, match=message) as refused:
        check_refunds(db.session, merchant.id, chosen, 30_000, left, customer_named=False)
    assert refused.value.field == field


def test_without_a_receipt_only_the_allowed_tenders_are_taken(merchant):
    cash = (RefundTender(Tender.CASH, 30_000),)
    with pytest.raises(DomainError, match="refunded as store credit only"):
        check_refunds(db.session, merchant.id, cash, 30_000, [], customer_named=True, allowed=[Tender.STORE_CREDIT])
    credit = (RefundTender(Tender.STORE_CREDIT, 30_000),)
    assert check_refunds(
        db.session, merchant.id, credit, 30_000, [], customer_named=True, allowed=[Tender.STORE_CREDIT]
    ) == [RefundPart(Tender.STORE_CREDIT, 30_000, label="Store credit")]


def test_a_wallet_refund_is_spread_over_that_accounts_payments_with_its_reference(merchant, other_merchant):
    jazz = PaymentMethod(merchant_id=merchant.id, kind=Tender.WALLET, name="JazzCash")
    easy = PaymentMethod(merchant_id=merchant.id, kind=Tender.WALLET, name="Easypaisa")
    bank = factories.PaymentMethodFactory(merchant=merchant)
    theirs = PaymentMethod(merchant_id=other_merchant.id, kind=Tender.WALLET, name="JazzCash")
    db.session.add_all([jazz, easy, theirs])
    db.session.flush()
    left = [
        (paid(1, Tender.WALLET, 10_000, jazz.id), 10_000),
        (paid(2, Tender.WALLET, 50_000, easy.id), 50_000),
        (paid(3, Tender.WALLET, 20_000, jazz.id), 5_000),
    ]
    chosen = (RefundTender(Tender.WALLET, 15_000, jazz.id, " TX 9 "), RefundTender(Tender.CASH, 5_000))

    parts = check_refunds(db.session, merchant.id, chosen, 20_000, left, customer_named=False)

    assert [(p.tender, p.amount_minor, p.sale_payment_id, p.reference) for p in parts] == [
        (Tender.WALLET, 10_000, 1, "TX 9"),
        (Tender.WALLET, 5_000, 3, "TX 9"),
        (Tender.CASH, 5_000, None, ""),
    ]
    for method in (theirs, bank):  # a form naming another merchant's account, or one of another kind
        with pytest.raises(DomainError, match="Choose which wallet account"):
            check_refunds(
                db.session,
                merchant.id,
                (RefundTender(Tender.WALLET, 5_000, method.id, "TX 9"),),
                5_000,
                [(paid(4, Tender.WALLET, 5_000, method.id), 5_000)],
                customer_named=False,
            )


def test_the_default_refund_carries_each_card_bank_and_wallet_reference_typed_for_its_payment():
    card, bank, cash = paid(1, Tender.CARD, 30_000), paid(2, Tender.BANK, 20_000), paid(3, Tender.CASH, 50_000)
    typed = {1: "  RRN 4411 ", 2: "IBFT 99", 3: "not for cash"}
    parts = allocate_refund(60_000, refundable_left([card, bank, cash], {}), typed)
    assert [(p.tender, p.amount_minor, p.sale_payment_id, p.reference) for p in parts] == [
        (Tender.CARD, 30_000, 1, "RRN 4411"),
        (Tender.BANK, 20_000, 2, "IBFT 99"),
        (Tender.CASH, 10_000, 3, ""),
    ]
    check_references(parts)


def test_a_card_part_without_its_reference_is_refused_beside_that_payments_field():
    card, wallet = paid(7, Tender.CARD, 30_000), paid(8, Tender.WALLET, 20_000)
    parts = allocate_refund(40_000, refundable_left([card, wallet], {}), {7: "RRN 1"})
    with pytest.raises(DomainError, match="Enter the reference of the wallet refund") as refused:
        check_references(parts)
    assert refused.value.field == "reference-8"
    check_references(allocate_refund(10_000, refundable_left([paid(9, Tender.CASH, 10_000)], {})))  # cash: none
