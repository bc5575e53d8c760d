"""The default roles: which pages each may open (403 otherwise) and which entries its navigation shows."""

from __future__ import annotations

import pytest

from ismartsync.extensions import db
from ismartsync.permissions import DEFAULT_ROLES, OWNER_ROLE_NAME, Effect, Permission
from ismartsync.services.online_orders.invoicing import open_online_invoice
from tests import factories
from tests.documents.returns import return_lines
from tests.markup import nav_labels, nav_links, text_of
from tests.online_invoicing import make_order, report_online_orders
from tests.selling import open_till, sell, stock_items

STAFF = ["/staff", "/roles", "/staff/{member}"]
ROSTERS = ["/rosters", "/rosters/{branch}/slots"]
SETTINGS = [
    "/settings/business",
    "/settings/selling",
    "/settings/payment-types",
    "/settings/branches",
    "/settings/branches/{branch}",
    "/settings/fbr",
    "/settings/cash",
    "/settings/returns",
]
AUDIT = ["/audit"]
FISCAL = ["/fiscal"]
REGISTERS = ["/registers"]
REPORTS = ["/reports/shifts", "/reports/over-short", "/reports/cashiers", "/reports/cash-logs"]
EXPORT = ["/audit/export.csv"]
# The reports' downloads need the reports page and Export data: Inventory may export, but sees no reports.
REPORT_EXPORTS = ["/reports/shifts.csv", "/reports/cashiers.xlsx"]
INVITE = ["/staff/invite"]
EVERY_PAGE = STAFF + ROSTERS + SETTINGS + AUDIT + EXPORT + INVITE + FISCAL + REGISTERS + REPORTS + REPORT_EXPORTS

# What each default role may open, written out by hand: the product's promise, not a copy of DEFAULT_ROLES.
MAY_OPEN = {
    "Owner": EVERY_PAGE,
    "Manager": EVERY_PAGE,
    "Cashier": [],
    "Inventory": [],
    "Accountant": AUDIT + EXPORT + FISCAL + REGISTERS + REPORTS + REPORT_EXPORTS,
}
NAV = {
    "Owner": ["Dashboard", "Registers", "FBR reporting", "Reports", "Staff", "Rosters", "Settings", "Audit log"],
    "Manager": ["Dashboard", "Registers", "FBR reporting", "Reports", "Staff", "Rosters", "Settings", "Audit log"],
    "Cashier": ["Dashboard"],
    "Inventory": ["Dashboard"],
    "Accountant": ["Dashboard", "Registers", "FBR reporting", "Reports", "Audit log"],
}


def test_every_default_role_has_a_row_in_these_tables():
    assert set(MAY_OPEN) == set(NAV) == {OWNER_ROLE_NAME, *DEFAULT_ROLES}


@pytest.fixture
def member_of(merchant, roles):
    def make(role_name: str):
        return factories.UserFactory(merchant=merchant, role=roles[role_name], all_branches=True)

    return make


@pytest.mark.parametrize("role_name", sorted(MAY_OPEN))
def test_role_opens_only_its_pages_and_gets_403_elsewhere(role_name, member_of, browser, branch, cashier):
    user = member_of(role_name)
    browser.sign_in(user)
    for template in EVERY_PAGE:
        path = template.format(member=cashier.id, branch=branch.id)
        response = browser.get(path)
        if template in MAY_OPEN[role_name]:
            assert response.status_code == 200, f"{role_name} should open {path}"
        else:
            assert response.status_code == 403, f"{role_name} should be refused {path}"
            assert "Your role does not allow this" in text_of(response.get_data(as_text=True), "error")


@pytest.mark.parametrize("role_name", sorted(NAV))
def test_navigation_shows_only_what_the_role_may_open(role_name, member_of, browser):
    browser.sign_in(member_of(role_name))
    html = browser.get("/").get_data(as_text=True)
    foundation = set().union(*NAV.values())
    assert [label for label in nav_labels(html) if label in foundation] == NAV[role_name]
    # Later areas add entries of their own; none may lead to a page the role is refused.
    for url in nav_links(html):
        assert browser.get(url).status_code == 200, f"{role_name} is shown {url} but cannot open it"


@pytest.mark.parametrize("role_name", sorted(MAY_OPEN))
def test_every_role_reaches_its_dashboard_and_account(role_name, member_of, browser):
    browser.sign_in(member_of(role_name))
    assert browser.get("/").status_code == 200
    assert browser.get("/account").status_code == 200


