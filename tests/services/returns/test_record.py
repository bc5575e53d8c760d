"""Recording a return: refunds pro-rated from what was paid, quantities capped, tenders, drawer, stock, approval."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from ismartsync.errors import DomainError
from ismartsync.extensions import db
from ismartsync.models import (
    AuditEntry,
    MovementKind,
    PaymentMethod,
    SaleReturn,
    SaleStatus,
    StockMovement,
    Tender,
)
from ismartsync.models.catalog import Customer
from ismartsync.services.checkout import Payment
from ismartsync.services.returns.quantities import returnable_quantities
from ismartsync.services.returns.record import record_return
from ismartsync.services.returns.store_credit import ledger_balance
from ismartsync.services.returns.tenders import RefundTender
from ismartsync.services.stock.ledger import ledger_sum, level_of
from tests import factories
from tests.selling import open_till, sell, stock_items
from tests.services.returns.conftest import request_for


def _customer(merchant) -> Customer:
    customer = Customer(merchant_id=merchant.id, first_name="Hina", last_name="Malik", phone="+923001234567")
    db.session.add(customer)
    db.session.flush()
    return customer


def test_returning_everything_refunds_the_sale_total_without_the_pos_fee(till, approved, counter, items, branch):
    sale = sell(till, counter, items[0], items[1], items[1])
    result = record_return(db.session, approved, counter, request_for(sale, (0, 1), (1, 2)))
    assert result.sale_return.total_minor == sale.total_minor == sale.payable_minor - sale.pos_fee_minor
    assert [r.tender for r in result.sale_return.refunds] == [Tender.CASH]
    assert sale.status == SaleStatus.REFUNDED
    assert returnable_quantities(db.session, sale) == {line.id: 0 for line in sale.lines}
    assert level_of(db.session, items[1], branch) == 10 == ledger_sum(db.session, items[1], branch)


def test_a_partial_return_marks_the_sale_partly_refunded_and_caps_what_is_left(till, approved, counter, items):
    sale = sell(till, counter, items[1], items[1], items[1])
    record_return(db.session, approved, counter, request_for(sale, (0, 2)))
    assert sale.status == SaleStatus.PARTLY_REFUNDED
    with pytest.raises(DomainError, match="Only 1 of"):
        record_return(db.session, approved, counter, request_for(sale, (0, 2)))
    last = record_return(db.session, approved, counter, request_for(sale, (0, 1)))
    assert sale.status == SaleStatus.REFUNDED
    with pytest.raises(DomainError, match="returned already"):
        record_return(db.session, approved, counter, request_for(sale, (0, 1)))
    assert last.sale_return.number == sale.number + 2  # the counter's one gapless sequence


def test_the_same_key_twice_is_one_return(till, approved, counter, items):
    sale = sell(till, counter, items[0])
    request = request_for(sale, (0, 1))
    first = record_return(db.session, approved, counter, request)
    again = record_return(db.session, approved, counter, request)
    assert again.repeated and again.sale_return.id == first.sale_return.id
    assert till.user.id  # one audit entry, one cash refund
    entries = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "return.record")).all()
    assert len(entries) == 1 and "Return" in entries[0].summary and approved.approver.id == entries[0].approver_id


def test_a_cash_refund_leaves_the_drawer_and_counts_in_cash_refunds(till, approved, counter, items):
    sale = sell(till, counter, items[2])
    shift = sale.shift
    before = shift.expected_cash_minor
    record_return(db.session, approved, counter, request_for(sale, (0, 1)))
    db.session.refresh(shift)
    assert shift.cash_refunds_minor == items[2].price_minor
    assert shift.expected_cash_minor == before - items[2].price_minor


def test_a_split_tender_sale_is_refunded_card_first_and_cash_last_capped_per_tender(till, approved, counter, items):
    sale = sell(
        till,
        counter,
        items[0],
        items[1],
        payments=[Payment(Tender.CARD, 200_000), Payment(Tender.CASH, 300_000)],
    )
    first = record_return(db.session, approved, counter, request_for(sale, (1, 1)))  # Rs 1,500: card pays it
    assert [(r.tender, r.amount_minor) for r in first.sale_return.refunds] == [(Tender.CARD, 150_000)]
    second = record_return(db.session, approved, counter, request_for(sale, (0, 1)))  # Rs 2,990: card's last 500
    assert [(r.tender, r.amount_minor) for r in second.sale_return.refunds] == [
        (Tender.CARD, 50_000),
        (Tender.CASH, 249_000),
    ]


def test_a_refund_to_the_card_it_was_paid_by_records_its_reference_and_is_refused_without_one(
    till, approved, counter, items
):
    sale = sell(till, counter, items[1], payments=[Payment(Tender.CARD, 100_000), Payment(Tender.CASH, 50_000)])
    card = next(p for p in sale.payments if p.tender == Tender.CARD)
    with pytest.raises(DomainError, match="Enter the reference of the card refund") as refused:
        record_return(db.session, approved, counter, request_for(sale, (0, 1), references={}))
    assert refused.value.field == f"reference-{card.id}"
    assert db.session.scalar(select(func.count(SaleReturn.id))) == 0

    done = record_return(db.session, approved, counter, request_for(sale, (0, 1), references={card.id: "RRN 4411"}))
    assert [(r.tender, r.amount_minor, r.reference) for r in done.sale_return.refunds] == [
        (Tender.CARD, 100_000, "RRN 4411"),
        (Tender.CASH, 50_000, ""),
    ]


def test_a_card_refund_a_person_chooses_needs_its_reference_and_stays_within_the_card(till, approved, counter, items):
    sale = sell(till, counter, items[1], payments=[Payment(Tender.CARD, 100_000), Payment(Tender.CASH, 50_000)])
    with pytest.raises(DomainError, match="reference"):
        record_return(
            db.session, approved, counter, request_for(sale, (0, 1), refunds=(RefundTender(Tender.CARD, 150_000),))
        )
    with pytest.raises(DomainError, match="At most Rs 1,000 can go back by card"):
        record_return(
            db.session,
            approved,
            counter,
            request_for(sale, (0, 1), refunds=(RefundTender(Tender.CARD, 150_000, reference="RRN 1"),)),
        )
    done = record_return(
        db.session,
        approved,
        counter,
        request_for(
            sale,
            (0, 1),
            refunds=(RefundTender(Tender.CARD, 100_000, reference="RRN 77"), RefundTender(Tender.CASH, 50_000)),
        ),
    )
    assert [(r.tender, r.reference) for r in done.sale_return.refunds] == [(Tender.CARD, "RRN 77"), (Tender.CASH, "")]


def test_store_credit_goes_to_the_customer_ledger(till, approved, counter, items, merchant):
    customer = _customer(merchant)
    sale = sell(till, counter, items[2])
    done = record_return(
        db.session,
        approved,
        counter,
        request_for(sale, (0, 1), customer_id=customer.id, refunds=(RefundTender(Tender.STORE_CREDIT, 99_900),)),
    )
    db.session.refresh(customer)
    assert customer.store_credit_minor == 99_900 == ledger_balance(db.session, customer.id)
    assert done.sale_return.customer_id == customer.id
    assert sale.shift.cash_refunds_minor == 0


def test_a_defective_item_is_recorded_not_sellable_and_not_restocked(till, approved, counter, items, branch):
    sale = sell(till, counter, items[0])
    done = record_return(db.session, approved, counter, request_for(sale, (0, 1, "defective")))
    line = done.sale_return.lines[0]
    assert (line.restock, line.sellable, line.reason_label) == (False, False, "Defective")
    assert level_of(db.session, items[0], branch) == 9


def test_a_restocked_line_moves_stock_through_the_ledger_as_a_return(till, approved, counter, items, branch):
    sale = sell(till, counter, items[0])
    done = record_return(db.session, approved, counter, request_for(sale, (0, 1)))
    movement = db.session.scalars(select(StockMovement).where(StockMovement.kind == MovementKind.RETURN)).one()
    assert (movement.delta, movement.reference) == (1, f"gid://ismartsync/SaleReturn/{done.sale_return.id}")


def test_a_cash_refund_is_refused_once_the_shift_is_closed(till, approved, counter, items):
    from tests.selling import close_till

    sale = sell(till, counter, items[2])
    close_till(till)
    with pytest.raises(DomainError, match="shift"):
        record_return(db.session, approved, counter, request_for(sale, (0, 1)))


def test_another_merchants_sale_cannot_be_returned(till, approved, counter, items, other_merchant):
    other_branch = factories.BranchFactory(merchant=other_merchant)
    other_counter = factories.CounterFactory(branch=other_branch)
    seller = factories.UserFactory(merchant=other_merchant)
    other_till = open_till(seller, seller, other_counter)
    other_items = stock_items(other_merchant, other_branch)
    other_sale = sell(other_till, other_counter, other_items[0])
    with pytest.raises(DomainError, match="cannot be returned"):
        record_return(db.session, approved, counter, request_for(other_sale, (0, 1)))


def test_a_bank_method_of_another_kind_is_refused(till, approved, counter, items, merchant):
    bank = factories.PaymentMethodFactory(merchant=merchant)
    sale = sell(till, counter, items[1], payments=[Payment(Tender.BANK, 150_000, method_id=bank.id)])
    wallet = PaymentMethod(merchant_id=merchant.id, kind=Tender.WALLET, name="JazzCash")
    db.session.add(wallet)
    db.session.flush()
    with pytest.raises(DomainError):
        record_return(
            db.session,
            approved,
            counter,
            request_for(sale, (0, 1), refunds=(RefundTender(Tender.BANK, 150_000, wallet.id, "TX1"),)),
        )
    done = record_return(db.session, approved, counter, request_for(sale, (0, 1)))
    assert [(r.tender, r.payment_method_id) for r in done.sale_return.refunds] == [(Tender.BANK, bank.id)]
