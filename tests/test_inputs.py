"""What a request may carry (ismartsync/inputs.py): ids within the database's range, numbers in the digits 0–9,
text without control characters, page numbers clamped (every case a bad value that once answered 500), dates in a
plausible year, and where a "next" address may send someone after signing in or acting."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from urllib.parse import urljoin, urlsplit

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from ismartsync.extensions import db
from ismartsync.inputs import (
    MAX_ID,
    MAX_PAGE,
    NumberError,
    clean_text,
    page_number,
    parse_day,
    parse_decimal,
    parse_id,
    parse_whole,
    safe_next,
)
from ismartsync.models import CashLog, Merchant, Sale
from ismartsync.services.cash.registers import current_shift
from ismartsync.services.stock.ledger import record_opening_stock
from tests import factories
from tests.markup import text_of
from tests.selling import selling_tablet

BEYOND = str(MAX_ID + 1)  # 2147483648: one past PostgreSQL's integer


def test_ids_are_plain_digits_within_the_database_range():
    assert parse_id("42") == 42 and parse_id(" 7 ") == 7 and parse_id(MAX_ID) == MAX_ID
    for bad in [BEYOND, "99999999999999999999999", "9" * 5000, "0", "-1", "٣", "３", "4.0", "", None, "a\x00b", True]:
        assert parse_id(bad) is None, bad


def test_numbers_in_other_scripts_are_refused_with_a_message_that_says_so():
    assert parse_whole("12") == 12 and parse_decimal("1.50") == Decimal("1.50")
    for raw in ["٣", "۳", "３", "١٢٣٤٥", "۱۲.۵"]:
        with pytest.raises(NumberError, match="digits 0–9") as whole:
            parse_whole(raw)
        assert whole.value.other_digits
        with pytest.raises(NumberError, match="digits 0–9"):
            parse_decimal(raw)
    for raw in ["NaN", "Infinity", "1e5", "", "1,000", "12a"]:
        with pytest.raises(NumberError) as error:
            parse_decimal(raw)
        assert not error.value.other_digits
    with pytest.raises(NumberError):
        parse_whole("9" * 5000)


def test_page_numbers_are_clamped():
    assert [page_number(r) for r in ["3", "0", "-4", "٣", "x", "99999999999999999999", "9" * 5000]] == [
        3,
        1,
        1,
        1,
        1,
        MAX_PAGE,
        MAX_PAGE,
    ]


def test_control_characters_go_but_tabs_and_line_breaks_stay():
    assert clean_text("a\x00b\x01c\x1f\x7fd") == "abcd"
    assert clean_text("Line 1\r\nLine 2\tend") == "Line 1\r\nLine 2\tend"
    assert clean_text("مکان نمبر ۱۲") == "مکان نمبر ۱۲"


def test_an_id_in_a_path_beyond_the_database_range_is_not_found(browser, owner, branch):
    browser.sign_in(owner)
    for path in [f"/sales/{BEYOND}", "/sales/99999999999999999999999", "/sales/0", "/sales/٣", f"/staff/{BEYOND}"]:
        assert browser.get(path).status_code == 404, path
    assert browser.get(f"/settings/branches/{branch.id}").status_code == 200


def test_a_path_segment_with_a_control_character_matches_no_route(browser, owner):
    browser.sign_in(owner)
    assert browser.get("/r/a%00b").status_code == 404
    assert browser.get("/registers/days/1/2026-01-01%01").status_code == 404


def test_ids_in_query_strings_beyond_the_range_are_not_found(browser, owner, branch):
    browser.sign_in(owner)
    assert browser.get("/reports/shifts?branch=99999999999999999999999").status_code == 404
    assert browser.get(f"/audit?actor={BEYOND}").status_code == 404
    assert browser.get(f"/fiscal?branch={BEYOND}").status_code == 404
    assert browser.get(f"/sales?branch={branch.id}&register={BEYOND}&shift=٣").status_code == 200


def test_page_numbers_far_past_the_end_show_an_empty_page(browser, owner):
    browser.sign_in(owner)
    huge = "99999999999999999999"
    for path in [f"/audit?page={huge}", "/products?page=-5", "/customers?page=٣", f"/sales?page={huge}"]:
        assert browser.get(path).status_code == 200, path


def test_nul_in_a_search_or_a_saved_name_is_removed_not_a_500(browser, owner, merchant):
    browser.sign_in(owner)
    assert browser.get("/products?q=a%00b").status_code == 200
    response = browser.post(
        "/settings/business",
        {"legal_name": "Zari\x00 Textiles", "brand_name": "Zari\x07", "address": "12 Mall Road\r\nLahore\x00",
         "time_zone": "Asia/Karachi"},
    )
    assert response.status_code in (200, 303), response.get_data(as_text=True)
    db.session.expire_all()
    saved = db.session.get(Merchant, merchant.id)
    assert (saved.legal_name, saved.brand_name, saved.address) == ("Zari Textiles", "Zari", "12 Mall Road\r\nLahore")


def test_a_role_id_beyond_the_range_is_refused_beside_the_field(browser, owner, cashier, branch):
    browser.sign_in(owner)
    response = browser.post(
        f"/staff/{cashier.id}", {"full_name": "Sana", "role_id": BEYOND, "branch_ids": str(branch.id)}
    )
    assert response.status_code == 422
    assert "Invalid Choice" in text_of(response.get_data(as_text=True), "field-role_id")  # only a tampered form


# At the counter


@pytest.fixture
def tablet(make_browser, manager, cashier, counter, merchant, branch):
    """The counter screen ready to sell, with one item in stock."""
    lawn = factories.VariantFactory(product__merchant=merchant, product__title="Lawn 3pc", barcode="8961000000011")
    record_opening_stock(db.session, branch, {lawn.id: 5}, "opening")
    return selling_tablet(make_browser(), manager, cashier, counter)


def test_a_scanned_code_with_nul_is_a_miss_and_a_huge_customer_id_not_found(tablet):
    response = tablet.post("/counter/cart/scan", {"code": "8961000000011\x00"}, htmx=True)
    assert response.status_code == 200  # the NUL is dropped: the code is the item's
    assert tablet.post("/counter/cart/scan", {"code": "a\x00b"}, htmx=True).status_code == 422
    assert tablet.post("/counter/cart/customer", {"customer_id": BEYOND}, htmx=True).status_code == 404


def test_a_quantity_in_arabic_indic_digits_is_refused_with_a_message(tablet, counter):
    tablet.post("/counter/cart/scan", {"code": "8961000000011"}, htmx=True)
    line = db.session.scalars(select(Sale).where(Sale.counter_id == counter.id)).one().lines[0]
    response = tablet.post(f"/counter/cart/lines/{line.id}", {"quantity": "٣"}, htmx=True)
    assert response.status_code == 422
    assert "digits 0–9" in text_of(response.get_data(as_text=True), "cart")
    db.session.expire_all()
    assert line.quantity == 1
    assert tablet.post(f"/counter/cart/lines/{line.id}", {"quantity": BEYOND}, htmx=True).status_code == 422


def test_an_amount_in_arabic_indic_digits_is_refused_beside_the_field(tablet, manager):
    response = tablet.post(
        "/counter/cash",
        {"direction": "in", "reason": "float_top_up", "amount": "٣٠٠", "approver_id": str(manager.id),
         "approver_pin": factories.PIN},
        htmx=True,
    )
    assert response.status_code == 422
    assert "Type a number with the digits 0–9." in text_of(response.get_data(as_text=True), "field-amount")
    assert db.session.scalars(select(CashLog)).first() is None


def test_the_running_total_of_a_count_without_htmx_shows_the_close_form(tablet, cashier):
    shift = current_shift(db.session, cashier)
    response = tablet.post(f"/shifts/{shift.id}/close/total", {"method": "total", "total": "100"})
    assert response.status_code == 200
    assert 'name="total"' in response.get_data(as_text=True)


def test_a_form_sent_as_json_is_cleaned_alike(browser, owner):
    """Flask-WTF reads a JSON body as the form: its text must not bring a NUL to the database either."""
    browser.sign_in(owner)
    token = browser.csrf("/roles")
    sent = {"name": "Stock\x00 room", "description": ""}
    response = browser.client.post("/roles", json=sent, headers={"X-CSRFToken": token})
    assert response.status_code in (200, 303)
    assert "Stock room" in browser.get("/roles").get_data(as_text=True)


@pytest.mark.parametrize(
    ("raw", "day"),
    [
        ("2026-01-15", date(2026, 1, 15)),
        (" 2026-01-15 ", date(2026, 1, 15)),
        ("2000-01-01", date(2000, 1, 1)),
        ("2100-12-31", date(2100, 12, 31)),
        ("1999-12-31", None),  # outside the years people mean: a slip
        ("2101-01-01", None),
        ("9999-12-31", None),
        ("2026-02-30", None),
        ("15/01/2026", None),
        ("٢٠٢٦-٠١-١٥", None),
        ("", None),
    ],
)
def test_a_day_is_a_real_date_in_a_plausible_year(raw, day):
    assert parse_day(raw) == day


# Where a "next" address may send someone

SITE = "https://shop.ismartsync.example/sales/7"
DEFAULT = "/"

# Pieces an attacker strings together to leave the site: slashes and backslashes, encoded or not, the characters
# browsers strip from a URL, schemes, hosts and user-info.
HOSTILE_PIECES = [
    "/", "//", "\\", "/\\", "\\/", "%2F", "%2f", "%5C", "%5c", "%09", "%0A", "%0D", "%00", "\t", "\n", "\r", "\x00",
    " ", "\x0b", "\x0c", "\x7f", "\x85", "@", ":", "https:", "http:", "javascript:", "data:", "evil.example",
    "//evil.example", "@evil.example", ".", "..", "?", "#", "%", "%25", "\u3000", "／", "＼",
]


def browser_lands_on(location: str) -> str:
    """The host a browser goes to when it follows `location` from our page, as the WHATWG URL parser reads it:
    leading and trailing C0 controls and spaces dropped, tabs and newlines removed anywhere, "\\" taken as "/"."""
    cleaned = location.strip("".join(map(chr, range(0x21)))).replace("\t", "").replace("\n", "").replace("\r", "")
    return urlsplit(urljoin(SITE, cleaned.replace("\\", "/"))).netloc


def _assert_stays_home(target: str) -> None:
    result = safe_next(target, DEFAULT)
    assert result in (target, DEFAULT)
    assert browser_lands_on(result) == "shop.ismartsync.example", (target, result)
    if result == target:
        assert target.startswith("/") and not target.startswith("//") and "\\" not in target


@given(st.text())
@example("/%09/evil.example")
@example("/\t/evil.example")
@example("/\\evil.example")
@example("/%5Cevil.example")
@example("/%2F%2Fevil.example")
@example("https://evil.example/")
@example("javascript:alert(1)")
@example("/\x00/evil.example")
def test_safe_next_never_leaves_the_site_for_any_text(target):
    _assert_stays_home(target)


# Most hostile targets start like one of our paths, so half of them do.
HOSTILE = st.tuples(
    st.sampled_from(["/", "/", "/", *HOSTILE_PIECES]), st.lists(st.sampled_from(HOSTILE_PIECES), max_size=7)
).map(lambda t: t[0] + "".join(t[1]))


@settings(max_examples=500)
@given(HOSTILE)
def test_safe_next_never_leaves_the_site_for_hostile_pieces(target):
    _assert_stays_home(target)


@pytest.mark.parametrize("path", ["/", "/sales?branch=3&page=2", "/shifts/9/close#count", "/products?q=a%20b"])
def test_safe_next_keeps_our_own_paths(path):
    assert safe_next(path, DEFAULT) == path
