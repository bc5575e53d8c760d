"""The cart's lines on the counter screen: scan, search and quick keys, quantities, stock policies, price, void."""

from __future__ import annotations

import re

from ismartsync.extensions import db
from ismartsync.models import QuickKey
from tests import factories
from tests.markup import element, text_of
from tests.views.counter.screen import approval_what, cart_text, the_cart


def test_scanning_adds_lines_and_the_same_code_again_adds_one(tablet, items):
    tablet.post("/counter/cart/scan", {"code": items[0].barcode}, htmx=True)
    response = tablet.post("/counter/cart/scan", {"code": items[0].barcode + " "}, htmx=True)

    assert response.status_code == 200
    text = cart_text(response)
    assert "Lawn 3pc — Red" in text and "Rs 5,980" in text  # 2 × 2,990
    assert "Payable Rs 5,980" in text  # no FBR POS fee: this counter does not report to FBR
    assert "3 here" not in text and "5 here" in text


def test_every_add_asks_for_the_chirp_and_marks_the_line_it_changed(tablet, items):
    tablet.post("/counter/cart/scan", {"code": items[0].barcode}, htmx=True)
    scanned = tablet.post("/counter/cart/scan", {"code": "KH-40"}, htmx=True)
    assert scanned.headers["HX-Trigger"] == "item-added"
    assert re.findall(r'<li class="is-added"><a [^>]*>([^<]+)', scanned.get_data(as_text=True)) == ["Khussa"]
    tapped = tablet.post("/counter/cart/lines", {"variant_id": str(items[0].id)}, htmx=True)
    assert tapped.headers["HX-Trigger"] == "item-added"
    assert re.findall(r'<li class="is-added"><a [^>]*>([^<]+)', tapped.get_data(as_text=True)) == ["Lawn 3pc — Red"]


def test_a_miss_says_so_and_asks_for_the_beep(tablet, items):
    response = tablet.post("/counter/cart/scan", {"code": "0000000"}, htmx=True)
    assert response.status_code == 422
    assert response.headers["HX-Trigger"] == "scan-miss"
    assert "Nothing matches “0000000”" in cart_text(response)


def test_an_exact_sku_or_a_single_search_match_is_added_by_enter(tablet, items, counter):
    tablet.post("/counter/cart/scan", {"code": "KH-40"}, htmx=True)
    tablet.post("/counter/cart/scan", {"code": "lawn red"}, htmx=True)
    assert sorted(ln.name for ln in the_cart(counter).lines) == ["Khussa", "Lawn 3pc — Red"]


def test_typing_searches_and_an_empty_query_shows_the_quick_keys(tablet, items, merchant):
    db.session.add(QuickKey(merchant_id=merchant.id, variant_id=items[1].id, position=1))
    db.session.commit()
    found = tablet.get("/counter/search-does-not-exist")
    assert found.status_code == 404
    response = tablet.get("/counter/cart/search?code=lawn", headers={"HX-Request": "true"})
    assert "Lawn 3pc — Red" in text_of(response.get_data(as_text=True), "results")
    keys = tablet.get("/counter/cart/search?code=", headers={"HX-Request": "true"})
    assert "Quick keys" in keys.get_data(as_text=True) and "Khussa" in keys.get_data(as_text=True)


def test_quantity_changes_and_bad_quantities_are_refused(tablet, items, counter):
    tablet.post("/counter/cart/scan", {"code": items[0].barcode}, htmx=True)
    line = the_cart(counter).lines[0]
    assert tablet.post(f"/counter/cart/lines/{line.id}", {"quantity": "4"}, htmx=True).status_code == 200
    assert the_cart(counter).lines[0].quantity == 4
    response = tablet.post(f"/counter/cart/lines/{line.id}", {"quantity": "0"}, htmx=True)
    assert response.status_code == 422 and "Enter a quantity from 1" in cart_text(response)
    assert tablet.post("/counter/cart/lines/999999", {"quantity": "2"}, htmx=True).status_code == 404


