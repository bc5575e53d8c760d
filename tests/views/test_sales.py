"""The sales screens: the branch's live list and its filters, one sale in full, its receipt at 80 and 58 mm."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from ismartsync.extensions import db
from ismartsync.models import Customer, Sale, SaleStatus, Tender
from ismartsync.money import format_money
from ismartsync.permissions import Effect, Permission
from ismartsync.receipt_codes import receipt_code
from ismartsync.services import cart as carts
from ismartsync.services import parked as parking
from ismartsync.services.audit import Actor
from ismartsync.services.checkout import Payment, checkout_sale
from ismartsync.services.pricing import Discount, DiscountKind
from ismartsync.services.roles import set_grant
from tests import factories
from tests.markup import element, is_fragment, text_of
from tests.selling import cart_with, close_till, open_till, sell, stock_items


@pytest.fixture
def items(merchant, branch):
    return stock_items(merchant, branch)


@pytest.fixture
def dha(merchant):
    return factories.BranchFactory(merchant=merchant, name="DHA", code="DHA")


@pytest.fixture
def placed(merchant, manager, counter, till, items):
    """Two sales at Gulberg: Sana's on 14 Jan 23:30 and Bilal's on 15 Jan 00:30, Karachi time (UTC+5)."""
    sana = sell(till, counter, items[0], at=datetime(2026, 1, 14, 18, 30, tzinfo=UTC))
    close_till(till)
    bilal = open_till(None, manager, counter)
    return {
        "sana": sana,
        "bilal": sell(bilal, counter, items[1], items[1], at=datetime(2026, 1, 14, 19, 30, tzinfo=UTC)),
    }


@pytest.fixture
def signed_in(browser, manager):
    browser.sign_in(manager)
    return browser


def _placed_directly(counter, user):
    """A placed sale written straight to the table: for a branch nobody in these tests sells at."""
    sale = Sale(
        merchant_id=counter.merchant_id,
        uuid=f"direct-{counter.id}",
        branch_id=counter.branch_id,
        counter_id=counter.id,
        cashier_id=user.id,
        status=SaleStatus.PLACED,
        number=1,
        usin=f"{counter.branch.code}-C{counter.id}-000001",
        placed_at=datetime.now(UTC),
    )
    db.session.add(sale)
    db.session.commit()
    return sale


def _listed(browser, query: str = "") -> list[str]:
    response = browser.get(f"/sales{query}")
    assert response.status_code == 200, response.get_data(as_text=True)
    html = element(response.get_data(as_text=True), "sales-list") or ""
    return [text_of(html, f"sale-{sale_id}") for sale_id in re.findall(r'<tr id="sale-(\d+)"', html)]


def _numbers(browser, query: str = "") -> list[str]:
    return [row.split()[1] for row in _listed(browser, query)]


def test_the_list_shows_each_sale_with_its_people_places_and_figures(signed_in, placed, counter):
    sana = placed["sana"]
    rows = _listed(signed_in)
    assert [r.split()[:2] for r in rows] == [["No.", "2"], ["No.", "1"]]
    row = rows[1]
    for shown in [
        sana.usin,
        "14 Jan 2026, 23:30",
        "Sana Iqbal",
        f"{counter.name} · R{sana.register_id} · S{sana.shift_id}",
        format_money(sana.subtotal_minor),
        format_money(sana.tax_minor),
        format_money(sana.payable_minor),
        "PLACED",
    ]:
        assert shown in row, f"{shown!r} not in {row!r}"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("?q=2", ["2"]),
        ("?q=C{counter}-000001", ["1"]),
        ("?status=placed", ["2", "1"]),
        ("?status=draft", []),
        ("?since=2026-01-15", ["2"]),  # 14 Jan 19:30 UTC is 00:30 on the 15th in Karachi
        ("?until=2026-01-14", ["1"]),
        ("?cashier={sana}", ["1"]),
        ("?register={register}", ["2", "1"]),
        ("?shift={shift}", ["1"]),
        ("?shift=999999", []),
    ],
)
def test_each_filter_narrows_the_list(signed_in, placed, counter, cashier, query, expected):
    sana = placed["sana"]
    query = query.format(counter=counter.id, sana=cashier.id, register=sana.register_id, shift=sana.shift_id)
    assert _numbers(signed_in, query) == expected


def test_a_parked_cart_is_listed_as_a_draft_with_its_label(signed_in, placed, counter, till, items):
    cart = cart_with(till, counter, items[2])
    parking.park_cart(db.session, till, cart, "Fitting for Ayesha")
    db.session.commit()
    rows = _listed(signed_in, "?status=draft")
    assert len(rows) == 1 and "Fitting for Ayesha" in rows[0] and "DRAFT" in rows[0]


def test_the_list_refreshes_itself_as_a_fragment_with_the_same_filters(signed_in, placed, branch):
    page = signed_in.get("/sales?status=placed").get_data(as_text=True)
    poll = element(page, "sales-list") or ""
    assert 'hx-trigger="every 10s"' in poll
    assert "status=placed" in poll and f"branch={branch.id}" in poll

    response = signed_in.get("/sales?status=placed", headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert is_fragment(html) and element(html, "sales-list") is not None
    assert element(html, "sales-filters") is None
    assert text_of(html, "sales-caption").startswith(branch.name)  # the branch shown changes with the list
    assert "HX-Request" in response.headers["Vary"]


def test_the_filter_form_updates_the_list_in_place(signed_in, placed):
    form = element(signed_in.get("/sales").get_data(as_text=True), "sales-filters") or ""
    assert 'hx-target="#sales-list"' in form and "change" in form and 'method="get"' in form


def test_a_role_without_the_orders_page_is_refused(browser, merchant, roles, owner, cashier, placed):
    set_grant(db.session, Actor(owner), roles["Cashier"], Permission.PAGE_ORDERS, Effect.BLOCKED)
    db.session.commit()
    browser.sign_in(cashier)
    assert browser.get("/sales").status_code == 403
    assert browser.get(f"/sales/{placed['sana'].id}").status_code == 403


def test_a_branch_the_member_does_not_work_at_is_not_found(browser, cashier, placed, dha):
    browser.sign_in(cashier)  # works at Gulberg only
    assert browser.get(f"/sales?branch={dha.id}").status_code == 404
    dha_counter = factories.CounterFactory(branch=dha, name="DHA 1")
    dha_sale = _placed_directly(dha_counter, cashier)
    assert browser.get(f"/sales/{dha_sale.id}").status_code == 404
    assert browser.get(f"/sales/{dha_sale.id}/receipt").status_code == 404


def test_another_branchs_sale_is_not_found_on_any_screen_that_shows_a_sale(browser, cashier, manager, placed, dha):
    """Same rule for the counter's after-checkout screen as for the sales page: the customer's name, mobile and
    receipt link of a branch the cashier does not work at stay there."""
    browser.sign_in(cashier)  # works at Gulberg only
    dha_sale = _placed_directly(factories.CounterFactory(branch=dha, name="DHA 1"), manager)
    for path in [
        f"/counter/sales/{dha_sale.id}",
        f"/sales/{dha_sale.id}",
        f"/sales/{dha_sale.id}/receipt",
        f"/sales/{dha_sale.id}/invoice.pdf",
    ]:
        assert browser.get(path).status_code == 404, path
    assert browser.post(f"/sales/{dha_sale.id}/receipt-email", {"email": "a@example.pk"}).status_code == 404
    gulberg_sale = placed["bilal"]
    assert browser.get(f"/counter/sales/{gulberg_sale.id}").status_code == 200  # the cashier's own branch


def test_the_branch_picker_offers_only_the_members_branches(browser, make_browser, owner, cashier, branch, dha, placed):
    browser.sign_in(cashier)
    page = browser.get("/sales").get_data(as_text=True)
    assert element(page, "f-branch") is None and "DHA" not in text_of(page, "sales-filters")
    other = make_browser()
    other.sign_in(owner)
    picker = text_of(other.get("/sales").get_data(as_text=True), "f-branch")
    assert picker == "All branches DHA Gulberg"
    assert _numbers(other, f"?branch={dha.id}") == []
    assert _numbers(other, f"?branch={branch.id}") == ["2", "1"]


def test_a_paired_tablet_lists_its_own_branch_first(make_browser, manager, dha, placed):
    _placed_directly(factories.CounterFactory(branch=dha, name="DHA 1"), manager)
    tablet = make_browser()
    tablet.sign_in(manager)
    assert len(_listed(tablet)) == 3  # a member who sees every branch lands on all of them
    assert tablet.post(f"/device/pair/{placed['sana'].counter_id}", {"label": "Front"}).status_code == 303
    assert _numbers(tablet) == ["2", "1"]  # paired to a Gulberg counter: Gulberg's sales
    assert "All branches" not in text_of(tablet.get("/sales").get_data(as_text=True), "sales-caption")
    assert len(_listed(tablet, "?branch=all")) == 3  # and may still choose them all


@pytest.mark.parametrize("role_name", ["Owner", "Accountant"])
def test_who_sees_every_branch_opens_on_all_branches_with_the_branch_on_each_row(
    role_name, browser, merchant, roles, placed, branch, dha
):
    dha_sale = _placed_directly(factories.CounterFactory(branch=dha, name="DHA 1"), placed["sana"].cashier)
    member = factories.UserFactory(merchant=merchant, role=roles[role_name], all_branches=True)
    browser.sign_in(member)

    page = browser.get("/sales").get_data(as_text=True)

    assert text_of(page, "sales-caption").startswith("All branches")
    assert 'value="all" selected' in (element(page, "f-branch") or "")
    rows = _listed(browser)
    assert [r.split()[:2] for r in rows] == [["No.", "1"], ["No.", "2"], ["No.", "1"]]  # newest first, merged
    assert "DHA · DHA 1" in rows[0] and f"Gulberg · Counter 1 · R{placed['bilal'].register_id}" in rows[1]
    assert f"/sales/{dha_sale.id}" in page


def test_filters_and_pages_keep_all_branches(monkeypatch, signed_in, placed, dha, cashier):
    from ismartsync.services import sales as service

    monkeypatch.setattr(service, "PAGE_SIZE", 1)
    dha_sale = _placed_directly(factories.CounterFactory(branch=dha, name="DHA 1"), cashier)

    first = signed_in.get("/sales?branch=all").get_data(as_text=True)
    older = element(first, "sales-list") or ""
    assert f"/sales/{dha_sale.id}" in older and "branch=all" in older and "page=2" in older
    assert _numbers(signed_in, "?branch=all&page=2") == ["2"]
    assert _numbers(signed_in, "?branch=all&page=3") == ["1"]
    assert _numbers(signed_in, f"?branch=all&cashier={cashier.id}&page=2") == ["1"]  # DHA's, then Sana's
    assert _numbers(signed_in, "?branch=all&since=2026-01-15&page=2") == ["2"]


def test_all_branches_is_only_the_members_branches(browser, merchant, roles, placed, branch, dha, outsider):
    third = factories.BranchFactory(merchant=merchant, name="Model Town", code="MDT")
    _placed_directly(factories.CounterFactory(branch=third, name="MT 1"), placed["sana"].cashier)
    dha_sale = _placed_directly(factories.CounterFactory(branch=dha, name="DHA 1"), placed["sana"].cashier)
    clerk = factories.UserFactory(merchant=merchant, role=roles["Accountant"], branches=[branch, dha])
    browser.sign_in(clerk)

    # Given two branches, not every one: their first, DHA, as before.
    assert text_of(browser.get("/sales").get_data(as_text=True), "sales-caption").startswith("DHA")
    rows = _listed(browser, "?branch=all")

    assert len(rows) == 3 and not any("Model Town" in r or "MT 1" in r for r in rows)
    assert "DHA" in rows[0] and f"/sales/{dha_sale.id}" in browser.get("/sales?branch=all").get_data(as_text=True)
    assert "Model Town" not in text_of(browser.get("/sales").get_data(as_text=True), "f-branch")


def test_another_merchants_cashier_in_the_filter_is_not_found(signed_in, placed, outsider):
    assert signed_in.get(f"/sales?cashier={outsider.id}").status_code == 404


def test_no_branch_no_sales(browser, merchant, roles):
    loner = factories.UserFactory(merchant=merchant, role=roles["Cashier"])
    browser.sign_in(loner)
    page = browser.get("/sales").get_data(as_text=True)
    assert "You do not work at any branch yet" in page


# The sale page


@pytest.fixture
def full_sale(merchant, manager, counter, till, items):
    """Sana's sale for Ayesha at an FBR counter: a 2,990 item, a 1,500 item at Rs 100 off overridden to 1,400, split
    card and cash."""
    factories.enable_fbr(merchant, counter)
    cart = cart_with(till, counter, items[0], items[1])
    carts.override_price(db.session, till, cart, cart.lines[1], 140_000)
    carts.set_discount(db.session, till, cart, cart.lines[1], Discount(DiscountKind.AMOUNT, 10_000))
    cart.customer = Customer(
        merchant_id=merchant.id, first_name="Ayesha", last_name="Khan", phone="03001234567", cnic="35202-1234567-1"
    )
    sale = checkout_sale(
        db.session,
        till,
        counter,
        cart.uuid,
        [Payment(Tender.CARD, 200_000), Payment(Tender.CASH, 300_000)],
        salesperson_id=manager.id,
    ).sale
    db.session.commit()
    return sale


def test_the_sale_page_shows_lines_totals_tenders_and_fiscal_status(signed_in, full_sale):
    page = signed_in.get(f"/sales/{full_sale.id}").get_data(as_text=True)
    lines = text_of(page, "sale-lines")
    assert "Rs 1,400 overridden from Rs 1,500" in lines
    assert "-Rs 100" in lines and "18 %" in lines
    facts = text_of(page, "sale-facts")
    assert "Sana Iqbal" in facts and "Salesperson Bilal Ahmed" in facts
    assert "Ayesha Khan" in facts and "CNIC 35202-1234567-1" in facts
    assert "FBR number pending" in facts
    pay = text_of(page, "sale-payments")
    expected = [
        "Subtotal Rs 4,390",
        "Discount (incl. GST) -Rs 100",
        f"Tax (GST, included) {format_money(full_sale.tax_minor)}",
        "Grand total Rs 4,290",
        "POS service fee Rs 1",
        "Payable Rs 4,291",
        "Card Rs 2,000",
        "Cash Rs 2,291 tendered Rs 3,000, change Rs 709",
    ]
    positions = [pay.index(e) for e in expected]
    assert positions == sorted(positions), pay
    links = element(page, "sale-actions") or ""
    assert "paper=80" in links and "paper=58" in links


def test_a_draft_has_no_receipt(signed_in, counter, till, items):
    cart = cart_with(till, counter, items[0])
    db.session.commit()
    page = signed_in.get(f"/sales/{cart.id}").get_data(as_text=True)
    assert "A draft has no receipt" in text_of(page, "sale-actions")
    assert signed_in.get(f"/sales/{cart.id}/receipt").status_code == 404


# The receipt


@pytest.mark.parametrize("paper", ["80", "58"])
def test_the_receipt_prints_what_the_law_asks_in_order(signed_in, merchant, branch, full_sale, paper):
    merchant.ntn, merchant.strn = "1234567-8", "3277876543210"
    branch.address, branch.phone = "12 Main Boulevard, Gulberg III, Lahore", "042-35761234"
    db.session.commit()
    response = signed_in.get(f"/sales/{full_sale.id}/receipt?paper={paper}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f'class="receipt-page paper-{paper}"' in html
    assert "css/receipt." in html and 'class="topbar"' not in html  # its own page (fingerprinted css), no shell
    receipt = text_of(html, "receipt")
    for shown in [
        merchant.brand_name,
        merchant.legal_name,
        "NTN 1234567-8 · STRN 3277876543210",
        "Gulberg 12 Main Boulevard, Gulberg III, Lahore Tel 042-35761234",
        "Counter Counter 1",
        "Cashier Sana Iqbal",
        "Salesperson Bilal Ahmed",
        f"Sale no. {full_sale.number}",
        f"USIN {full_sale.usin}",
        "Buyer Ayesha Khan",
        "CNIC 35202-1234567-1",
        "1 × Rs 1,400 Rs 1,400",
        "Discount -Rs 100",
        "FBR number pending",
        "Thank you",
    ]:
        assert shown in receipt, f"{shown!r} not in {receipt!r}"
    totals = text_of(html, "receipt-totals")
    order = ["Subtotal", "Discount (incl. GST)", "Tax (GST, included)", "Grand total", "POS service fee", "Payable"]
    positions = [totals.index(label) for label in order]
    assert positions == sorted(positions), totals
    assert "POS service fee Rs 1" in totals and "Payable Rs 4,291" in totals
    tenders = text_of(html, "receipt-tenders")
    assert tenders == "Card Rs 2,000 Cash Rs 2,291 Cash tendered Rs 3,000 Received Rs 5,000 Change Rs 709"
    assert "18% Rs" in text_of(html, "receipt-tax")


def test_the_receipt_has_print_and_back_and_any_other_paper_is_80(signed_in, full_sale):
    html = signed_in.get(f"/sales/{full_sale.id}/receipt?paper=A4").get_data(as_text=True)
    assert 'class="receipt-page paper-80"' in html
    assert "data-print" in html and f'href="/sales/{full_sale.id}"' in html


def test_back_returns_to_the_screen_the_receipt_was_opened_from(signed_in, full_sale):
    receipt = f"/sales/{full_sale.id}/receipt"
    after_checkout = signed_in.get(receipt, headers={"Referer": f"http://localhost/counter/sales/{full_sale.id}"})
    assert f'href="/counter/sales/{full_sale.id}"' in after_checkout.get_data(as_text=True)
    elsewhere = signed_in.get(receipt, headers={"Referer": "https://evil.example.com/phish"})
    assert f'href="/sales/{full_sale.id}"' in elsewhere.get_data(as_text=True)
    assert "evil.example.com" not in elsewhere.get_data(as_text=True)


def test_a_page_far_beyond_the_history_is_empty_not_an_error(signed_in, placed):
    assert _numbers(signed_in, "?page=99999999999999999999999") == []


def test_without_the_pos_fee_the_receipt_has_no_fee_line(signed_in, merchant, counter, till, items):
    merchant.pos_fee_minor = 0
    sale = sell(till, counter, items[0])
    db.session.commit()
    totals = text_of(signed_in.get(f"/sales/{sale.id}/receipt").get_data(as_text=True), "receipt-totals")
    assert "POS service fee" not in totals and "Grand total Rs 2,990 Payable Rs 2,990" in totals


def test_prices_without_tax_print_the_tax_on_top(signed_in, merchant, counter, till, items):
    merchant.prices_include_tax = False
    sale = sell(till, counter, items[2])  # 999 + 18 % = 1,178.82
    db.session.commit()
    totals = text_of(signed_in.get(f"/sales/{sale.id}/receipt").get_data(as_text=True), "receipt-totals")
    assert totals.startswith("Subtotal Rs 999 Discount Rs 0 Tax (GST) Rs 179.82 Grand total Rs 1,178.82")
    assert "incl. GST" not in totals


def test_a_cashier_without_the_orders_page_still_prints_from_the_counter(browser, owner, roles, cashier, full_sale):
    set_grant(db.session, Actor(owner), roles["Cashier"], Permission.PAGE_ORDERS, Effect.BLOCKED)
    db.session.commit()
    browser.sign_in(cashier)
    html = browser.get(f"/sales/{full_sale.id}/receipt").get_data(as_text=True)
    assert "FBR number pending" in html
    assert 'href="/counter"' in html  # Back goes to the counter, not to a page the role cannot open


def test_a_role_with_neither_page_cannot_print(browser, merchant, roles, owner, full_sale, branch):
    set_grant(db.session, Actor(owner), roles["Inventory"], Permission.PAGE_ORDERS, Effect.BLOCKED)
    clerk = factories.UserFactory(merchant=merchant, role=roles["Inventory"], branches=[branch])
    db.session.commit()
    browser.sign_in(clerk)
    assert browser.get(f"/sales/{full_sale.id}/receipt").status_code == 403


def test_a_date_filter_far_in_the_future_is_ignored_not_a_crash(signed_in, branch):
    assert signed_in.get(f"/sales?branch={branch.id}&since=9999-12-31&until=9999-12-31").status_code == 200


def test_off_a_counter_the_sale_page_says_where_to_make_a_return(signed_in, full_sale):
    page = signed_in.get(f"/sales/{full_sale.id}").get_data(as_text=True)
    assert 'id="sale-return"' not in page  # no button that cannot work off a counter
    where = text_of(page, "sale-return-where")
    assert "go to a counter tablet: press Return (F10)" in where
    assert receipt_code(full_sale.counter_id, full_sale.number) in where and full_sale.usin in where


def test_a_role_that_does_not_sell_is_offered_no_return(browser, merchant, roles, full_sale):
    browser.sign_in(factories.UserFactory(merchant=merchant, role=roles["Accountant"], all_branches=True))
    page = browser.get(f"/sales/{full_sale.id}").get_data(as_text=True)
    assert "sale-return" not in page
