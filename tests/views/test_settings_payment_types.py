"""Settings → Payment types: bank accounts and wallets — add, edit, switch off and on, bad input, permissions."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from ismartsync.extensions import db
from ismartsync.models import AuditEntry, PaymentMethod, Tender
from ismartsync.permissions import Effect, Permission
from ismartsync.services.audit import Actor
from ismartsync.services.payment_methods import active_payment_methods
from ismartsync.services.roles import set_grant
from tests import factories
from tests.markup import element, field_text, is_fragment, text, text_of

MEEZAN = {
    "kind": "bank",
    "name": "Meezan Bank",
    "account_title": "Zari Textiles (Pvt) Ltd",
    "account_number": "0101 0104567890",
    "iban": "pk85 mezn 0001 0101 0456 7890",
}
JAZZCASH = {"kind": "wallet", "name": "JazzCash", "account_number": "+92 300 1234567", "account_title": "", "iban": ""}


def _methods(merchant) -> list[PaymentMethod]:
    db.session.expire_all()
    return list(db.session.scalars(select(PaymentMethod).where(PaymentMethod.merchant_id == merchant.id)))


def _reloaded(method: PaymentMethod) -> PaymentMethod:
    db.session.expire_all()
    return db.session.get(PaymentMethod, method.id)


@pytest.fixture
def signed_in(browser, owner):
    browser.sign_in(owner)
    return browser


@pytest.fixture
def meezan(merchant):
    return factories.PaymentMethodFactory(merchant=merchant, name="Meezan Bank", account_number="0101 0104567890")


def test_owner_adds_a_bank_account_and_a_wallet_and_the_till_offers_both(signed_in, merchant, owner):
    assert "No bank accounts or wallets yet." in text(signed_in.get("/settings/payment-types").get_data(as_text=True))
    assert signed_in.post("/settings/payment-types", MEEZAN).status_code == 200
    response = signed_in.post("/settings/payment-types", JAZZCASH)
    assert response.status_code == 200
    assert "JazzCash added: the counter offers it now." in text(response.get_data(as_text=True))

    bank, wallet = active_payment_methods(db.session, merchant.id)
    assert (bank.kind, bank.iban, bank.account_number) == ("bank", "PK85MEZN0001010104567890", "0101 0104567890")
    assert (wallet.kind, wallet.account_number) == ("wallet", "0300 1234567")
    listed = text_of(response.get_data(as_text=True), f"payment-method-{bank.id}")
    assert "Meezan Bank" in listed and "PK85 MEZN 0001 0101 0456 7890" in listed and "On" in listed
    entries = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "payment_method.create")).all()
    assert [(e.actor_id, e.after["name"]) for e in entries] == [(owner.id, "Meezan Bank"), (owner.id, "JazzCash")]


def test_adding_over_htmx_returns_the_list_with_a_fresh_form(signed_in, merchant):
    response = signed_in.post("/settings/payment-types", MEEZAN, htmx=True)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert is_fragment(html) and element(html, "payment-methods") is not None
    [method] = _methods(merchant)
    assert element(html, f"payment-method-{method.id}") is not None
    assert 'value=""' in element(html, "field-name")


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("iban", "PK86 MEZN 0001 0101 0456 7890", "This IBAN's check digits do not match"),
        ("iban", "GB82WEST12345698765432", "A Pakistani IBAN is PK, 2 check digits"),
        ("account_number", "0101/0104567890", "digits, spaces and dashes only"),
        ("name", "", "This field is required."),
        ("name", "M" * 81, "Field cannot be longer than 80 characters."),
        ("kind", "cheque", "Not a valid choice"),
    ],
)
def test_bad_payment_type_shows_the_message_beside_the_field(signed_in, merchant, field, value, message):
    response = signed_in.post("/settings/payment-types", {**MEEZAN, field: value}, htmx=True)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert is_fragment(html) and message in field_text(element(html, "payment-method-new"), field)
    assert _methods(merchant) == []


def test_wallet_without_a_mobile_number_is_refused_beside_the_number(signed_in, merchant):
    response = signed_in.post("/settings/payment-types", {**JAZZCASH, "account_number": "042 35781234"})
    assert response.status_code == 422
    assert "Pakistani mobile number" in field_text(response.get_data(as_text=True), "account_number")
    assert _methods(merchant) == []


def test_owner_edits_a_payment_type(signed_in, merchant, owner, meezan):
    page = signed_in.get(f"/settings/payment-types/{meezan.id}").get_data(as_text=True)
    assert 'value="0101 0104567890"' in element(page, "field-account_number")

    data = {**MEEZAN, "name": "Meezan Bank Gulberg"}
    response = signed_in.post(f"/settings/payment-types/{meezan.id}", data, htmx=True)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert is_fragment(html) and 'value="PK85MEZN0001010104567890"' in element(html, "field-iban")
    assert "Meezan Bank Gulberg saved." in text(html)
    assert _reloaded(meezan).name == "Meezan Bank Gulberg"
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "payment_method.update"))
    assert entry.actor_id == owner.id and entry.target_id == meezan.id
    assert entry.before["name"] == "Meezan Bank" and entry.after["name"] == "Meezan Bank Gulberg"


@pytest.mark.parametrize("htmx", [False, True], ids=["page", "htmx"])
def test_edit_with_a_bad_iban_is_refused_beside_the_iban(signed_in, meezan, htmx):
    data = {**MEEZAN, "name": "Renamed", "iban": "PK85MEZN0001010104567809"}
    response = signed_in.post(f"/settings/payment-types/{meezan.id}", data, htmx=htmx)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "This IBAN's check digits do not match" in field_text(element(html, "payment-method-form"), "iban")
    assert is_fragment(html) is htmx
    assert (_reloaded(meezan).name, _reloaded(meezan).iban) == ("Meezan Bank", "")


def test_switching_a_payment_type_off_keeps_it_listed_but_not_at_the_till(signed_in, merchant, owner, meezan):
    response = signed_in.post(f"/settings/payment-types/{meezan.id}/active", {"active": "0"}, htmx=True)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert is_fragment(html)
    row = text_of(html, f"payment-method-{meezan.id}")
    assert "Off" in row and "Switch on" in row
    assert active_payment_methods(db.session, merchant.id) == []
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "payment_method.switch_off"))
    assert entry.actor_id == owner.id and entry.target_id == meezan.id

    assert signed_in.post(f"/settings/payment-types/{meezan.id}/active", {"active": "1"}).status_code == 200
    assert active_payment_methods(db.session, merchant.id) == [_reloaded(meezan)]


def test_another_merchants_payment_type_is_not_found(signed_in, other_merchant):
    theirs = factories.PaymentMethodFactory(merchant=other_merchant, name="Their bank")
    assert signed_in.get(f"/settings/payment-types/{theirs.id}").status_code == 404
    assert signed_in.post(f"/settings/payment-types/{theirs.id}", {**MEEZAN, "name": "Hijacked"}).status_code == 404
    assert signed_in.post(f"/settings/payment-types/{theirs.id}/active", {"active": "0"}).status_code == 404
    assert (_reloaded(theirs).name, _reloaded(theirs).active) == ("Their bank", True)
    assert "Their bank" not in signed_in.get("/settings/payment-types").get_data(as_text=True)


def test_member_who_may_only_view_settings_sees_the_list_but_cannot_change_it(browser, owner, roles, cashier, meezan):
    set_grant(db.session, Actor(owner), roles["Cashier"], Permission.PAGE_SETTINGS, Effect.ALLOWED)
    browser.sign_in(cashier)
    page = browser.get("/settings/payment-types").get_data(as_text=True)
    assert "Meezan Bank" in text_of(page, "payment-methods")
    assert element(page, "payment-method-new") is None and "Switch off" not in page
    assert "<fieldset disabled" in element(
        browser.get(f"/settings/payment-types/{meezan.id}").get_data(as_text=True), "payment-method-form"
    )
    assert browser.post("/settings/payment-types", JAZZCASH).status_code == 403
    assert browser.post(f"/settings/payment-types/{meezan.id}", {**MEEZAN, "name": "X"}).status_code == 403
    assert browser.post(f"/settings/payment-types/{meezan.id}/active", {"active": "0"}).status_code == 403
    assert [(m.name, m.active) for m in _methods(meezan.merchant)] == [("Meezan Bank", True)]


def test_accountant_cannot_open_the_payment_types(browser, merchant, roles, meezan):
    accountant = factories.UserFactory(merchant=merchant, role=roles["Accountant"], all_branches=True)
    browser.sign_in(accountant)
    assert browser.get("/settings/payment-types").status_code == 403
    assert browser.get(f"/settings/payment-types/{meezan.id}").status_code == 403


def test_adding_with_approval_records_the_supervisor(browser, owner, roles, manager, cashier, merchant):
    set_grant(db.session, Actor(owner), roles["Cashier"], Permission.PAGE_SETTINGS, Effect.ALLOWED)
    set_grant(db.session, Actor(owner), roles["Cashier"], Permission.EDIT_SETTINGS, Effect.NEEDS_APPROVAL)
    browser.sign_in(cashier)
    asked = browser.post("/settings/payment-types", JAZZCASH, htmx=True)
    assert asked.status_code == 403 and _methods(merchant) == []
    approval = {"approver_id": str(manager.id), "approver_pin": factories.PIN}
    assert browser.post("/settings/payment-types", {**JAZZCASH, **approval}, htmx=True).status_code == 200
    [wallet] = _methods(merchant)
    assert wallet.kind == Tender.WALLET
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "payment_method.create"))
    assert entry.actor_id == cashier.id and entry.approver_id == manager.id
