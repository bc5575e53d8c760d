"""The Cancel order page: it says what cancelling does, asks why, refuses without a reason (422 beside the field) or
once something was dispatched (422, the message), and a double submit asks once; a manager of another branch does
not find the order. (Sending to Shopify: tests/pipelines/test_order_cancel.py.)"""

from __future__ import annotations

import sqlalchemy as sa

from ismartsync.extensions import db
from ismartsync.models import AuditEntry, CancellationStatus, OnlineOrder, OrderCancellation, Role, ShopifyLocation
from ismartsync.services.online_orders.intake import apply_order
from tests import factories
from tests.markup import text_of
from tests.services.online_orders.test_reserved import GULBERG, order_node


def _order_at(merchant, branch, items, **changes) -> OnlineOrder:
    db.session.add(ShopifyLocation(merchant=merchant, shopify_id=GULBERG, name="Gulberg", branch=branch))
    db.session.flush()
    order = apply_order(db.session, merchant.id, order_node(1001, [(items[0], 2), (items[1], 1)], **changes)).order
    db.session.commit()
    return order


def test_the_page_says_what_cancelling_does_and_a_cancel_is_asked_once(browser, manager, merchant, branch, app):
    items = [factories.VariantFactory(product__merchant=merchant) for _ in range(2)]
    order = _order_at(merchant, branch, items)
    browser.sign_in(manager)

    page = browser.get(f"/online-orders/{order.id}/cancel").get_data(as_text=True)
    assert text_of(page, "order-cancel-what") == (
        "Cancel order #1001 in Shopify, release 3 reserved units, restock; the customer is not refunded by iSmartSync."
    )

    first = browser.post(f"/online-orders/{order.id}/cancel", {"reason": "CUSTOMER", "note": "Called"})
    again = browser.post(f"/online-orders/{order.id}/cancel", {"reason": "OTHER"})

    assert first.status_code == 303 and again.status_code == 303
    rows = db.session.scalars(sa.select(OrderCancellation)).all()
    assert [(r.reason, r.staff_note, r.requested_by_id) for r in rows] == [("CUSTOMER", "Called", manager.id)]
    assert rows[0].status in (CancellationStatus.PENDING, CancellationStatus.SENT, CancellationStatus.SENDING)
    audits = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "online_order.cancel")).all()
    assert len(audits) == 1
    followed = browser.get(first.headers["Location"]).get_data(as_text=True)
    assert "order-cancel-form" not in followed  # no second form while it waits on Shopify


def test_a_reason_is_required_beside_the_field(browser, manager, merchant, branch):
    items = [factories.VariantFactory(product__merchant=merchant) for _ in range(2)]
    order = _order_at(merchant, branch, items)
    browser.sign_in(manager)

    response = browser.post(f"/online-orders/{order.id}/cancel", {"reason": "FRAUD"}, htmx=True)

    assert response.status_code == 422
    assert "Choose why the order is cancelled." in text_of(response.get_data(as_text=True), "field-reason")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OrderCancellation)) == 0


def test_a_dispatched_order_is_refused_with_the_reason(browser, manager, merchant, branch):
    items = [factories.VariantFactory(product__merchant=merchant) for _ in range(2)]
    order = _order_at(merchant, branch, items, remaining=[0, 0], status="CLOSED", displayFulfillmentStatus="FULFILLED")
    browser.sign_in(manager)

    page = browser.get(f"/online-orders/{order.id}/cancel").get_data(as_text=True)
    response = browser.post(f"/online-orders/{order.id}/cancel", {"reason": "CUSTOMER"})

    assert "was already dispatched" in text_of(page, "order-cancel-status")
    assert response.status_code == 422 and "was already dispatched" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OrderCancellation)) == 0


def test_a_manager_of_another_branch_does_not_find_the_order(browser, merchant, branch, roles):
    items = [factories.VariantFactory(product__merchant=merchant) for _ in range(2)]
    order = _order_at(merchant, branch, items)
    elsewhere = factories.BranchFactory(merchant=merchant, name="DHA")
    manager = factories.UserFactory(merchant=merchant, role=roles["Manager"], branches=[elsewhere])
    browser.sign_in(manager)

    assert browser.get(f"/online-orders/{order.id}/cancel").status_code == 404
    assert browser.post(f"/online-orders/{order.id}/cancel", {"reason": "CUSTOMER"}).status_code == 404


def test_the_cancel_button_is_for_those_who_may_cancel(merchant, roles, app):
    manager_role = db.session.get(Role, roles["Manager"].id)
    cashier_role = db.session.get(Role, roles["Cashier"].id)
    order = OnlineOrder(id=1, merchant_id=merchant.id, shopify_id="gid://shopify/Order/1", name="#1")
    with app.test_request_context():
        from flask import render_template
        from flask_login import login_user

        for role, shown in ((manager_role, True), (cashier_role, False)):
            login_user(factories.UserFactory(merchant=merchant, role=role, all_branches=True))
            html = render_template("online_orders/_actions.html", order=order)
            assert ("Cancel order" in html) is shown
