"""Smart Orders: the list's filters, search and keyset pages, for one branch and all of them; the order page with the
stock of each line at every branch; COD confirmation (call and WhatsApp links, the outcome recorded once however
often it is sent, audited); moves refused beside the field; 403 and 404 as everywhere else."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
import sqlalchemy as sa

from ismartsync.extensions import db
from ismartsync.models import AuditEntry, MovementKind, ShopifyLocation
from ismartsync.models.order_work import FulfilmentOrderMove, OrderConfirmation
from ismartsync.services.audit import Actor
from ismartsync.services.online_orders import listing
from ismartsync.services.online_orders.confirmation import record_confirmation
from ismartsync.services.online_orders.intake import apply_order
from ismartsync.services.stock.ledger import record_movement
from tests import factories
from tests.services.online_orders.test_intake import GULBERG, _fulfilment_order, _order

DHA, CLIFTON = "gid://shopify/Location/72", "gid://shopify/Location/73"
HX = {"HX-Request": "true"}


def _listed(html: str) -> list[str]:
    return re.findall(r"<strong>(#\d+)</strong></a>", html)


def _at(minutes: int) -> str:
    return (datetime(2026, 12, 1, 9, tzinfo=UTC) + timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%SZ")


def _place(merchant, n: int, location: str = GULBERG, minutes: int = 0, **changes) -> None:
    when = _at(minutes)
    fo = _fulfilment_order(800 + n, location, when, changes.pop("fo_status", "OPEN"))
    fo["id"] = f"gid://shopify/FulfillmentOrder/{800 + n}"
    fo["lineItems"]["nodes"][0]["id"] = f"gid://shopify/FulfillmentOrderLineItem/{800 + n}1"
    fo["lineItems"]["nodes"][0]["lineItem"]["id"] = f"gid://shopify/LineItem/{n}01"
    line = _order()["lineItems"]["nodes"][0] | {"id": f"gid://shopify/LineItem/{n}01"}
    node = _order(
        id=f"gid://shopify/Order/{n}",
        name=f"#{n}",
        createdAt=when,
        updatedAt=when,
        lineItems={"nodes": [line]},
        fulfillmentOrders={"nodes": [fo]},
    )
    node.update(changes)
    apply_order(db.session, merchant.id, node)


@pytest.fixture
def world(merchant, branch):
    """Gulberg (linked), DHA (linked), Clifton (not linked); a variant with stock 1 at Gulberg, 5 at DHA, 9 at
    Clifton; #1001 a COD order of 2 of it at Gulberg."""
    dha = factories.BranchFactory(merchant=merchant, name="DHA Phase 5")
    clifton = factories.BranchFactory(merchant=merchant, name="Clifton")
    db.session.add(ShopifyLocation(merchant=merchant, shopify_id=GULBERG, name="Gulberg store", branch=branch))
    db.session.add(ShopifyLocation(merchant=merchant, shopify_id=DHA, name="DHA store", branch=dha))
    db.session.add(ShopifyLocation(merchant=merchant, shopify_id=CLIFTON, name="Clifton store"))
    variant = factories.VariantFactory(
        product__merchant=merchant, product__title="Lawn suit", shopify_id="gid://shopify/ProductVariant/5001"
    )
    db.session.flush()
    for where, quantity in ((branch, 1), (dha, 5), (clifton, 9)):
        record_movement(db.session, variant=variant, branch=where, delta=quantity, kind=MovementKind.COUNT)
    apply_order(db.session, merchant.id, _order())
    db.session.commit()
    order = db.session.scalar(sa.select(listing.OnlineOrder).where(listing.OnlineOrder.name == "#1001"))
    return type("World", (), {"gulberg": branch, "dha": dha, "clifton": clifton, "order": order, "variant": variant})


# The list ---------------------------------------------------------------------------------------------------------


