"""A return without a receipt at the counter: items scanned or searched onto the panel, each at the lowest price it
sold for in 90 days; the customer chosen or added by mobile (store credit goes to them); a supervisor approves,
saying the amount, "no receipt", whose store credit, the items and reasons; one return however often it is sent;
bad input beside its field; another merchant's item or customer is a 404. And on the receipted panel: store credit
for a sale without a customer, to the customer the cashier chooses there."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import func, select

from ismartsync.extensions import db
from ismartsync.models import AuditEntry, Customer, SaleReturn, Tender
from ismartsync.services.audit import Actor
from ismartsync.services.returns.reasons import seed_return_reasons
from ismartsync.services.returns.store_credit import ledger_balance
from ismartsync.services.stock.ledger import level_of
from tests import factories
from tests.markup import element, text, text_of
from tests.selling import sell
from tests.views.counter.screen import approval_what, the_cart

HX = {"HX-Request": "true"}
PREVIEW = "/counter/returns/no-receipt/preview"
RECORD = "/counter/returns/no-receipt"


@pytest.fixture
def sold_before(tablet, items, counter, cashier, merchant):
    """The merchant's return reasons, and the khussa (Rs 1,500) sold once before; Hina is a customer on file."""
    seed_return_reasons(db.session, merchant)
    sell(Actor(cashier, counter_id=counter.id), counter, items[1])
    hina = Customer(merchant_id=merchant.id, first_name="Hina", last_name="Malik", phone="03001234567")
    db.session.add(hina)
    db.session.commit()
    return hina


def _form(khussa, customer=None, quantity="1", **extra) -> dict:
    form = {
        "return_uuid": extra.pop("return_uuid", str(uuid.uuid4())),
        "variant_id": str(khussa.id),
        f"quantity-{khussa.id}": quantity,
        f"reason-{khussa.id}": "changed_mind",
        f"restock-seen-{khussa.id}": "1",
        f"restock-{khussa.id}": "on",
        **extra,
    }
    if customer is not None:
        form["customer_id"] = str(customer.id)
    return form


def _returns() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count(SaleReturn.id)).where(SaleReturn.no_receipt))


def test_return_mode_offers_no_receipt_beside_the_find_box(tablet):
    page = tablet.get("/counter/returns").get_data(as_text=True)
    assert "/counter/returns/no-receipt" in (element(page, "no-receipt-button") or "")
    panel = tablet.get(RECORD).get_data(as_text=True)
    assert element(panel, "no-receipt") is not None and "nr-code" in panel


def test_scanning_an_item_puts_it_on_the_panel_and_a_second_scan_adds_one(tablet, sold_before, items):
    khussa = items[1]
    first = tablet.post(PREVIEW, {"return_uuid": "nr-panel-0001", "code": khussa.barcode, "add_code": "1"}, htmx=True)
    html = first.get_data(as_text=True)
    assert first.status_code == 200 and f'name="variant_id" value="{khussa.id}"' in html
    again = tablet.post(PREVIEW, {**_form(khussa), "code": khussa.barcode, "add_code": "1"}, htmx=True)
    assert 'value="2"' in (element(again.get_data(as_text=True), f"quantity-{khussa.id}") or "")


def test_a_search_with_several_matches_offers_them_to_tap(tablet, sold_before, items, merchant):
    factories.VariantFactory(product__merchant=merchant, product__title="Khussa gold", price_minor=180000)
    db.session.commit()
    found = tablet.post(PREVIEW, {"return_uuid": "nr-panel-0001", "code": "khussa", "add_code": "1"}, htmx=True)
    matches = element(found.get_data(as_text=True), "nr-matches") or ""
    assert found.status_code == 200 and matches.count('name="add_variant"') == 2
    tapped = tablet.post(PREVIEW, {"return_uuid": "nr-panel-0001", "add_variant": items[1].id}, htmx=True)
    assert f'name="variant_id" value="{items[1].id}"' in tapped.get_data(as_text=True)


def test_the_preview_shows_the_lowest_price_the_total_and_the_supervisor_chip(tablet, sold_before, items, merchant):
    items[1].price_minor = 170_000  # dearer now: the refund is what it sold for (Rs 1,500)
    db.session.commit()
    html = tablet.post(PREVIEW, _form(items[1], quantity="2"), htmx=True).get_data(as_text=True)
    assert text_of(html, "return-total") == "Rs 3,000"
    assert "lowest in 90 days Rs 1,500 each" in text_of(html, "return-refunds")
    assert "Needs a supervisor" in text_of(html, "nr-approval")
    assert "Choose the customer" in text_of(html, "return-to") and element(html, "return-submit") is None
    chosen = tablet.post(PREVIEW, _form(items[1], sold_before, quantity="2"), htmx=True).get_data(as_text=True)
    assert "Give store credit Rs 3,000" in text_of(chosen, "return-submit")
    assert "Hina Malik" in text_of(chosen, "return-customer-picked")