def test_the_block_policy_refuses_a_second_khussa_with_the_stock_shown(tablet, items, merchant):
    merchant.negative_stock_policy = "block"
    db.session.commit()
    tablet.post("/counter/cart/scan", {"code": items[1].barcode}, htmx=True)
    response = tablet.post("/counter/cart/scan", {"code": items[1].barcode}, htmx=True)
    assert response.status_code == 422
    assert "Only 1 of Khussa in stock here" in cart_text(response)


def test_the_warn_policy_marks_a_line_short(tablet, items):
    tablet.post("/counter/cart/scan", {"code": items[1].barcode}, htmx=True)
    response = tablet.post("/counter/cart/scan", {"code": items[1].barcode}, htmx=True)
    assert response.status_code == 200 and "not enough" in cart_text(response)


def test_a_price_override_needs_edit_price(tablet, items, counter, manager):
    tablet.post("/counter/cart/scan", {"code": items[0].barcode}, htmx=True)
    line = the_cart(counter).lines[0]
    asked = tablet.post(f"/counter/cart/lines/{line.id}/price", {"price": "2500"}, htmx=True)
    assert asked.headers["X-Approval-Required"] == "action.price_edit"
    assert approval_what(asked) == "Price of Lawn 3pc — Red: Rs 2,990 → Rs 2,500"
    done = tablet.post(
        f"/counter/cart/lines/{line.id}/price",
        {"price": "2500", "approver_id": str(manager.id), "approver_pin": factories.PIN},
        htmx=True,
    )
    assert done.status_code == 200 and "(was Rs 2,990)" in cart_text(done)


def test_removing_a_line_is_a_void_that_needs_approval_for_a_cashier(tablet, items, counter):
    tablet.post("/counter/cart/scan", {"code": items[0].barcode}, htmx=True)
    tablet.post("/counter/cart/scan", {"code": items[0].barcode}, htmx=True)
    line = the_cart(counter).lines[0]
    response = tablet.post(f"/counter/cart/lines/{line.id}/remove", {}, htmx=True)
    assert response.headers["X-Approval-Required"] == "action.void"
    assert approval_what(response) == "Void line: Lawn 3pc — Red × 2 (Rs 5,980)"
    cleared = tablet.post("/counter/cart/clear", {}, htmx=True)
    assert approval_what(cleared) == "Void the whole cart: 2 items, Rs 5,980"


def test_selling_without_an_open_shift_sends_the_tablet_back_to_the_counter(make_browser, manager, counter, items):
    tablet = make_browser()
    tablet.sign_in(manager)
    tablet.post(f"/device/pair/{counter.id}", {"label": "Front tablet"})
    response = tablet.post("/counter/cart/scan", {"code": items[0].barcode}, htmx=True)
    assert response.headers["HX-Redirect"] == "/counter"


def test_another_tenants_variant_or_parked_cart_is_404(tablet, outsider, other_merchant):
    theirs = factories.VariantFactory(product__merchant=other_merchant)
    db.session.commit()
    assert tablet.post("/counter/cart/lines", {"variant_id": str(theirs.id)}, htmx=True).status_code == 404


def test_the_cart_marks_items_without_a_pct_code_of_their_own_at_an_fbr_counter(
    tablet,
    items,
    merchant,
    counter,
):
    lawn, khussa = items
    khussa.pct_code = "64039900"
    db.session.commit()
    tablet.post("/counter/cart/scan", {"code": lawn.barcode}, htmx=True)
    cart = tablet.post("/counter/cart/scan", {"code": khussa.barcode}, htmx=True).get_data(as_text=True)
    assert "PCT" not in text_of(cart, "cart")  # the counter does not report: nothing to say

    factories.enable_fbr(merchant, counter)
    db.session.commit()
    lines = element(tablet.get("/counter").get_data(as_text=True), "cart")
    marks = re.findall(r"<li[^>]*>.*?</li>", lines, re.S)
    assert ['FBR gets the default 62044200.">no PCT code</em>' in mark for mark in marks] == [True, False]

    merchant.default_pct_code = ""
    db.session.commit()
    cart = tablet.post("/counter/cart/scan", {"code": khussa.barcode}, htmx=True).get_data(as_text=True)
    assert text_of(cart, "cart").count("no PCT code: not reportable") == 1