@pytest.fixture
def many(merchant, branch):
    """Six orders at Gulberg and one at DHA: COD and card, cancelled, fulfilled, held, confirmed or not."""
    dha = factories.BranchFactory(merchant=merchant, name="DHA Phase 5")
    db.session.add(ShopifyLocation(merchant=merchant, shopify_id=GULBERG, name="Gulberg", branch=branch))
    db.session.add(ShopifyLocation(merchant=merchant, shopify_id=DHA, name="DHA", branch=dha))
    db.session.flush()
    _place(merchant, 2001, minutes=1)  # COD, to confirm
    _place(merchant, 2002, minutes=2, paymentGatewayNames=["Safepay"], displayFinancialStatus="PAID")
    _place(merchant, 2003, minutes=3, cancelledAt=_at(4), cancelReason="CUSTOMER")
    _place(merchant, 2004, minutes=4, displayFulfillmentStatus="FULFILLED", fo_status="CLOSED")
    _place(merchant, 2005, minutes=5, fo_status="ON_HOLD")
    _place(merchant, 2006, minutes=60 * 24 * 3, phone="+923331112233")  # three days later
    _place(merchant, 2007, DHA, minutes=7)
    db.session.flush()
    ids = {o.name: o.id for o in db.session.scalars(sa.select(listing.OnlineOrder))}
    actor = Actor(factories.UserFactory(merchant=merchant, role=factories.roles_of(merchant)["Manager"]))
    for name, outcome in (("#2006", "confirmed"), ("#2005", "no_answer")):
        order = db.session.get(listing.OnlineOrder, ids[name])
        record_confirmation(db.session, actor, order, outcome, "", f"key-{name}")
    db.session.commit()
    return branch, dha


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({}, ["#2006", "#2005", "#2004", "#2003", "#2002", "#2001"]),
        ({"status": "to_confirm"}, ["#2005", "#2001"]),
        ({"status": "confirmed"}, ["#2006"]),
        ({"status": "on_hold"}, ["#2005"]),
        ({"status": "unfulfilled"}, ["#2006", "#2005", "#2002", "#2001"]),
        ({"status": "fulfilled"}, ["#2004"]),
        ({"status": "cancelled"}, ["#2003"]),
        ({"cod": "prepaid"}, ["#2002"]),
        ({"cod": "cod", "status": "unfulfilled"}, ["#2006", "#2005", "#2001"]),
        ({"confirmation": "none", "status": "unfulfilled"}, ["#2002", "#2001"]),
        ({"confirmation": "no_answer"}, ["#2005"]),
        ({"since": "2026-12-03"}, ["#2006"]),
        ({"until": "2026-12-01"}, ["#2005", "#2004", "#2003", "#2002", "#2001"]),
        ({"q": "0333 1112233"}, ["#2006"]),
        ({"q": "2003"}, ["#2003"]),
        ({"status": "nonsense", "cod": "maybe", "since": "2026-02-31", "after": "junk~x"}, None),
    ],
)
def test_the_list_filters_a_branchs_orders(browser, owner, many, query, expected):
    branch, _ = many
    browser.sign_in(owner)

    response = browser.get("/online-orders", query_string={"branch": branch.id, **query})

    assert response.status_code == 200
    found = _listed(response.get_data(as_text=True))
    assert found == (expected or ["#2006", "#2005", "#2004", "#2003", "#2002", "#2001"])


def test_all_branches_lists_every_branch_and_a_branch_only_its_own(browser, owner, many):
    _, dha = many
    browser.sign_in(owner)

    every = _listed(browser.get("/online-orders?branch=all").get_data(as_text=True))
    theirs = _listed(browser.get(f"/online-orders?branch={dha.id}").get_data(as_text=True))

    assert every == ["#2006", "#2007", "#2005", "#2004", "#2003", "#2002", "#2001"]
    assert theirs == ["#2007"]


def test_a_cashier_sees_only_the_branches_they_work_at(browser, cashier, many):
    _, dha = many
    browser.sign_in(cashier)

    assert "#2007" not in _listed(browser.get("/online-orders?branch=all").get_data(as_text=True))
    assert browser.get(f"/online-orders?branch={dha.id}").status_code == 404


