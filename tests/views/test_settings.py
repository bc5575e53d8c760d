"""Settings: the business profile, branches and counters — saving, bad input beside the field, permissions."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from ismartsync.extensions import db
from ismartsync.models import AuditEntry, Branch, Counter, Merchant
from ismartsync.permissions import Effect, Permission
from ismartsync.services.audit import Actor
from ismartsync.services.roles import set_grant
from tests import factories
from tests.markup import element, field_text, is_fragment, text, text_of

PROFILE = {
    "legal_name": "Zari Textiles (Private) Limited",
    "brand_name": "Zari",
    "ntn": "1234567-8",
    "strn": "3277876127954",
    "tax_office": "RTO Lahore",
    "address": "42-B Main Boulevard, Gulberg III, Lahore",
    "phone": "+92 42 35781234",
    "time_zone": "Asia/Karachi",
}


def _merchant(merchant: Merchant) -> Merchant:
    db.session.expire_all()
    return db.session.get(Merchant, merchant.id)


@pytest.fixture
def signed_in(browser, owner):
    browser.sign_in(owner)
    return browser


def test_owner_saves_the_business_profile(signed_in, merchant, owner):
    response = signed_in.post("/settings/business", PROFILE)
    assert response.status_code == 200
    assert "Business profile saved." in text(response.get_data(as_text=True))
    saved = _merchant(merchant)
    assert (saved.ntn, saved.strn, saved.tax_office) == ("1234567-8", "3277876127954", "RTO Lahore")
    entry = db.session.scalar(
        select(AuditEntry).where(AuditEntry.merchant_id == merchant.id, AuditEntry.action == "merchant.update")
    )
    assert entry.actor_id == owner.id
    assert entry.after["ntn"] == "1234567-8" and "currency" not in entry.after


def test_business_profile_leaves_the_selling_settings_to_their_own_screen(signed_in, merchant):
    data = {**PROFILE, "default_tax_rate": "5", "prices_include_tax": "", "negative_stock_policy": "block"}
    assert signed_in.post("/settings/business", data).status_code == 200
    saved = _merchant(merchant)
    assert (saved.default_tax_rate_bp, saved.prices_include_tax, saved.negative_stock_policy) == (1800, True, "warn")
    page = signed_in.get("/settings/business").get_data(as_text=True)
    assert element(page, "field-default_tax_rate") is None
    assert "/settings/selling" in element(page, "business-form")


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("ntn", "12345", "NTN is 7 digits (e.g. 1234567-8), or a 13-digit CNIC."),
        ("ntn", "ABCDEFG-1", "NTN is 7 digits"),
        ("strn", "327787612795", "STRN is 13 digits."),
        ("strn", "32778761279541", "STRN is 13 digits."),
        ("legal_name", "", "This field is required."),
    ],
)
def test_bad_profile_input_shows_the_message_beside_the_field(signed_in, merchant, field, value, message):
    response = signed_in.post("/settings/business", {**PROFILE, field: value})
    assert response.status_code == 422
    assert message in field_text(response.get_data(as_text=True), field)
    assert _merchant(merchant).ntn == ""


def test_bad_profile_input_over_htmx_returns_only_the_form(signed_in):
    response = signed_in.post("/settings/business", {**PROFILE, "ntn": "12"}, htmx=True)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert is_fragment(html) and element(html, "business-form") is not None
    assert "NTN is 7 digits" in field_text(html, "ntn")


def test_member_who_may_only_view_settings_sees_a_locked_form_and_cannot_save(browser, owner, roles, cashier, merchant):
    set_grant(db.session, Actor(owner), roles["Cashier"], Permission.PAGE_SETTINGS, Effect.ALLOWED)
    browser.sign_in(cashier)
    page = browser.get("/settings/business").get_data(as_text=True)
    assert "<fieldset disabled" in element(page, "business-form")
    assert browser.post("/settings/business", PROFILE).status_code == 403
    assert _merchant(merchant).ntn == ""


# Branches


BRANCH = {"name": "DHA Phase 5", "code": "dha", "address": "Commercial Area", "phone": "", "active": "y"}


def _branch(merchant, code: str) -> Branch | None:
    db.session.expire_all()
    return db.session.scalar(select(Branch).where(Branch.merchant_id == merchant.id, Branch.code == code))


def test_owner_adds_a_branch_and_lands_on_its_page(signed_in, merchant):
    response = signed_in.post("/settings/branches", BRANCH)
    branch = _branch(merchant, "DHA")  # codes are stored in capitals
    assert branch is not None and branch.name == "DHA Phase 5"
    assert response.headers["Location"] == f"/settings/branches/{branch.id}"
    assert "DHA Phase 5" in text_of(signed_in.get("/settings/branches").get_data(as_text=True), "main")


@pytest.mark.parametrize("code", ["GUL", "gul"])
def test_branch_with_a_code_already_used_is_refused_beside_the_code(signed_in, merchant, branch, code):
    response = signed_in.post("/settings/branches", {**BRANCH, "code": code})
    assert response.status_code == 422
    assert "Another branch already uses this code." in field_text(response.get_data(as_text=True), "code")
    assert _branch(merchant, "DHA") is None


def test_bad_branch_over_htmx_returns_only_the_new_branch_form(signed_in, branch):
    response = signed_in.post("/settings/branches", {**BRANCH, "code": "G"}, htmx=True)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert is_fragment(html) and element(html, "branch-new") is not None
    assert "2–12 letters, digits or dashes." in field_text(html, "code")


def test_branch_code_is_unique_per_merchant_only(signed_in, other_merchant):
    factories.BranchFactory(merchant=other_merchant, code="DHA")
    assert signed_in.post("/settings/branches", BRANCH).status_code == 303


def test_renaming_a_branch_to_another_branchs_code_is_refused(signed_in, merchant, branch):
    factories.BranchFactory(merchant=merchant, code="DHA", name="DHA")
    response = signed_in.post(f"/settings/branches/{branch.id}", {**BRANCH, "name": "Gulberg", "code": "DHA"})
    assert response.status_code == 422
    assert "Another branch already uses this code." in field_text(response.get_data(as_text=True), "code")
    assert _branch(merchant, "GUL") is not None


def test_branch_edit_over_htmx_returns_the_branch_form(signed_in, merchant, branch):
    response = signed_in.post(f"/settings/branches/{branch.id}", {**BRANCH, "code": "GUL"}, htmx=True)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert is_fragment(html) and element(html, "branch-form") is not None
    assert _branch(merchant, "GUL").name == "DHA Phase 5"


# Counters


def _counter_names(branch: Branch) -> list[str]:
    db.session.expire_all()
    return list(db.session.scalars(select(Counter.name).where(Counter.branch_id == branch.id).order_by(Counter.name)))


def test_owner_adds_a_counter_to_a_branch(signed_in, branch, counter):
    response = signed_in.post(f"/settings/branches/{branch.id}/counters", {"name": "Counter 2", "active": "y"})
    assert response.status_code == 200
    assert _counter_names(branch) == ["Counter 1", "Counter 2"]


@pytest.mark.parametrize("htmx", [False, True], ids=["page", "htmx"])
def test_counter_with_a_name_already_used_is_refused_beside_the_name(signed_in, branch, counter, htmx):
    response = signed_in.post(f"/settings/branches/{branch.id}/counters", {"name": "counter 1"}, htmx=htmx)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    counters = element(html, "counters")
    assert "This branch already has a counter with that name." in field_text(counters, "new-counter-name")
    assert is_fragment(html) is htmx
    assert _counter_names(branch) == ["Counter 1"]


def test_renaming_a_counter_to_a_used_name_is_refused(signed_in, branch, counter):
    factories.CounterFactory(branch=branch, name="Counter 2")
    response = signed_in.post(f"/settings/counters/{counter.id}", {"name": "Counter 2", "active": "y"}, htmx=True)
    assert "This branch already has a counter with that name." in text(response.get_data(as_text=True))
    assert _counter_names(branch) == ["Counter 1", "Counter 2"]


def test_switching_a_counter_off_hides_its_pair_button(signed_in, branch, counter):
    response = signed_in.post(f"/settings/counters/{counter.id}", {"name": "Counter 1"}, htmx=True)
    assert response.status_code == 200
    row = element(response.get_data(as_text=True), f"counter-{counter.id}")
    assert "Pair this browser" not in row
    db.session.expire_all()
    assert not db.session.get(Counter, counter.id).active


def test_accountant_cannot_open_or_change_settings(browser, merchant, roles, branch):
    accountant = factories.UserFactory(merchant=merchant, role=roles["Accountant"], all_branches=True)
    browser.sign_in(accountant)
    assert browser.get(f"/settings/branches/{branch.id}").status_code == 403
    assert browser.post("/settings/branches", BRANCH).status_code == 403
    assert _branch(merchant, "DHA") is None


@pytest.mark.parametrize(
    "path",
    [
        "/settings/business",
        "/settings/selling",
        "/settings/payment-types",
        "/settings/locations",
        "/settings/sync",
        "/shopify",
    ],
)
def test_every_settings_screen_marks_settings_as_the_current_area(signed_in, path):
    html = signed_in.get(path).get_data(as_text=True)
    assert '<a href="/settings/business" class="nav-link is-current" aria-current="page">Settings</a>' in html
    assert html.count('aria-current="page"') == 1
