"""Online orders, read-only: a branch's list (or all the member's branches), found by order name or phone; another
merchant's branch is not found, a member without the Orders page is refused, and the menu leads to it."""

from __future__ import annotations

import re

import pytest

from ismartsync.extensions import db
from ismartsync.models import Role, ShopifyLocation
from ismartsync.services.online_orders.intake import apply_order
from tests import factories
from tests.services.online_orders.test_intake import GULBERG, _fulfilment_order, _order

DHA = "gid://shopify/Location/72"


def _listed(html: str) -> list[str]:
    return re.findall(r"<strong>(#\d+)</strong>", html)


@pytest.fixture
def orders(merchant, branch):
    """#1001 (COD, Ayesha) at our branch, #1002 (card, another phone) at a second branch."""
    other = factories.BranchFactory(merchant=merchant, name="DHA Phase 5")
    db.session.add(ShopifyLocation(merchant=merchant, shopify_id=GULBERG, name="Gulberg", branch=branch))
    db.session.add(ShopifyLocation(merchant=merchant, shopify_id=DHA, name="DHA", branch=other))
    db.session.flush()
    apply_order(db.session, merchant.id, _order())
    apply_order(
        db.session,
        merchant.id,
        _order(
            id="gid://shopify/Order/502",
            name="#1002",
            phone="+923331112233",
            paymentGatewayNames=["shopify_payments"],
            customer=None,
            lineItems={"nodes": []},
            fulfillmentOrders={"nodes": [_fulfilment_order(901, DHA, "2026-12-01T09:00:00Z")]},
        ),
    )
    db.session.commit()
    return branch, other


def test_a_branch_lists_the_online_orders_assigned_to_it(browser, owner, orders):
    branch, other = orders
    browser.sign_in(owner)

    ours = browser.get(f"/online-orders?branch={branch.id}").get_data(as_text=True)
    theirs = browser.get(f"/online-orders?branch={other.id}").get_data(as_text=True)
    every = browser.get("/online-orders?branch=all").get_data(as_text=True)

    assert _listed(ours) == ["#1001"] and "COD" in ours and "Ayesha Khan" in ours
    assert _listed(theirs) == ["#1002"]
    assert sorted(_listed(every)) == ["#1001", "#1002"]


@pytest.mark.parametrize(("q", "found"), [("#1001", "#1001"), ("1002", "#1002"), ("0333-1112233", "#1002")])
def test_an_order_is_found_by_its_name_or_phone(browser, owner, orders, q, found):
    browser.sign_in(owner)

    page = browser.get("/online-orders", query_string={"branch": "all", "q": q}).get_data(as_text=True)

    assert _listed(page) == [found]


def test_another_merchants_branch_is_not_found(browser, owner, orders, other_merchant):
    theirs = factories.BranchFactory(merchant=other_merchant, name="Theirs")
    db.session.commit()
    browser.sign_in(owner)

    assert browser.get(f"/online-orders?branch={theirs.id}").status_code == 404
    assert browser.get("/online-orders?branch=99999999999999").status_code == 404


def test_a_member_without_the_orders_page_is_refused(browser, merchant, orders):
    trainee = Role(merchant=merchant, name="Trainee")  # no permissions granted
    db.session.add(trainee)
    member = factories.UserFactory(merchant=merchant, role=trainee, all_branches=True)
    db.session.commit()
    browser.sign_in(member)

    assert browser.get("/online-orders").status_code == 403


def test_the_menu_leads_managers_to_online_orders(browser, manager, orders):
    manager.all_branches = True
    db.session.commit()
    browser.sign_in(manager)

    html = browser.get("/").get_data(as_text=True)

    assert 'href="/online-orders"' in html
    assert browser.get("/online-orders").status_code == 200