def test_pages_follow_by_keyset_and_the_fragment_polls_the_same_page(browser, owner, many, monkeypatch):
    branch, _ = many
    monkeypatch.setattr(listing, "PAGE_SIZE", 4)
    browser.sign_in(owner)

    first = browser.get(f"/online-orders?branch={branch.id}").get_data(as_text=True)
    older = re.search(r'id="online-orders-older" href="([^"]+)"', first).group(1).replace("&amp;", "&")
    second = browser.get(older, headers=HX)
    body = second.get_data(as_text=True)

    assert _listed(first) == ["#2006", "#2005", "#2004", "#2003"]
    assert _listed(body) == ["#2002", "#2001"] and 'id="online-orders-older"' not in body
    assert body.lstrip().startswith('<div id="online-orders-list"') and "<html" not in body
    assert "HX-Request" in second.headers["Vary"]
    polled = re.search(r'hx-get="([^"]+)"', body).group(1).replace("&amp;", "&")
    assert "after=" in polled and _listed(browser.get(polled, headers=HX).get_data(as_text=True)) == ["#2002", "#2001"]


# The order page ---------------------------------------------------------------------------------------------------


def test_the_order_page_shows_the_customer_lines_stock_everywhere_and_the_fulfilment(browser, owner, world):
    browser.sign_in(owner)

    html = browser.get(f"/online-orders/{world.order.id}").get_data(as_text=True)

    assert "Ayesha Khan" in html and "03001234567" in html and "12 Main Blvd, Lahore" in html
    assert "COD" in html and "Call before coming" in html and "whatsapp" in html
    row = re.search(r'<tr id="order-line-\d+">(.*?)</tr>', html, re.S).group(1)
    stock = dict(re.findall(r'data-branch="(\d+)">(\S+)</td>', row))
    assert stock == {str(world.gulberg.id): "1", str(world.dha.id): "5", str(world.clifton.id): "9"}
    assert 'id="order-actions"' in html  # the slot for Pick & pack, Cancel and Invoice
    fulfilment = re.search(r'<section class="card" id="order-fulfilment".*?</section>', html, re.S).group(0)
    assert "Gulberg" in fulfilment and "Open" in fulfilment and "2 of 2 left to ship" in fulfilment
    # DHA has the stock and a location; Clifton has the stock but no location: shown, not offered.
    assert re.search(rf'value="{world.dha.id}"\s*>', fulfilment)
    assert re.search(rf'value="{world.clifton.id}" disabled', fulfilment)
    assert "Not linked to a Shopify location" in fulfilment


def test_call_and_whatsapp_links_carry_the_number_and_the_order(browser, cashier, world):
    browser.sign_in(cashier)

    html = browser.get(f"/online-orders/{world.order.id}").get_data(as_text=True)

    assert 'href="tel:+923001234567"' in html
    link = re.search(r'id="order-whatsapp" href="([^"]+)"', html).group(1).replace("&amp;", "&")
    url = urlsplit(link)
    text = parse_qs(url.query)["text"][0]
    assert (url.netloc, url.path) == ("wa.me", "/923001234567")
    assert "#1001" in text and "Lawn suit (M / Red) × 2" in text and "Rs 6,230.50" in text
    assert "12 Main Blvd, Lahore" in text and text.endswith("Reply YES to confirm.")
    assert "Reply YES" in unquote(link)


def test_another_merchants_order_is_not_found(browser, outsider, world):
    browser.sign_in(outsider)

    assert browser.get(f"/online-orders/{world.order.id}").status_code == 404
    assert browser.get(f"/online-orders/{world.order.id}/fulfilment").status_code == 404


def test_an_order_at_a_branch_the_member_does_not_work_at_is_not_found(browser, merchant, roles, world):
    elsewhere = factories.UserFactory(merchant=merchant, role=roles["Cashier"], branches=[world.dha])
    db.session.commit()
    browser.sign_in(elsewhere)

    assert browser.get(f"/online-orders/{world.order.id}").status_code == 404


# Confirmation -----------------------------------------------------------------------------------------------------


def _key(html: str) -> str:
    return re.search(r'name="request_key" value="([^"]+)"', html).group(1)