def test_signed_out_visitor_is_sent_to_sign_in_and_back(browser, owner):
    response = browser.get("/settings/business")
    assert response.status_code == 303
    assert response.headers["Location"] == "/sign-in?next=/settings/business"
    response = browser.post("/sign-in?next=/settings/business", {"email": owner.email, "password": factories.PASSWORD})
    assert response.headers["Location"] == "/settings/business"


def test_owner_role_holds_every_permission_whatever_its_grants_say(roles):
    owner_role = roles[OWNER_ROLE_NAME]
    assert owner_role.grants == []
    assert all(owner_role.effect(p) is Effect.ALLOWED for p in Permission)


def test_deactivated_member_holds_no_permission(merchant, roles):
    manager = factories.UserFactory(merchant=merchant, role=roles["Manager"], active=False)
    assert not manager.can(Permission.PAGE_STAFF)
    assert manager.effect(Permission.REFUND) is Effect.BLOCKED


# The counter's Return mode: the roles that sell at a counter and may make returns (a cashier with a supervisor's
# PIN, asked when the refund is made); off a paired tablet with an open shift they are sent to the counter (303).
RETURN_MODE = [
    "/counter/returns",
    "/counter/returns/find?code=13000001",
    "/counter/returns/customers",
    "/counter/returns/no-receipt",
]
MAY_RETURN = {"Owner": True, "Manager": True, "Cashier": True, "Inventory": False, "Accountant": False}


def test_every_default_role_has_a_row_in_the_return_mode_table():
    assert set(MAY_RETURN) == {OWNER_ROLE_NAME, *DEFAULT_ROLES}


# The return panel's actions (the refund preview, an exchange) and the screen after a return: the same roles.
RETURN_PANEL = [
    "/counter/returns/preview",
    "/counter/returns/exchange",
    "/counter/returns/no-receipt/preview",
    "/counter/returns/no-receipt",
    "/counter/returns/no-receipt/exchange",
    "/counter/returns/customers/new",
]


@pytest.mark.parametrize("role_name", sorted(MAY_RETURN))
def test_the_return_panel_and_done_screen_are_for_the_roles_that_sell_and_refund(role_name, member_of, browser):
    browser.sign_in(member_of(role_name))
    for path in RETURN_PANEL:
        response = browser.post(path, {"sale_id": "1"})
        if MAY_RETURN[role_name]:
            assert response.status_code == 303 and response.headers["Location"] == "/counter", path
        else:
            assert response.status_code == 403, f"{role_name} should be refused {path}"
    for path in ("/counter/refunds/999999", "/counter/refunds/999999/receipt"):
        assert browser.get(path).status_code == (404 if MAY_RETURN[role_name] else 403), path


@pytest.mark.parametrize("role_name", sorted(MAY_RETURN))
def test_return_mode_is_for_the_roles_that_sell_and_refund(role_name, member_of, browser):
    browser.sign_in(member_of(role_name))
    for path in RETURN_MODE:
        response = browser.get(path)
        if MAY_RETURN[role_name]:
            assert response.status_code == 303 and response.headers["Location"] == "/counter", path
        else:
            assert response.status_code == 403, f"{role_name} should be refused {path}"


# A return's page and its credit note: whoever sees the branch's sales (every default role), like the sale's own.
RETURN_DOCUMENTS = ["/sales/returns/{sale_return}", "/sales/returns/{sale_return}/credit-note.pdf"]
MAY_SEE_RETURNS = {"Owner": True, "Manager": True, "Cashier": True, "Inventory": True, "Accountant": True}


def test_every_default_role_has_a_row_in_the_return_documents_table():
    assert set(MAY_SEE_RETURNS) == {OWNER_ROLE_NAME, *DEFAULT_ROLES}


@pytest.fixture
def sale_return(merchant, branch, counter, manager, cashier):
    till = open_till(manager, cashier, counter)
    sale = sell(till, counter, stock_items(merchant, branch)[0])
    return return_lines(till, manager, counter, sale, (0, 1, "wrong_size"))


@pytest.mark.parametrize("role_name", sorted(MAY_SEE_RETURNS))
def test_return_documents_are_for_whoever_sees_the_sales(role_name, member_of, browser, sale_return):
    browser.sign_in(member_of(role_name))
    for template in RETURN_DOCUMENTS:
        path = template.format(sale_return=sale_return.id)
        expected = 200 if MAY_SEE_RETURNS[role_name] else 403
        assert browser.get(path).status_code == expected, f"{role_name} {path}"


