"""Return mode on the counter: the scan box finds sales (receipt code, USIN, FBR number, a customer's purchases),
the sale found shows as a panel with its branch and date; a miss says why beside the field (422); another merchant's
sale is never shown; roles that may make no return are refused. Recording the return: the cashier's refund waits for
a supervisor whose dialog says what is refunded, bad input is answered beside its field, a double submit is one
return."""

from __future__ import annotations

import uuid
from datetime import timedelta
from urllib.parse import quote

import pytest
from sqlalchemy import func, select

from ismartsync.extensions import db
from ismartsync.models import AuditEntry, Customer, FiscalDocument, FiscalStatus, SaleReturn, SaleStatus, Tender
from ismartsync.models.base import utcnow
from ismartsync.permissions import Effect, Permission
from ismartsync.receipt_codes import receipt_code
from ismartsync.services.audit import Actor
from ismartsync.services.checkout import Payment
from ismartsync.services.returns.reasons import seed_return_reasons
from ismartsync.services.roles import set_grant
from ismartsync.services.stock.ledger import record_opening_stock
from tests import factories
from tests.markup import element, text, text_of
from tests.selling import open_till, sell, stock_items
from tests.views.counter.screen import approval_what, the_cart

HX = {"HX-Request": "true"}


@pytest.fixture
def placed(tablet, cashier, counter, items):
    """Sana's sale on this counter: a Lawn 3pc and a Khussa, Rs 2,000 by card and the rest in cash."""
    actor = Actor(cashier, branch_id=counter.branch_id, counter_id=counter.id)
    sale = sell(
        actor,
        counter,
        *items,
        payments=[Payment(Tender.CARD, 200_000, reference="4411"), Payment(Tender.CASH, 249_000)],
    )
    db.session.commit()
    return sale


def _find(tablet, code: str):
    return tablet.get(f"/counter/returns/find?code={quote(code)}", headers=HX)


def test_the_selling_screen_offers_return_mode_on_f10(tablet):
    page = tablet.get("/counter").get_data(as_text=True)
    button = element(page, "return-mode") or ""
    assert 'data-shortcut="F10"' in button and "/counter/returns" in button and "Return" in text(button)


def test_scanning_the_receipt_code_shows_the_sale_panel(tablet, placed):
    response = _find(tablet, receipt_code(placed.counter_id, placed.number))
    assert response.status_code == 200
    assert response.headers["HX-Push-Url"] == f"/counter/returns/{placed.id}"
    panel = text_of(response.get_data(as_text=True), "return-sale")
    assert f"Sale no. {placed.number}" in panel and f"USIN {placed.usin}" in panel
    assert "Gulberg" in text_of(response.get_data(as_text=True), "return-branch")
    assert "Another branch" not in panel
    assert "today" in text_of(response.get_data(as_text=True), "return-date")
    assert "Cashier Sana Iqbal" in panel
    tenders = text_of(response.get_data(as_text=True), "return-tenders")
    assert "Card Rs 2,000" in tenders and "ref. 4411" in tenders and "Cash Rs 2,490" in tenders
    lines = text_of(response.get_data(as_text=True), "return-lines")
    assert "Lawn 3pc Red" in lines and "Khussa" in lines and "Rs 2,990" in lines and "Rs 1,500" in lines


def test_the_usin_and_the_fbr_number_find_the_sale_too(tablet, placed, merchant, counter):
    assert f"USIN {placed.usin}" in text_of(_find(tablet, placed.usin.lower()).get_data(as_text=True), "return-sale")
    db.session.add(
        FiscalDocument(
            merchant_id=merchant.id,
            sale_id=placed.id,
            counter_id=counter.id,
            usin=placed.usin,
            status=FiscalStatus.REPORTED,
            fbr_number="810001FBKP2194812123",
        )
    )
    db.session.commit()
    found = _find(tablet, "810001FBKP2194812123").get_data(as_text=True)
    assert "810001FBKP2194812123" in text_of(found, "return-fbr")


def test_a_miss_says_why_beside_the_field_with_422(tablet, placed):
    response = _find(tablet, "GUL-C1-999999")
    assert response.status_code == 422 and response.headers["HX-Trigger"] == "scan-miss"
    html = response.get_data(as_text=True)
    assert "No sale of yours has" in text_of(html, "return-code-error")
    assert 'aria-describedby="return-code-error"' in (element(html, "return-find") or "")
    assert "return-sale-title" not in html


