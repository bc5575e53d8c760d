"""The customer list: this merchant's customers only, searched by name, phone or email, paged, by permission."""

from __future__ import annotations

from ismartsync.extensions import db
from ismartsync.models import Customer, Role, RoleGrant
from tests import factories
from tests.markup import text_of


def _customer(merchant, first: str, last: str = "", phone: str = "", email: str = "") -> Customer:
    customer = Customer(merchant_id=merchant.id, first_name=first, last_name=last, phone=phone, email=email)
    db.session.add(customer)
    return customer


def test_the_list_shows_only_this_merchants_customers_and_finds_them_by_name_phone_or_email(
    browser, owner, merchant, other_merchant
):
    _customer(merchant, "Ayesha", "Khan", "03001234567", "ayesha@example.pk")
    _customer(merchant, "Ali", "Raza", "03217654321")
    _customer(other_merchant, "Hina", "Malik", "03001112223")
    db.session.commit()
    browser.sign_in(owner)

    rows = text_of(browser.get("/customers").get_data(as_text=True), "customer-rows")
    assert "Ayesha Khan" in rows and "Ali Raza" in rows and "Hina" not in rows
    for term in ("khan", "ayesha kh", "0300123", "AYESHA@EXAMPLE"):
        rows = text_of(browser.get(f"/customers?q={term}").get_data(as_text=True), "customer-rows")
        assert "Ayesha Khan" in rows and "Ali Raza" not in rows, term
    assert "Nobody matches “0300111”." in text_of(
        browser.get("/customers?q=0300111").get_data(as_text=True), "customer-rows"
    )


def test_like_wildcards_in_a_search_are_taken_literally(browser, owner, merchant):
    _customer(merchant, "Ayesha", "Khan", "03001234567")
    db.session.commit()
    browser.sign_in(owner)

    for term in ("%", "_", "a%n"):
        rows = text_of(browser.get("/customers", query_string={"q": term}).get_data(as_text=True), "customer-rows")
        assert f"Nobody matches “{term}”." in rows, term


def test_htmx_gets_the_rows_alone_and_the_pager_goes_on_after_fifty(browser, owner, merchant):
    for n in range(51):
        _customer(merchant, f"Customer {n:02d}")
    db.session.commit()
    browser.sign_in(owner)

    rows = browser.get("/customers?q=customer", headers={"HX-Request": "true"})
    html = rows.get_data(as_text=True)
    assert "HX-Request" in rows.headers["Vary"]
    assert html.lstrip().startswith('<div class="card" id="customer-rows">') and "<h1>" not in html
    assert "Customer 49" in html and "Customer 50" not in html
    assert "Customer 50" in browser.get("/customers?q=customer&page=2").get_data(as_text=True)


def test_the_customers_tab_is_the_current_one_on_its_page(browser, owner):
    browser.sign_in(owner)
    html = browser.get("/customers").get_data(as_text=True)
    assert 'class="tab is-current">Customers</a>' in html
    assert 'class="nav-link is-current" aria-current="page">Customers</a>' in html


def test_a_role_without_the_orders_page_gets_403(browser, merchant, branch):
    role = Role(merchant=merchant, name="Stock taker", grants=[RoleGrant(permission="page.products", effect="allowed")])
    db.session.add(role)
    member = factories.UserFactory(merchant=merchant, role=role, branches=[branch])
    browser.sign_in(member)
    assert browser.get("/customers").status_code == 403