def test_the_customer_is_searched_by_mobile_and_chosen_on_the_panel(tablet, sold_before, items):
    found = tablet.post(PREVIEW, {**_form(items[1]), "customer_q": "0300123"}, htmx=True).get_data(as_text=True)
    assert f'name="customer_id" value="{sold_before.id}"' in (element(found, "return-customer-matches") or "")


def test_a_cashiers_no_receipt_return_asks_a_supervisor_saying_what_is_approved(tablet, sold_before, items):
    asked = tablet.post(RECORD, _form(items[1], sold_before), htmx=True)
    assert asked.status_code == 403 and asked.headers["X-Approval-Required"] == "action.refund"
    said = "Refund Rs 1,500 with no receipt, as store credit to Hina Malik: Khussa × 1 (changed mind)"
    assert approval_what(asked) == said
    assert _returns() == 0


def test_a_wrong_pin_is_refused_and_nothing_is_recorded(tablet, sold_before, items, manager):
    refused = tablet.post(RECORD, _form(items[1], sold_before, approver_id=manager.id, approver_pin="0000"), htmx=True)
    assert refused.status_code in (403, 422) and "with no receipt" in approval_what(refused)
    assert _returns() == 0


def test_the_supervisors_pin_gives_store_credit_once_however_often_it_is_sent(
    tablet, sold_before, items, manager, cashier, branch
):
    form = _form(items[1], sold_before, approver_id=manager.id, approver_pin=factories.PIN)
    first = tablet.post(RECORD, form, htmx=True)
    again = tablet.post(RECORD, form, htmx=True)

    db.session.expire_all()
    [recorded] = db.session.scalars(select(SaleReturn).where(SaleReturn.no_receipt)).all()
    assert first.headers["HX-Redirect"] == again.headers["HX-Redirect"] == f"/counter/refunds/{recorded.id}"
    assert [(r.tender, r.amount_minor) for r in recorded.refunds] == [(Tender.STORE_CREDIT, 150_000)]
    assert (recorded.customer_id, recorded.approved_by_id, recorded.sale_id) == (sold_before.id, manager.id, None)
    assert (
        db.session.get(Customer, sold_before.id).store_credit_minor
        == 150_000
        == ledger_balance(db.session, sold_before.id)
    )
    assert level_of(db.session, items[1], branch) == 1  # sold one of one, and it came back on the shelf
    [entry] = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "return.record")).all()
    assert (entry.actor_id, entry.approver_id) == (cashier.id, manager.id) and "no receipt" in entry.summary
    done = tablet.get(first.headers["HX-Redirect"]).get_data(as_text=True)
    assert "as store credit to Hina Malik" in text(done)


def test_without_a_customer_it_is_refused_beside_the_customer(tablet, sold_before, items, manager):
    refused = tablet.post(RECORD, _form(items[1], approver_id=manager.id, approver_pin=factories.PIN), htmx=True)
    assert refused.status_code == 422
    assert "choose the customer" in text_of(refused.get_data(as_text=True), "return-customer-error").lower()
    assert _returns() == 0


@pytest.mark.parametrize(
    ("field", "value", "said"),
    [
        ("quantity", "x", "Enter a whole number."),
        ("quantity", "٣", "Type a whole number with the digits 0–9."),
        ("quantity", "0", "from 1 to 1,000"),
        ("reason", "no_such_reason", "Choose why it came back."),
        ("return_uuid", "", "Open the return again"),
    ],
)
def test_bad_input_is_refused_beside_its_field(tablet, sold_before, items, manager, field, value, said):
    khussa = items[1]
    key = {"quantity": f"quantity-{khussa.id}", "reason": f"reason-{khussa.id}"}.get(field, field)
    form = {**_form(khussa, sold_before, approver_id=manager.id, approver_pin=factories.PIN), key: value}
    refused = tablet.post(RECORD, form, htmx=True)
    assert refused.status_code == 422
    assert said.lower() in text_of(refused.get_data(as_text=True), "no-receipt").lower()
    assert _returns() == 0


def test_a_scan_that_finds_nothing_says_so_beside_the_scan_box(tablet, sold_before):
    missed = tablet.post(PREVIEW, {"return_uuid": "nr-panel-0001", "code": "ZZZ-NOPE", "add_code": "1"}, htmx=True)
    assert missed.status_code == 422 and "Nothing matches" in text_of(missed.get_data(as_text=True), "nr-code-error")