@pytest.mark.parametrize("code", ["", "x" * 5000, "\x00\x07", "٣٠٠٠١٢٣٤", "9" * 40, "' OR 1=1 --", "%"])
def test_garbage_is_a_422_never_a_500(tablet, placed, code):
    response = _find(tablet, code)
    assert response.status_code == 422
    assert text_of(response.get_data(as_text=True), "return-code-error")


def test_a_sale_of_another_branch_is_shown_as_such(tablet, placed, merchant, manager, items):
    dha = factories.CounterFactory(branch=factories.BranchFactory(merchant=merchant, name="DHA Phase 5", code="DHA"))
    other = sell(open_till(manager, manager, dha), dha, items[0])
    db.session.commit()
    html = _find(tablet, receipt_code(dha.id, other.number)).get_data(as_text=True)
    assert text_of(html, "return-branch") == "DHA Phase 5 Another branch"


def test_the_panel_has_its_own_address_as_a_whole_page(tablet, placed):
    response = tablet.get(f"/counter/returns/{placed.id}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert f"Sale no. {placed.number}" in text_of(html, "return-sale")
    assert 'data-shortcut="F10"' in (element(html, "back-to-selling") or "") and "data-escape" in html


def test_another_merchants_sale_is_not_found(tablet, outsider, other_merchant):
    branch = factories.BranchFactory(merchant=other_merchant, code="THR")
    theirs_counter = factories.CounterFactory(branch=branch)
    variant = factories.VariantFactory(product__merchant=other_merchant, price_minor=1000)
    theirs = sell(open_till(outsider, outsider, theirs_counter), theirs_counter, variant)
    db.session.commit()
    assert tablet.get(f"/counter/returns/{theirs.id}").status_code == 404
    for code in (receipt_code(theirs_counter.id, theirs.number), theirs.usin):
        response = _find(tablet, code)
        assert response.status_code == 422 and theirs.usin not in text_of(
            response.get_data(as_text=True), "return-sale"
        )


def test_the_customers_purchases_lead_to_the_sale(tablet, placed, merchant):
    ayesha = Customer(merchant_id=merchant.id, first_name="Ayesha", last_name="Khan", phone="03001234567")
    db.session.add(ayesha)
    db.session.flush()
    placed.customer_id = ayesha.id
    db.session.commit()
    picker = tablet.get("/counter/returns/customers?q=0300 123", headers={**HX, "HX-Target": "return-customer-results"})
    assert f"/counter/returns/customers/{ayesha.id}" in picker.get_data(as_text=True)
    listing = tablet.get(f"/counter/returns/customers/{ayesha.id}", headers=HX).get_data(as_text=True)
    purchases = element(listing, "return-purchases") or ""
    assert placed.usin in text(purchases) and f"/counter/returns/{placed.id}" in purchases
    assert tablet.get("/counter/returns/customers", headers=HX).status_code == 200  # the picker as a dialog


def test_without_an_open_shift_return_mode_sends_the_tablet_to_the_counter(browser, manager, placed):
    browser.sign_in(manager)  # not on a paired tablet
    response = browser.get(f"/counter/returns/{placed.id}")
    assert response.status_code == 303 and response.headers["Location"] == "/counter"


def test_a_role_that_may_make_no_return_gets_403_and_no_button(tablet, owner, cashier, placed):
    set_grant(db.session, Actor(owner), cashier.role, Permission.REFUND, Effect.BLOCKED)
    db.session.commit()
    assert tablet.get("/counter/returns").status_code == 403
    assert tablet.get(f"/counter/returns/{placed.id}").status_code == 403
    assert 'id="return-mode"' not in tablet.get("/counter").get_data(as_text=True)


def test_a_role_without_the_counter_gets_403(browser, merchant, roles):
    browser.sign_in(factories.UserFactory(merchant=merchant, role=roles["Accountant"], all_branches=True))
    for path in ("/counter/returns", "/counter/returns/find?code=1", "/counter/returns/customers"):
        assert browser.get(path).status_code == 403


def test_the_sale_pages_return_button_opens_the_panel_on_this_counter(tablet, placed, counter):
    page = tablet.get(f"/sales/{placed.id}").get_data(as_text=True)
    button = element(page, "sale-return") or ""
    assert f'href="/counter/returns/{placed.id}"' in button and text(button) == f"↩ Return on {counter.name}"
    panel = tablet.get(f"/counter/returns/{placed.id}").get_data(as_text=True)
    assert f"USIN {placed.usin}" in text_of(panel, "return-sale")


def test_the_panel_says_how_many_days_ago_the_sale_was(tablet, placed):
    placed.placed_at = utcnow() - timedelta(days=3)
    db.session.commit()
    html = tablet.get(f"/counter/returns/{placed.id}").get_data(as_text=True)
    assert text_of(html, "return-date").endswith("· 3 days ago")


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

    [recorded] = db.session.scalars(select(SaleReturn).where(SaleReturn.sale_id == sold.id)).all()
    assert first.headers["HX-Redirect"] == again.headers["HX-Redirect"] == f"/counter/refunds/{recorded.id}"
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

    assert done.status_code == 204 and done.headers["HX-Redirect"].startswith("/counter/refunds/")
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


def test_another_merchants_sale_cannot_be_returned(tablet, sold, other_merchant):
    branch = factories.BranchFactory(merchant=other_merchant)
    counter = factories.CounterFactory(branch=branch)
    seller = factories.UserFactory(merchant=other_merchant)
    theirs = sell(open_till(seller, seller, counter), counter, stock_items(other_merchant, branch)[0])
    db.session.commit()

    response = tablet.post("/counter/returns", {**_form(theirs, line=0), "sale_id": theirs.id}, htmx=True)

    assert response.status_code == 404 and _returns(theirs) == 0


def test_a_role_without_the_counter_cannot_record_a_return(browser, merchant, roles, sold):
    accountant = factories.UserFactory(merchant=merchant, role=roles["Accountant"])
    db.session.commit()
    browser.sign_in(accountant)
    assert browser.post("/counter/returns", _form(sold)).status_code == 403
    assert _returns(sold) == 0


# The return panel: per-line steppers capped at what is returnable, the live refund preview, the done screen.


@pytest.fixture
def split(placed, merchant):
    """The card + cash sale with the merchant's return reasons; lawn (Rs 2,990) first, khussa (Rs 1,500) second."""
    seed_return_reasons(db.session, merchant)
    db.session.commit()
    return placed


def _preview(tablet, sale, **fields):
    form = {"sale_id": sale.id, "return_uuid": "panel-key-0001", **fields}
    return tablet.post("/counter/returns/preview", form, htmx=True)


def test_the_panel_offers_every_line_with_a_stepper_a_reason_and_restock(tablet, split):
    html = tablet.get(f"/counter/returns/{split.id}").get_data(as_text=True)
    actions = element(html, "return-actions")
    assert actions is not None and 'name="return_uuid"' in actions
    lawn, khussa = split.lines
    assert text_of(html, f"counts-{lawn.id}") == "sold 1 · returned 0 · returnable 1"
    for line in (lawn, khussa):
        assert f'name="quantity-{line.id}" value="0"' in actions and f'id="reason-{line.id}"' in actions
        assert f'name="restock-{line.id}" id="restock-{line.id}" checked' in actions
    assert "Wrong size" in text_of(html, f"reason-{lawn.id}") and "Defective" in text_of(html, f"reason-{lawn.id}")
    assert "Tap + on what the customer brought back." in text_of(html, "return-preview")


def test_the_preview_shows_each_lines_refund_with_tax_and_the_tenders_cash_last(tablet, split):
    lawn = split.lines[0]
    response = _preview(tablet, split, **{"step": f"{lawn.id}:1", f"reason-{lawn.id}": "wrong_size"})

    assert response.status_code == 200
    html = response.get_data(as_text=True)
    refunds = text_of(html, "return-refunds")
    assert f"{lawn.name} × 1" in refunds and "Wrong size · back on the shelf" in refunds
    assert f"GST Rs {lawn.tax_minor // 100:,}.{lawn.tax_minor % 100:02d} incl." in refunds
    assert text_of(html, "return-total") == "Rs 2,990"
    assert text_of(html, "return-to") == "Back as: Card ····4411 Rs 2,000 · Cash Rs 990"
    submit = element(html, "return-submit") or ""
    assert (
        text(submit) == "Refund Rs 2,990"
        and 'hx-confirm="Refund Rs 2,990: Card ····4411 Rs 2,000, Cash Rs 990?"' in submit
    )
    assert f'name="quantity-{lawn.id}" value="1"' in html
    assert 'aria-label="One more" disabled' in html  # one sold: the stepper stops at it


def test_a_defective_item_is_recorded_not_restocked_and_its_toggle_locked(tablet, split):
    lawn = split.lines[0]
    html = _preview(tablet, split, **{f"quantity-{lawn.id}": "1", f"reason-{lawn.id}": "defective"}).get_data(
        as_text=True
    )
    assert text_of(html, f"restock-{lawn.id}-state") == "Recorded, not restocked"
    assert f'name="restock-{lawn.id}"' not in html
    assert "Defective · recorded, not restocked" in text_of(html, "return-refunds")


def test_a_quantity_without_a_reason_asks_for_it_and_offers_no_refund(tablet, split):
    lawn = split.lines[0]
    html = _preview(tablet, split, **{f"quantity-{lawn.id}": "1"}).get_data(as_text=True)
    assert text_of(html, "return-to") == "Choose why each item came back."
    assert element(html, "return-submit") is None


@pytest.mark.parametrize(("typed", "said"), [("5", "Only 1 can still be returned."), ("x", "Enter a whole number.")])
def test_a_quantity_beyond_what_is_returnable_is_a_422_beside_it(tablet, split, typed, said):
    lawn = split.lines[0]
    response = _preview(tablet, split, **{f"quantity-{lawn.id}": typed, f"reason-{lawn.id}": "wrong_size"})
    assert response.status_code == 422
    assert text_of(response.get_data(as_text=True), f"quantity-{lawn.id}-error") == said
    assert _returns(split) == 0


def test_store_credit_for_a_sale_without_a_customer_asks_who_it_goes_to(tablet, split):
    html = tablet.get(f"/counter/returns/{split.id}").get_data(as_text=True)
    assert 'value="store_credit" disabled' not in html and "choosing store credit asks who it goes to" in html
    lawn = split.lines[0]
    chosen = {f"quantity-{lawn.id}": "1", f"reason-{lawn.id}": "wrong_size", "refund": "store_credit"}
    picker = _preview(tablet, split, **chosen)
    assert picker.status_code == 422 and element(picker.get_data(as_text=True), "return-customer-q") is not None


def _card(sale) -> str:
    """The name of the reference field of the sale's card payment on the return panel."""
    return f"reference-{next(p.id for p in sale.payments if p.tender == Tender.CARD)}"


def test_after_a_return_the_panel_caps_and_greys_what_came_back(tablet, split, manager):
    lawn, khussa = split.lines
    form = {
        "sale_id": split.id,
        "return_uuid": str(uuid.uuid4()),
        f"quantity-{khussa.id}": "1",
        f"reason-{khussa.id}": "wrong_size",
        _card(split): "RRN 100200",
        "approver_id": manager.id,
        "approver_pin": factories.PIN,
    }
    assert tablet.post("/counter/returns", form, htmx=True).status_code == 204

    html = tablet.get(f"/counter/returns/{split.id}").get_data(as_text=True)  # partly refunded: found again
    assert text_of(html, f"counts-{khussa.id}") == "sold 1 · returned 1 · returnable 0"
    assert f'data-line-id="{khussa.id}"' in html and "All returned" in html
    assert f'name="quantity-{khussa.id}"' not in html and f'name="quantity-{lawn.id}"' in html
    late = _preview(tablet, split, **{f"quantity-{khussa.id}": "1", f"reason-{khussa.id}": "wrong_size"})
    assert late.status_code == 422
    assert text_of(late.get_data(as_text=True), f"quantity-{khussa.id}-error") == "Every unit came back already."


def test_the_done_screen_shows_the_return_receipt_with_reasons_and_refunds(tablet, split, manager):
    lawn = split.lines[0]
    form = {
        "sale_id": split.id,
        "return_uuid": str(uuid.uuid4()),
        f"quantity-{lawn.id}": "1",
        f"reason-{lawn.id}": "defective",
        _card(split): "RRN 300400",
        "approver_id": manager.id,
        "approver_pin": factories.PIN,
    }
    done = tablet.post("/counter/returns", form, htmx=True)
    page = tablet.get(done.headers["HX-Redirect"])

    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert (
        text_of(html, "return-done-refunds") == "Rs 2,000 back to Card ref. RRN 300400 Rs 990 in cash from the drawer"
    )
    assert text_of(html, "return-receipt-title") == "Return"
    assert text_of(html, "return-receipt-ref") == split.usin
    lines = text_of(html, "return-receipt-lines")
    assert (
        lawn.name in lines and "Defective · recorded, not restocked" in lines and "-Rs 2,990" in lines.replace("−", "-")
    )
    refunds = text_of(html, "return-receipt-refunds")
    assert "Card refunded (RRN 300400) Rs 2,000" in refunds and "Cash refunded Rs 990" in refunds
    assert f'href="/sales/{split.id}"' in html
    printed = tablet.get(done.headers["HX-Redirect"] + "/receipt?paper=58").get_data(as_text=True)
    assert "paper-58" in printed and text_of(printed, "return-receipt-ref") == split.usin


def test_the_preview_asks_the_reference_of_each_card_part_and_none_for_cash_or_store_credit(tablet, split):
    lawn, khussa = split.lines
    chosen = {f"quantity-{lawn.id}": "1", f"reason-{lawn.id}": "wrong_size", _card(split): "RRN 77"}
    html = _preview(tablet, split, **chosen).get_data(as_text=True)
    field = element(html, _card(split)) or ""
    assert f'<label for="{_card(split)}">Card ····4411 refund reference</label>' in html
    assert 'value="RRN 77"' in field and "required" in field
    assert html.count("refund reference") == 1  # the cash part needs none

    cash_only = _preview(tablet, split, **{f"quantity-{khussa.id}": "0"}).get_data(as_text=True)
    assert "refund reference" not in cash_only


def test_refunding_to_a_card_without_its_reference_is_a_422_beside_it_and_nothing_is_recorded(tablet, split, manager):
    lawn = split.lines[0]
    form = {
        "sale_id": split.id,
        "return_uuid": str(uuid.uuid4()),
        f"quantity-{lawn.id}": "1",
        f"reason-{lawn.id}": "wrong_size",
        _card(split): "   ",
    }
    refused = tablet.post("/counter/returns", form, htmx=True)  # no supervisor asked before the reference is in

    assert refused.status_code == 422 and "X-Approval-Required" not in refused.headers
    html = refused.get_data(as_text=True)
    assert text_of(html, f"{_card(split)}-error") == "Enter the reference of the card refund."
    assert element(html, "return-actions") is not None and 'aria-invalid="true"' in (element(html, _card(split)) or "")
    assert _returns(split) == 0

    approved = {**form, _card(split): "RRN 9001", "approver_id": manager.id, "approver_pin": factories.PIN}
    assert tablet.post("/counter/returns", approved, htmx=True).status_code == 204
    db.session.expire_all()
    [recorded] = db.session.scalars(select(SaleReturn).where(SaleReturn.sale_id == split.id)).all()
    assert [(r.tender, r.amount_minor, r.reference) for r in recorded.refunds] == [
        ("card", 200_000, "RRN 9001"),
        ("cash", 99_000, ""),
    ]
    audit = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "return.record")).one()
    assert audit.after["refunds"][0]["reference"] == "RRN 9001"