@pytest.mark.parametrize("role_name", sorted(MAY_SEE_RETURNS))
def test_emailing_a_return_receipt_is_for_whoever_sees_the_sales(role_name, member_of, browser, sale_return):
    browser.sign_in(member_of(role_name))
    response = browser.post(f"/sales/returns/{sale_return.id}/receipt-email", {"email": "x@example.pk"})
    assert response.status_code == (303 if MAY_SEE_RETURNS[role_name] else 403), role_name


# An online order's invoices for the parcel: whoever sees the branch's orders (every default role has the Orders page).
ONLINE_INVOICES = [
    "/online-orders/{order}/invoices",
    "/online-orders/{order}/invoices/{invoice}.pdf",
    "/online-orders/{order}/invoices/{invoice}/receipt?paper=58",
]
MAY_SEE_ONLINE_INVOICES = {"Owner": True, "Manager": True, "Cashier": True, "Inventory": True, "Accountant": True}
# Choosing the counter that reports a branch's online orders is a settings change.
MAY_CHOOSE_ONLINE_COUNTER = {"Owner": True, "Manager": True, "Cashier": False, "Inventory": False, "Accountant": False}


def test_every_default_role_has_a_row_in_the_online_invoice_tables():
    assert set(MAY_SEE_ONLINE_INVOICES) == set(MAY_CHOOSE_ONLINE_COUNTER) == {OWNER_ROLE_NAME, *DEFAULT_ROLES}


@pytest.fixture
def online_invoice(merchant, branch, counter):
    factories.enable_fbr(merchant, counter)
    report_online_orders(branch, counter)
    order = make_order(merchant, (None, 1, 99000), branch=branch)
    document = open_online_invoice(db.session, merchant, order, branch, [(order.lines[0], 1)], "dispatch-1")
    db.session.commit()
    return document.online_invoice


@pytest.mark.parametrize("role_name", sorted(MAY_SEE_ONLINE_INVOICES))
def test_online_invoices_are_for_whoever_sees_the_orders(role_name, member_of, browser, online_invoice):
    browser.sign_in(member_of(role_name))
    for template in ONLINE_INVOICES:
        path = template.format(order=online_invoice.order_id, invoice=online_invoice.id)
        expected = 200 if MAY_SEE_ONLINE_INVOICES[role_name] else 403
        assert browser.get(path).status_code == expected, f"{role_name} {path}"


@pytest.mark.parametrize("role_name", sorted(MAY_CHOOSE_ONLINE_COUNTER))
def test_choosing_the_online_counter_is_for_who_edits_settings(role_name, member_of, browser, branch, counter):
    factories.enable_fbr(counter.merchant, counter)
    browser.sign_in(member_of(role_name))

    response = browser.post(f"/settings/fbr/branches/{branch.id}/online-counter", {"counter_id": str(counter.id)})

    assert response.status_code == (200 if MAY_CHOOSE_ONLINE_COUNTER[role_name] else 403), role_name


# Smart Orders: every default role sees online orders (the Orders page); the branch team (Cashier) and managers
# record COD confirmations; only managers move a fulfilment order to another branch. 403 for the rest.
SMART_ORDERS = {
    # role: (open the list and an order, record a confirmation, move a fulfilment order)
    "Owner": (True, True, True),
    "Manager": (True, True, True),
    "Cashier": (True, True, False),
    "Inventory": (True, False, False),
    "Accountant": (True, False, False),
}


def test_every_default_role_has_a_row_in_the_smart_orders_table():
    assert set(SMART_ORDERS) == {OWNER_ROLE_NAME, *DEFAULT_ROLES}


@pytest.fixture
def online_order(merchant, branch):
    from ismartsync.extensions import db
    from ismartsync.models import ShopifyLocation
    from ismartsync.services.online_orders.intake import apply_order
    from tests.services.online_orders.test_intake import GULBERG, _order

    db.session.add(ShopifyLocation(merchant=merchant, shopify_id=GULBERG, name="Gulberg", branch=branch))
    db.session.flush()
    order = apply_order(db.session, merchant.id, _order()).order
    db.session.commit()
    return order


