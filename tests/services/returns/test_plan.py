"""Planning a return: the approval a supervisor gives and its wording, the window, other branches, and a return
without a receipt priced at the lowest price sold in 90 days."""

from __future__ import annotations

import pytest

from ismartsync.errors import DomainError
from ismartsync.extensions import db
from ismartsync.models import Tender
from ismartsync.models.catalog import Customer
from ismartsync.permissions import Effect, Permission
from ismartsync.services.audit import Actor
from ismartsync.services.checkout import Payment
from ismartsync.services.returns.plan import ReturnRequest, UnreceiptedItem, plan_return
from ismartsync.services.returns.policy import RefundNeedsApproval
from ismartsync.services.returns.record import record_return
from ismartsync.services.returns.tenders import RefundTender
from ismartsync.services.roles import set_grant
from tests import factories
from tests.selling import sell
from tests.services.returns.conftest import request_for


def _customer(merchant) -> Customer:
    customer = Customer(merchant_id=merchant.id, first_name="Hina", last_name="Malik", phone="+923001234567")
    db.session.add(customer)
    db.session.flush()
    return customer


def test_the_cashier_needs_a_supervisor_and_the_wording_says_what_is_approved(till, counter, items):
    sale = sell(till, counter, items[1])
    request = request_for(sale, (0, 1))
    plan = plan_return(db.session, till, counter, request)
    assert plan.wording == f"Refund Rs 1,500 on sale {sale.usin}: {sale.lines[0].name} × 1 (wrong size)"
    with pytest.raises(RefundNeedsApproval):
        record_return(db.session, till, counter, request)


def test_a_refund_over_the_owners_limit_needs_approval_even_for_a_role_allowed_to_refund(
    till, counter, items, merchant, roles, owner
):
    merchant.refund_approval_minor = 100_000
    set_grant(db.session, Actor(owner), roles["Cashier"], Permission.REFUND, Effect.ALLOWED)
    sale = sell(till, counter, items[1])
    small = sell(till, counter, items[2])
    request = request_for(sale, (0, 1))
    plan = plan_return(db.session, till, counter, request)
    assert plan.approval_reasons == ("over the Rs 1,000 refund limit",)
    assert plan.wording.endswith("— over the Rs 1,000 refund limit")
    with pytest.raises(RefundNeedsApproval):
        record_return(db.session, till, counter, request)
    assert record_return(db.session, till, counter, request_for(small, (0, 1))).sale_return.total_minor == 99_900


def test_a_return_past_the_window_says_so(till, approved, counter, items, merchant):
    from datetime import timedelta

    from ismartsync.models.base import utcnow

    sale = sell(till, counter, items[1], at=utcnow() - timedelta(days=20))
    plan = plan_return(db.session, till, counter, request_for(sale, (0, 1)))
    assert plan.approval_reasons == ("sold 20 days ago, past the 14-day return window",)


def test_without_a_receipt_it_is_store_credit_at_the_lowest_price_sold_in_90_days(
    till, approved, counter, items, merchant
):
    from ismartsync.services import cart as carts
    from ismartsync.services.checkout import checkout_sale
    from ismartsync.services.pricing import Discount, DiscountKind
    from tests.selling import cart_with

    cart = cart_with(till, counter, items[1])
    carts.set_discount(db.session, approved, cart, cart.lines[0], Discount(DiscountKind.AMOUNT, 20_000))
    checkout_sale(db.session, till, counter, cart.uuid, [Payment(Tender.CASH, cart.payable_minor)])
    customer = _customer(merchant)
    request = ReturnRequest(
        uuid="no-receipt-1", unreceipted=(UnreceiptedItem(items[1].id, 1, "changed_mind"),), customer_id=customer.id
    )
    plan = plan_return(db.session, approved, counter, request)
    assert plan.total_minor == 130_000 and "no receipt" in plan.approval_reasons
    done = record_return(db.session, approved, counter, request)
    assert [(r.tender, r.amount_minor) for r in done.sale_return.refunds] == [(Tender.STORE_CREDIT, 130_000)]
    assert done.fiscal_document_id is None
    with pytest.raises(DomainError, match="store credit only"):
        plan_return(
            db.session,
            approved,
            counter,
            ReturnRequest(
                uuid="no-receipt-2",
                unreceipted=(UnreceiptedItem(items[1].id, 1, "changed_mind"),),
                refunds=(RefundTender(Tender.CASH, 130_000),),
            ),
        )


def test_a_sale_of_another_branch_is_refused_when_the_merchant_says_so(till, approved, counter, items, merchant):
    from ismartsync.services.returns.reading import returns_of_sale

    sale = sell(till, counter, items[0])
    elsewhere = factories.CounterFactory(branch=factories.BranchFactory(merchant=merchant, name="DHA", code="DHA"))
    merchant.returns_at_other_branches = False
    with pytest.raises(DomainError, match="returned at"):
        plan_return(db.session, approved, elsewhere, request_for(sale, (0, 1)))
    record_return(db.session, approved, counter, request_for(sale, (0, 1)))
    assert [r.counter_id for r in returns_of_sale(db.session, sale)] == [counter.id]