def test_the_return_preview_and_done_screen_refuse_another_merchants_rows(tablet, other_merchant):
    branch = factories.BranchFactory(merchant=other_merchant)
    counter = factories.CounterFactory(branch=branch)
    seller = factories.UserFactory(merchant=other_merchant)
    theirs = sell(open_till(seller, seller, counter), counter, stock_items(other_merchant, branch)[0])
    db.session.commit()
    assert _preview(tablet, theirs, **{f"quantity-{theirs.lines[0].id}": "1"}).status_code == 404


def test_a_role_without_the_counter_gets_403_on_the_preview_and_the_done_screen(browser, merchant, roles, sold):
    accountant = factories.UserFactory(merchant=merchant, role=roles["Accountant"])
    db.session.commit()
    browser.sign_in(accountant)
    assert browser.post("/counter/returns/preview", {"sale_id": sold.id}).status_code == 403
    assert browser.get("/counter/refunds/1").status_code == 403


# Exchange in one ticket: the panel holds what comes back, the cart sells the new items against it.


def _exchange_khussa(tablet, sale):
    khussa = sale.lines[1]
    form = {
        "sale_id": sale.id,
        "return_uuid": "exchange-key-0001",
        f"quantity-{khussa.id}": "1",
        f"reason-{khussa.id}": "wrong_size",
        f"restock-seen-{khussa.id}": "1",
        f"restock-{khussa.id}": "on",
    }
    return tablet.post("/counter/returns/exchange", form, htmx=True)