def test_a_cashier_records_a_confirmation_once_however_often_it_is_sent(browser, cashier, world):
    browser.sign_in(cashier)
    page = browser.get(f"/online-orders/{world.order.id}").get_data(as_text=True)
    form = {"outcome": "confirmed", "note": "deliver after 5 pm", "request_key": _key(page)}

    first = browser.post(f"/online-orders/{world.order.id}/confirmations", form)
    again = browser.post(f"/online-orders/{world.order.id}/confirmations", form, htmx=True)

    assert first.status_code == 303 and again.status_code == 200
    attempts = db.session.scalars(sa.select(OrderConfirmation)).all()
    assert [(a.outcome, a.note, a.recorded_by_id) for a in attempts] == [
        ("confirmed", "deliver after 5 pm", cashier.id)
    ]
    audits = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "online_order.confirmation")).all()
    assert [(a.actor_id, a.summary) for a in audits] == [(cashier.id, "Order #1001: confirmed (deliver after 5 pm)")]
    state = re.search(r'id="order-confirmation-state">(.*?)</p>', again.get_data(as_text=True), re.S).group(1)
    assert "Confirmed" in state and "Sana Iqbal" in state
    listed = browser.get("/online-orders?branch=all&status=confirmed").get_data(as_text=True)
    assert _listed(listed) == ["#1001"]


def test_the_latest_attempt_is_the_orders_state(browser, cashier, world):
    browser.sign_in(cashier)
    for outcome in ("no_answer", "cancelled_by_customer"):
        page = browser.get(f"/online-orders/{world.order.id}").get_data(as_text=True)
        browser.post(f"/online-orders/{world.order.id}/confirmations", {"outcome": outcome, "request_key": _key(page)})

    html = browser.get(f"/online-orders/{world.order.id}").get_data(as_text=True)

    assert "Cancelled by customer" in re.search(r'id="order-confirmation-state">(.*?)</p>', html, re.S).group(1)
    assert len(re.findall(r"<li>", re.search(r'id="order-confirmations">(.*?)</ul>', html, re.S).group(1))) == 2
    listed = browser.get("/online-orders?branch=all&confirmation=cancelled_by_customer").get_data(as_text=True)
    assert _listed(listed) == ["#1001"]


@pytest.mark.parametrize(
    ("form", "field", "message"),
    [
        ({"outcome": ""}, "outcome", "Choose what the customer said"),
        ({"outcome": "maybe"}, "outcome", "Choose what the customer said"),
        ({"outcome": "confirmed", "note": "x" * 501}, "note", "under 500"),
        ({"outcome": "confirmed", "request_key": ""}, "outcome", "This form has expired"),
    ],
)
def test_a_bad_confirmation_is_422_beside_its_field(browser, cashier, world, form, field, message):
    browser.sign_in(cashier)
    page = browser.get(f"/online-orders/{world.order.id}").get_data(as_text=True)

    response = browser.post(
        f"/online-orders/{world.order.id}/confirmations", {"request_key": _key(page), **form}, htmx=True
    )

    assert response.status_code == 422
    assert message in re.search(rf'id="err-{field}">(.*?)</p>', response.get_data(as_text=True)).group(1)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OrderConfirmation)) == 0


def test_a_role_without_confirm_orders_is_refused(browser, merchant, roles, world):
    stock_keeper = factories.UserFactory(merchant=merchant, role=roles["Inventory"], all_branches=True)
    db.session.commit()
    browser.sign_in(stock_keeper)

    page = browser.get(f"/online-orders/{world.order.id}").get_data(as_text=True)
    response = browser.post(
        f"/online-orders/{world.order.id}/confirmations", {"outcome": "confirmed", "request_key": "k"}
    )

    assert 'id="confirm-form"' not in page and response.status_code == 403
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OrderConfirmation)) == 0


# Moves refused before Shopify hears of them --------------------------------------------------------------------


def _move(browser, world, branch_id, key="move-1"):
    fo = world.order.fulfilment_orders[0]
    return browser.post(
        f"/online-orders/fulfilment-orders/{fo.id}/moves", {"branch_id": str(branch_id), "request_key": key}, htmx=True
    )


