"""Recording a return at the counter: the cashier's refund waits for a supervisor whose dialog says what is refunded,
bad input is answered beside its field, another merchant's sale is not found, a double submit is one return."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import func, select

from ismartsync.extensions import db
from ismartsync.models import AuditEntry, Customer, SaleReturn, SaleStatus
from ismartsync.permissions import Effect, Permission
from ismartsync.services.audit import Actor
from ismartsync.services.returns.reasons import seed_return_reasons
from ismartsync.services.roles import set_grant
from tests import factories
from tests.markup import text_of
from tests.selling import open_till, sell, stock_items
from tests.views.counter.screen import approval_what


@pytest.fixture
def sold(tablet, items, counter, cashier, merchant):
    """A Rs 2,990 lawn suit and a Rs 1,500 khussa sold for cash at the tablet's counter."""
    seed_return_reasons(db.session, merchant)
    sale = sell(Actor(cashier, counter_id=counter.id), counter, items[0], items[1])
    db.session.commit()
    return sale


def _form(sale, line: int = 1, quantity: str = "1", **extra) -> dict:
    target = sale.lines[line]
    return {
        "sale_id": sale.id,
        "return_uuid": extra.pop("return_uuid", str(uuid.uuid4())),
        f"quantity-{target.id}": quantity,
        f"reason-{target.id}": "wrong_size",
        f"restock-{target.id}": "on",
        **extra,
    }


def _returns(sale) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count(SaleReturn.id)).where(SaleReturn.sale_id == sale.id))


def test_a_cashiers_refund_asks_a_supervisor_saying_the_amount_sale_and_reason(tablet, sold, manager):
    asked = tablet.post("/counter/returns", _form(sold), htmx=True)

    assert asked.status_code == 403 and asked.headers["X-Approval-Required"] == "action.refund"
    assert approval_what(asked) == f"Refund Rs 1,500 on sale {sold.usin}: Khussa × 1 (wrong size)"
    assert _returns(sold) == 0


def test_the_supervisors_pin_records_the_return_once_however_often_it_is_sent(tablet, sold, manager, cashier):
    form = _form(sold, approver_id=manager.id, approver_pin=factories.PIN)
    first = tablet.post("/counter/returns", form, htmx=True)
    again = tablet.post("/counter/returns", form, htmx=True)

    assert first.headers["HX-Redirect"] == again.headers["HX-Redirect"] == f"/sales/{sold.id}"
    assert _returns(sold) == 1
    [entry] = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "return.record")).all()
    assert (entry.actor_id, entry.approver_id) == (cashier.id, manager.id)
    assert db.session.get(type(sold), sold.id).status == SaleStatus.PARTLY_REFUNDED


@pytest.mark.parametrize(
    ("quantity", "said"),
    [("٣", "Type a whole number with the digits 0–9."), ("2", "Only 1 of"), ("x", "Enter a whole number.")],
)
def test_bad_quantities_are_refused_beside_the_field(tablet, sold, manager, quantity, said):
    form = _form(sold, quantity=quantity, approver_id=manager.id, approver_pin=factories.PIN)
    refused = tablet.post("/counter/returns", form, htmx=True)

    assert refused.status_code == 422
    assert said in text_of(refused.get_data(as_text=True), "return-refused")
    assert _returns(sold) == 0


def test_store_credit_needs_a_customer_and_goes_to_their_balance(tablet, sold, manager, merchant):
    form = _form(sold, refund="store_credit", approver_id=manager.id, approver_pin=factories.PIN)
    refused = tablet.post("/counter/returns", form, htmx=True)
    assert refused.status_code == 422 and 'data-field="customer"' in refused.get_data(as_text=True)
    customer = Customer(merchant_id=merchant.id, first_name="Hina", phone="+923001234567")
    db.session.add(customer)
    db.session.commit()

    done = tablet.post("/counter/returns", {**form, "customer_id": customer.id}, htmx=True)

    assert done.status_code == 204 and done.headers["HX-Redirect"] == f"/sales/{sold.id}"
    db.session.expire_all()
    assert db.session.get(Customer, customer.id).store_credit_minor == 150_000


def test_a_role_allowed_to_refund_is_still_asked_above_the_owners_limit(tablet, sold, manager, owner, roles, merchant):
    set_grant(db.session, Actor(owner), roles["Cashier"], Permission.REFUND, Effect.ALLOWED)
    merchant.refund_approval_minor = 100_000
    db.session.commit()

    asked = tablet.post("/counter/returns", _form(sold), htmx=True)
    assert asked.status_code == 403
    assert approval_what(asked).endswith("— over the Rs 1,000 refund limit")

    done = tablet.post("/counter/returns", _form(sold, approver_id=manager.id, approver_pin=factories.PIN), htmx=True)
    assert done.status_code == 204 and _returns(sold) == 1


def test_a_role_blocked_from_refunds_gets_403(tablet, sold, owner, roles):
    set_grant(db.session, Actor(owner), roles["Cashier"], Permission.REFUND, Effect.BLOCKED)
    db.session.commit()
    assert tablet.post("/counter/returns", _form(sold), htmx=True).status_code == 403
    assert _returns(sold) == 0


def test_another_merchants_sale_is_not_found(tablet, sold, other_merchant):
    branch = factories.BranchFactory(merchant=other_merchant)
    counter = factories.CounterFactory(branch=branch)
    seller = factories.UserFactory(merchant=other_merchant)
    theirs = sell(open_till(seller, seller, counter), counter, stock_items(other_merchant, branch)[0])
    db.session.commit()

    response = tablet.post("/counter/returns", {**_form(theirs, line=0), "sale_id": theirs.id}, htmx=True)

    assert response.status_code == 404 and _returns(theirs) == 0


def test_a_role_without_the_counter_gets_403(browser, merchant, roles, sold):
    accountant = factories.UserFactory(merchant=merchant, role=roles["Accountant"])
    db.session.commit()
    browser.sign_in(accountant)
    assert browser.post("/counter/returns", _form(sold)).status_code == 403
    assert _returns(sold) == 0