def test_an_exchange_charges_the_difference_and_records_a_credit_note_and_a_sale(
    tablet, split, items, manager, counter
):
    held = _exchange_khussa(tablet, split)
    assert held.status_code == 204 and held.headers["HX-Redirect"] == "/counter"
    assert "Exchange · Rs 1,500 back from sale" in text_of(
        tablet.get("/counter").get_data(as_text=True), "exchange-note"
    )

    scanned = tablet.post("/counter/cart/scan", {"code": items[0].barcode}, htmx=True)  # the Rs 2,990 lawn
    assert text_of(scanned.get_data(as_text=True), "exchange-credit") == "−Rs 1,500"
    assert text_of(scanned.get_data(as_text=True), "exchange-due") == "Rs 1,490"
    assert "Pay Rs 1,490" in text_of(scanned.get_data(as_text=True), "cart")
    cart = the_cart(split.counter)
    assert "To pay Rs 1,490" in text_of(tablet.get("/counter/pay", headers=HX).get_data(as_text=True), "pay-title")

    paid = {"sale_uuid": cart.uuid, "cash": "1490"}
    asked = tablet.post("/counter/checkout", paid, htmx=True)
    assert asked.status_code == 403 and approval_what(asked).startswith(f"Refund Rs 1,500 on sale {split.usin}")
    done = tablet.post(
        "/counter/checkout", {**paid, "approver_id": manager.id, "approver_pin": factories.PIN}, htmx=True
    )

    assert done.status_code == 204 and done.headers["HX-Redirect"].startswith("/counter/refunds/")
    db.session.expire_all()
    [recorded] = db.session.scalars(select(SaleReturn).where(SaleReturn.sale_id == split.id)).all()
    new_sale = recorded.exchange_sale
    assert recorded.kind == "exchange" and recorded.total_minor == 150_000 and new_sale is not None
    assert new_sale.status == SaleStatus.PLACED and new_sale.lines[0].variant_id == items[0].id
    assert sorted((p.tender, p.amount_minor) for p in new_sale.payments) == [("cash", 149_000), ("exchange", 150_000)]
    page = tablet.get(done.headers["HX-Redirect"]).get_data(as_text=True)
    assert f"Exchanged: new items on sale {new_sale.number}" in text_of(page, "return-receipt")
    assert "exchange-note" not in tablet.get("/counter").get_data(as_text=True)  # the next customer starts afresh