def _moves() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(FulfilmentOrderMove))


def test_a_move_to_a_branch_without_a_location_is_422_beside_the_choice(browser, manager, world):
    browser.sign_in(manager)

    response = _move(browser, world, world.clifton.id)

    fo = world.order.fulfilment_orders[0]
    assert response.status_code == 422
    error = re.search(rf'id="err-branch_id-{fo.id}">(.*?)</p>', response.get_data(as_text=True)).group(1)
    assert error == "Clifton cannot take it: not linked to a Shopify location."
    assert _moves() == 0


def test_a_move_to_a_branch_short_of_stock_is_refused(browser, manager, world):
    record_movement(db.session, variant=world.variant, branch=world.dha, delta=-4, kind=MovementKind.COUNT)
    db.session.commit()
    browser.sign_in(manager)

    response = _move(browser, world, world.dha.id)

    assert response.status_code == 422 and "not enough stock" in response.get_data(as_text=True)
    assert _moves() == 0


def test_a_fulfilment_order_shopify_will_not_move_says_why_and_is_refused(browser, manager, merchant, world):
    held = _order()
    held["fulfillmentOrders"]["nodes"][0].update(
        status="ON_HOLD",
        updatedAt="2026-12-01T10:00:00Z",
        supportedActions=[{"action": "RELEASE_HOLD"}, {"action": "HOLD"}],
        fulfillmentHolds=[{"reason": "AWAITING_PAYMENT"}],
    )
    held["updatedAt"] = "2026-12-01T10:00:00Z"
    apply_order(db.session, merchant.id, held)
    db.session.commit()
    browser.sign_in(manager)

    html = browser.get(f"/online-orders/{world.order.id}").get_data(as_text=True)
    response = _move(browser, world, world.dha.id)

    fo = world.order.fulfilment_orders[0]
    assert "Release the hold there before moving it" in re.search(
        rf'id="move-unavailable-{fo.id}">(.*?)</p>', html
    ).group(1)
    assert response.status_code == 422 and _moves() == 0


def test_a_move_without_a_branch_is_422(browser, manager, world):
    browser.sign_in(manager)
    fo = world.order.fulfilment_orders[0]

    response = browser.post(f"/online-orders/fulfilment-orders/{fo.id}/moves", {"request_key": "k"}, htmx=True)

    assert response.status_code == 422 and "Choose the branch to move it to." in response.get_data(as_text=True)


def test_a_move_to_another_merchants_branch_is_not_found(browser, manager, world, other_merchant):
    theirs = factories.BranchFactory(merchant=other_merchant, name="Theirs")
    db.session.commit()
    browser.sign_in(manager)

    assert _move(browser, world, theirs.id).status_code == 404
    assert _move(browser, world, "99999999999999").status_code == 404
    assert _moves() == 0


def test_a_cashier_may_not_move_orders(browser, cashier, world):
    browser.sign_in(cashier)

    html = browser.get(f"/online-orders/{world.order.id}").get_data(as_text=True)

    assert "Move to another branch" not in html
    assert _move(browser, world, world.dha.id).status_code == 403 and _moves() == 0


def test_a_manager_may_not_move_the_part_of_an_order_at_a_branch_they_do_not_work_at(browser, merchant, roles, world):
    from ismartsync.models import FulfilmentOrder

    # The order has a second fulfilment order at DHA, so a DHA manager sees the order, not its Gulberg part.
    db.session.add(
        FulfilmentOrder(
            merchant_id=merchant.id,
            order_id=world.order.id,
            shopify_id="gid://shopify/FulfillmentOrder/99001",
            branch_id=world.dha.id,
            status="OPEN",
            supported_actions=["MOVE"],
            order_created_at=world.order.shopify_created_at,
        )
    )
    dha_manager = factories.UserFactory(merchant=merchant, role=roles["Manager"], branches=[world.dha])
    db.session.commit()
    browser.sign_in(dha_manager)

    assert browser.get(f"/online-orders/{world.order.id}").status_code == 200
    assert _move(browser, world, world.dha.id).status_code == 404  # the Gulberg part
    assert _moves() == 0
