"""Settings → Selling: tax, sales below zero stock, the POS fee, the cashier's discount limit, the buyer threshold."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from ismartsync.extensions import db
from ismartsync.models import AuditEntry, Merchant
from ismartsync.permissions import Effect, Permission
from ismartsync.services.audit import Actor
from ismartsync.services.roles import set_grant
from tests import factories
from tests.markup import element, field_text, is_fragment, text

SELLING = {
    "prices_include_tax": "y",
    "default_tax_rate": "17.5",
    "negative_stock_policy": "block",
    "pos_fee": "1",
    "cashier_discount_limit": "12.5",
    "buyer_name_threshold": "75000",
    "receipt_link_days": "180",
}


def _merchant(merchant: Merchant) -> Merchant:
    db.session.expire_all()
    return db.session.get(Merchant, merchant.id)


def _settings(merchant: Merchant) -> tuple:
    m = _merchant(merchant)
    return (
        m.prices_include_tax,
        m.default_tax_rate_bp,
        m.negative_stock_policy,
        m.pos_fee_minor,
        m.cashier_discount_limit_bp,
        m.buyer_name_threshold_minor,
    )


DEFAULTS = (True, 1800, "warn", 100, 1000, 100_000_00)


@pytest.fixture
def signed_in(browser, owner):
    browser.sign_in(owner)
    return browser


def test_new_merchant_sees_the_legal_defaults(signed_in):
    page = signed_in.get("/settings/selling").get_data(as_text=True)
    form = element(page, "selling-form")
    assert 'value="18.00"' in element(form, "field-default_tax_rate")
    assert 'value="1.00"' in element(form, "field-pos_fee")
    assert 'value="10.00"' in element(form, "field-cashier_discount_limit")
    assert 'value="100000.00"' in element(form, "field-buyer_name_threshold")
    assert "Rs 100,000" in field_text(form, "buyer_name_threshold")
    assert "checked" in element(form, "field-prices_include_tax")


def test_owner_saves_the_selling_settings_in_paisa_and_basis_points(signed_in, merchant, owner):
    response = signed_in.post("/settings/selling", SELLING)
    assert response.status_code == 200
    assert "Selling settings saved." in text(response.get_data(as_text=True))
    assert _settings(merchant) == (True, 1750, "block", 100, 1250, 75_000_00)
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "settings.selling"))
    assert entry.actor_id == owner.id and entry.merchant_id == merchant.id
    assert entry.before == {
        "buyer_name_threshold_minor": 100_000_00,
        "cashier_discount_limit_bp": 1000,
        "default_tax_rate_bp": 1800,
        "negative_stock_policy": "warn",
    }
    assert entry.after == {
        "buyer_name_threshold_minor": 75_000_00,
        "cashier_discount_limit_bp": 1250,
        "default_tax_rate_bp": 1750,
        "negative_stock_policy": "block",
    }


def test_saved_settings_show_again_as_typed_amounts(signed_in, merchant):
    signed_in.post("/settings/selling", {**SELLING, "pos_fee": "2.5", "buyer_name_threshold": "99999.99"})
    form = element(signed_in.get("/settings/selling").get_data(as_text=True), "selling-form")
    assert 'value="17.50"' in element(form, "field-default_tax_rate")
    assert 'value="2.50"' in element(form, "field-pos_fee")
    assert 'value="99999.99"' in element(form, "field-buyer_name_threshold")
    assert _merchant(merchant).buyer_name_threshold_minor == 9_999_999


def test_pos_fee_of_zero_switches_it_off_and_prices_may_exclude_tax(signed_in, merchant):
    data = {**SELLING, "pos_fee": "0", "prices_include_tax": ""}
    assert signed_in.post("/settings/selling", data).status_code == 200
    prices_include_tax, *_, pos_fee, _, _ = _settings(merchant)
    assert (prices_include_tax, pos_fee) == (False, 0)


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("default_tax_rate", "100.5", "Number must be between 0 and 100."),
        ("default_tax_rate", "-1", "Number must be between 0 and 100."),
        ("default_tax_rate", "17.555", "Use at most 2 decimal places."),
        ("default_tax_rate", "eighteen", "Not a valid decimal value."),
        ("pos_fee", "-1", "Between Rs 0 (off) and Rs 10."),
        ("pos_fee", "10.01", "Between Rs 0 (off) and Rs 10."),
        ("pos_fee", "0.005", "Use at most 2 decimal places."),
        ("cashier_discount_limit", "101", "Number must be between 0 and 100."),
        ("buyer_name_threshold", "-100", "Enter an amount from Rs 0 to Rs 100,000,000."),
        ("buyer_name_threshold", "1e12", "Enter an amount from Rs 0 to Rs 100,000,000."),
        ("buyer_name_threshold", "", "This field is required."),
        ("negative_stock_policy", "sometimes", "Not a valid choice"),
        ("receipt_link_days", "0", "Enter 1 to 3,650 days."),
        ("receipt_link_days", "3651", "Enter 1 to 3,650 days."),
        ("receipt_link_days", "", "This field is required."),
        ("receipt_link_days", "half a year", "Not a valid integer value."),
        ("receipt_link_days", "٩٠", "Type a whole number with the digits 0–9."),
    ],
)
def test_bad_selling_input_shows_the_message_beside_the_field(signed_in, merchant, field, value, message):
    response = signed_in.post("/settings/selling", {**SELLING, field: value})
    assert response.status_code == 422
    assert message in field_text(response.get_data(as_text=True), field)
    assert _settings(merchant) == DEFAULTS
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "settings.selling")) is None


def test_selling_over_htmx_returns_only_the_form(signed_in, merchant):
    saved = signed_in.post("/settings/selling", SELLING, htmx=True)
    assert saved.status_code == 200 and "HX-Request" in saved.headers["Vary"]
    html = saved.get_data(as_text=True)
    assert is_fragment(html) and element(html, "selling-form") is not None
    assert "Selling settings saved." in text(html)

    refused = signed_in.post("/settings/selling", {**SELLING, "pos_fee": "-1"}, htmx=True)
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    assert is_fragment(html) and "Between Rs 0 (off) and Rs 10." in field_text(html, "pos_fee")
    assert _merchant(merchant).pos_fee_minor == 100


def test_member_who_may_only_view_settings_sees_a_locked_form_and_cannot_save(browser, owner, roles, cashier, merchant):
    set_grant(db.session, Actor(owner), roles["Cashier"], Permission.PAGE_SETTINGS, Effect.ALLOWED)
    browser.sign_in(cashier)
    page = browser.get("/settings/selling").get_data(as_text=True)
    assert "<fieldset disabled" in element(page, "selling-form")
    assert browser.post("/settings/selling", SELLING).status_code == 403
    assert _settings(merchant) == DEFAULTS


def test_accountant_cannot_open_or_change_the_selling_settings(browser, merchant, roles):
    accountant = factories.UserFactory(merchant=merchant, role=roles["Accountant"], all_branches=True)
    browser.sign_in(accountant)
    assert browser.get("/settings/selling").status_code == 403
    assert browser.post("/settings/selling", SELLING).status_code == 403
    assert _settings(merchant) == DEFAULTS


def test_change_needing_approval_is_saved_once_a_supervisor_approves(browser, owner, roles, manager, cashier, merchant):
    set_grant(db.session, Actor(owner), roles["Cashier"], Permission.PAGE_SETTINGS, Effect.ALLOWED)
    set_grant(db.session, Actor(owner), roles["Cashier"], Permission.EDIT_SETTINGS, Effect.NEEDS_APPROVAL)
    browser.sign_in(cashier)
    assert "<fieldset disabled" not in element(browser.get("/settings/selling").get_data(as_text=True), "selling-form")

    asked = browser.post("/settings/selling", SELLING, htmx=True)
    assert asked.status_code == 403 and asked.headers["X-Approval-Required"] == Permission.EDIT_SETTINGS.value
    assert _settings(merchant) == DEFAULTS

    approval = {"approver_id": str(manager.id), "approver_pin": factories.PIN}
    approved = browser.post("/settings/selling", {**SELLING, **approval}, htmx=True)
    assert approved.status_code == 200
    assert _settings(merchant) == (True, 1750, "block", 100, 1250, 75_000_00)
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "settings.selling"))
    assert entry.actor_id == cashier.id and entry.approver_id == manager.id


def test_receipt_links_open_for_180_days_unless_the_owner_sets_another_number(signed_in, merchant):
    form = element(signed_in.get("/settings/selling").get_data(as_text=True), "selling-form")
    assert 'value="180"' in element(form, "field-receipt_link_days")
    assert signed_in.post("/settings/selling", {**SELLING, "receipt_link_days": "30"}).status_code == 200
    assert _merchant(merchant).receipt_link_days == 30