def test_another_merchants_item_or_customer_is_a_404(tablet, sold_before, items, other_merchant, manager):
    theirs = factories.VariantFactory(product__merchant=other_merchant, price_minor=100)
    their_customer = Customer(merchant_id=other_merchant.id, first_name="Their", phone="03009999999")
    db.session.add(their_customer)
    db.session.commit()
    approved = {"approver_id": manager.id, "approver_pin": factories.PIN}
    assert (
        tablet.post(PREVIEW, {"return_uuid": "nr-panel-0001", "add_variant": theirs.id}, htmx=True).status_code == 404
    )
    assert tablet.post(PREVIEW, _form(theirs), htmx=True).status_code == 404
    assert tablet.post(RECORD, _form(theirs, sold_before, **approved), htmx=True).status_code == 404
    assert tablet.post(RECORD, _form(items[1], their_customer, **approved), htmx=True).status_code == 404
    assert tablet.post(PREVIEW, _form(items[1], their_customer), htmx=True).status_code == 404
    assert _returns() == 0 and db.session.get(Customer, their_customer.id).store_credit_minor == 0


def test_a_customer_added_by_mobile_is_chosen_on_the_panel(tablet, sold_before, items):
    form = {**_form(items[1]), "new_name": "Ayesha Khan", "new_phone": "0321 7654321"}
    added = tablet.post("/counter/returns/customers/new", form, htmx=True)
    assert added.status_code == 200
    assert "Ayesha Khan" in text_of(added.get_data(as_text=True), "return-customer-picked")
    bad = tablet.post("/counter/returns/customers/new", {**form, "new_phone": "12"}, htmx=True)
    assert bad.status_code == 422 and text_of(bad.get_data(as_text=True), "return-new-phone-error")


def test_a_role_without_the_counter_gets_403(browser, merchant, roles):
    accountant = factories.UserFactory(merchant=merchant, role=roles["Accountant"])
    db.session.commit()
    browser.sign_in(accountant)
    for path in (RECORD, PREVIEW, "/counter/returns/customers/new", "/counter/returns/no-receipt/exchange"):
        assert browser.post(path, {"return_uuid": "nr-panel-0001"}).status_code == 403, path
    assert browser.get(RECORD).status_code == 403


def test_an_exchange_without_a_receipt_charges_the_difference(tablet, sold_before, items, manager, counter):
    held = tablet.post("/counter/returns/no-receipt/exchange", _form(items[1], sold_before), htmx=True)
    assert held.status_code == 204 and held.headers["HX-Redirect"] == "/counter"
    note = text_of(tablet.get("/counter").get_data(as_text=True), "exchange-note")
    assert "Rs 1,500 back without a receipt" in note
    scanned = tablet.post("/counter/cart/scan", {"code": items[0].barcode}, htmx=True)  # the Rs 2,990 lawn
    assert text_of(scanned.get_data(as_text=True), "exchange-due") == "Rs 1,490"
    paid = {"sale_uuid": the_cart(counter).uuid, "cash": "1490"}
    asked = tablet.post("/counter/checkout", paid, htmx=True)
    assert asked.status_code == 403 and approval_what(asked).startswith("Refund Rs 1,500 with no receipt:")
    done = tablet.post(
        "/counter/checkout", {**paid, "approver_id": manager.id, "approver_pin": factories.PIN}, htmx=True
    )

    assert done.status_code == 204 and done.headers["HX-Redirect"].startswith("/counter/refunds/")
    db.session.expire_all()
    [recorded] = db.session.scalars(select(SaleReturn).where(SaleReturn.no_receipt)).all()
    new_sale = recorded.exchange_sale
    assert recorded.kind == "exchange" and new_sale is not None and recorded.customer_id == sold_before.id
    assert sorted((p.tender, p.amount_minor) for p in new_sale.payments) == [("cash", 149_000), ("exchange", 150_000)]


# The receipted panel: a sale without a customer can still give store credit, to whom the cashier chooses there.


def test_store_credit_for_a_sale_without_a_customer_goes_to_the_customer_chosen(
    tablet, sold_before, items, cashier, counter, manager
):
    sale = sell(Actor(cashier, counter_id=counter.id), counter, items[0])
    db.session.commit()
    line = sale.lines[0]
    form = {
        "sale_id": sale.id,
        "return_uuid": str(uuid.uuid4()),
        f"quantity-{line.id}": "1",
        f"reason-{line.id}": "wrong_size",
        "refund": "store_credit",
    }
    panel = tablet.post("/counter/returns/preview", {**form, "customer_q": "Hina"}, htmx=True).get_data(as_text=True)
    radio = element(panel, "return-customer-pick")
    assert radio is not None and f'value="{sold_before.id}"' in radio
    chosen = tablet.post("/counter/returns/preview", {**form, "customer_id": sold_before.id}, htmx=True)
    assert "Store credit to Hina Malik" in text_of(chosen.get_data(as_text=True), "return-to")
    approved = {"approver_id": manager.id, "approver_pin": factories.PIN}
    done = tablet.post("/counter/returns", {**form, "customer_id": sold_before.id, **approved}, htmx=True)
    assert done.status_code == 204
    db.session.expire_all()
    assert db.session.get(Customer, sold_before.id).store_credit_minor == sale.total_minor