def test_an_exchange_worth_less_than_what_comes_back_gives_the_difference_back(tablet, split, manager, counter, branch):
    dupatta = factories.VariantFactory(product__merchant=split.merchant, price_minor=99900, barcode="8961000000099")
    record_opening_stock(db.session, branch, {dupatta.id: 3}, "opening")
    db.session.commit()
    _exchange_khussa(tablet, split)
    tablet.post("/counter/cart/scan", {"code": dupatta.barcode}, htmx=True)
    cart = the_cart(counter)
    credit = 150_000 - cart.payable_minor
    assert credit > 0
    page = tablet.get("/counter/pay", headers=HX).get_data(as_text=True)
    assert text_of(page, "pay-title") == f"Give back Rs {credit // 100:,}" + (
        f".{credit % 100:02d}" if credit % 100 else ""
    )

    reference = _card(split)
    assert text_of(page, "exchange-back").endswith("(Card ····4411 Rs 501).") and credit == 50_100
    assert f'<label for="{reference}">Card ····4411 refund reference</label>' in page

    form = {"sale_uuid": cart.uuid, "approver_id": manager.id, "approver_pin": factories.PIN}
    missing = tablet.post("/counter/checkout", form, htmx=True)
    assert missing.status_code == 422
    assert text_of(missing.get_data(as_text=True), f"{reference}-error") == "Enter the reference of the card refund."
    assert _returns(split) == 0
    done = tablet.post("/counter/checkout", {**form, reference: "RRN 555666"}, htmx=True)

    assert done.status_code == 204
    db.session.expire_all()
    [recorded] = db.session.scalars(select(SaleReturn).where(SaleReturn.sale_id == split.id)).all()
    assert sum(r.amount_minor for r in recorded.refunds if r.tender != "exchange") == credit
    assert [(r.tender, r.reference) for r in recorded.refunds if r.tender != "exchange"] == [("card", "RRN 555666")]


def test_an_exchange_of_nothing_is_refused_on_the_panel(tablet, split):
    response = tablet.post(
        "/counter/returns/exchange", {"sale_id": split.id, "return_uuid": "exchange-key-2"}, htmx=True
    )
    assert response.status_code == 422 and "Choose what comes back." in response.get_data(as_text=True)


def test_cancelling_an_exchange_leaves_a_plain_cart(tablet, split):
    _exchange_khussa(tablet, split)
    assert tablet.post("/counter/exchange/cancel", {}, htmx=True).headers["HX-Redirect"] == "/counter"
    assert "exchange-note" not in tablet.get("/counter").get_data(as_text=True)
    assert _returns(split) == 0