@pytest.mark.parametrize("role_name", sorted(SMART_ORDERS))
def test_smart_orders_are_for_the_roles_given_them(role_name, member_of, browser, online_order, branch):
    may_open, may_confirm, may_move = SMART_ORDERS[role_name]
    browser.sign_in(member_of(role_name))
    fo = online_order.fulfilment_orders[0]

    opened = [browser.get(p).status_code for p in ("/online-orders", f"/online-orders/{online_order.id}")]
    confirmed = browser.post(
        f"/online-orders/{online_order.id}/confirmations", {"outcome": "no_answer", "request_key": role_name}
    )
    # A branch of ours with no Shopify location: allowed members get the refusal beside the field (422).
    moved = browser.post(
        f"/online-orders/fulfilment-orders/{fo.id}/moves", {"branch_id": str(branch.id), "request_key": role_name}
    )

    assert opened == ([200, 200] if may_open else [403, 403])
    assert confirmed.status_code == (303 if may_confirm else 403)
    assert moved.status_code == (422 if may_move else 403)


# Cancelling an online order: managers (and owners); everyone else is refused before the order is looked up.
ORDER_CANCEL = ["/online-orders/999999/cancel"]
MAY_CANCEL_ORDERS = {"Owner": True, "Manager": True, "Cashier": False, "Inventory": False, "Accountant": False}


def test_every_default_role_has_a_row_in_the_order_cancel_table():
    assert set(MAY_CANCEL_ORDERS) == {OWNER_ROLE_NAME, *DEFAULT_ROLES}


@pytest.mark.parametrize("role_name", sorted(MAY_CANCEL_ORDERS))
def test_cancelling_an_online_order_is_for_managers(role_name, member_of, browser):
    browser.sign_in(member_of(role_name))
    for path in ORDER_CANCEL:
        expected = 404 if MAY_CANCEL_ORDERS[role_name] else 403
        assert browser.get(path).status_code == expected, f"{role_name} GET {path}"
        assert browser.post(path, {"reason": "CUSTOMER"}).status_code == expected, f"{role_name} POST {path}"


# Fulfilment (online orders at a branch): the pick screen is for whoever sees orders; scanning, dispatching and
# sending a refused dispatch again move stock, so they need "Edit stock" too; the workflow settings are settings.
FULFILMENT_PAGES = ["/fulfilment/orders/{fo}"]
FULFILMENT_ACTIONS = [
    "/fulfilment/orders/{fo}/scan",
    "/fulfilment/orders/{fo}/dispatch",
    "/fulfilment/dispatches/{d}/retry",
]
MAY_PICK = {"Owner": True, "Manager": True, "Cashier": True, "Inventory": True, "Accountant": True}
MAY_DISPATCH = {"Owner": True, "Manager": True, "Cashier": False, "Inventory": True, "Accountant": False}
MAY_SET_FULFILMENT = {"Owner": True, "Manager": True, "Cashier": False, "Inventory": False, "Accountant": False}


def test_every_default_role_has_a_row_in_the_fulfilment_tables():
    assert set(MAY_PICK) == set(MAY_DISPATCH) == set(MAY_SET_FULFILMENT) == {OWNER_ROLE_NAME, *DEFAULT_ROLES}


@pytest.mark.parametrize("role_name", sorted(MAY_PICK))
def test_fulfilment_screens_are_for_their_roles(role_name, member_of, browser, branch):
    from tests.fulfilment_fixtures import make_dispatch, make_fulfilment_order

    fo = make_fulfilment_order(branch, factories.VariantFactory(product__merchant=branch.merchant))
    dispatch = make_dispatch(fo)
    browser.sign_in(member_of(role_name))
    for template in FULFILMENT_PAGES:
        path = template.format(fo=fo.id)
        assert browser.get(path).status_code == (200 if MAY_PICK[role_name] else 403), f"{role_name} {path}"
    for template in FULFILMENT_ACTIONS:
        path = template.format(fo=fo.id, d=dispatch.id)
        status = browser.post(path, {"code": ""}).status_code
        assert (status != 403) == MAY_DISPATCH[role_name], f"{role_name} {path} {status}"
    assert browser.get("/fulfilment/settings").status_code == (200 if MAY_SET_FULFILMENT[role_name] else 403)
    status = browser.post("/fulfilment/settings", {"workflow": "manual"}).status_code
    assert (status != 403) == MAY_SET_FULFILMENT[role_name], f"{role_name} settings {status}"
