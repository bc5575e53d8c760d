"""Settings → Returns: the return window, returns at another branch, the refund limit, and the return reasons (added,
renamed, not sellable, switched off; codes kept); owners and managers, bad input beside its field, audited."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from ismartsync.extensions import db
from ismartsync.models import AuditEntry, ReturnReason
from ismartsync.services.returns.reasons import return_reasons, seed_return_reasons
from tests.markup import is_fragment, text_of

SETTINGS = {"return_window_days": "30", "returns_at_other_branches": "", "refund_approval": "5000"}


@pytest.fixture(autouse=True)
def reasons(merchant):
    """The default reasons, as sign-up gives every merchant."""
    return {r.code: r for r in seed_return_reasons(db.session, merchant)}


def _reason(code: str) -> ReturnReason:
    db.session.expire_all()
    return db.session.scalars(select(ReturnReason).where(ReturnReason.code == code)).one()


def test_the_page_shows_the_settings_and_the_reasons(browser, owner):
    browser.sign_in(owner)
    html = browser.get("/settings/returns").get_data(as_text=True)
    assert 'value="14"' in html  # the window every merchant starts with
    reasons = text_of(html, "return-reasons")
    for label in ("Wrong size", "Wrong colour", "Defective", "Changed mind", "Other"):
        assert label in html
    assert "code wrong_size" in reasons and "Add a reason" in reasons
    assert "/settings/returns" in html  # the tab


@pytest.mark.parametrize("role_fixture", ["owner", "manager"])
def test_owners_and_managers_save_the_settings_audited(role_fixture, request, browser, merchant):
    browser.sign_in(request.getfixturevalue(role_fixture))

    response = browser.post("/settings/returns", SETTINGS, htmx=True)

    assert response.status_code == 200 and is_fragment(response.get_data(as_text=True))
    assert "Returns settings saved." in response.get_data(as_text=True)
    db.session.expire_all()
    assert (merchant.return_window_days, merchant.returns_at_other_branches, merchant.refund_approval_minor) == (
        30,
        False,
        500_000,
    )
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "settings.returns")).one()
    assert entry.after["return_window_days"] == 30


def test_a_blank_refund_limit_is_no_limit(browser, owner, merchant):
    merchant.refund_approval_minor = 100_000
    db.session.commit()
    browser.sign_in(owner)
    assert browser.post("/settings/returns", SETTINGS | {"refund_approval": ""}).status_code == 200
    db.session.expire_all()
    assert merchant.refund_approval_minor == 0


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("return_window_days", "0", "Enter 1 to 365 days."),
        ("return_window_days", "366", "Enter 1 to 365 days."),
        ("return_window_days", "", "Enter the number of days."),
        ("return_window_days", "٣", ""),
        ("refund_approval", "-5", "Enter Rs 0 to Rs 100,000,000."),
        ("refund_approval", "lots", ""),
    ],
)
def test_bad_values_are_refused_beside_their_field(field, value, message, browser, owner, merchant):
    browser.sign_in(owner)

    response = browser.post("/settings/returns", SETTINGS | {field: value}, htmx=True)

    assert response.status_code == 422
    beside = text_of(response.get_data(as_text=True), f"field-{field}")
    assert beside.strip() and message in beside
    db.session.expire_all()
    assert merchant.return_window_days == 14


def test_adding_a_reason_makes_a_stable_code(browser, owner):
    browser.sign_in(owner)

    response = browser.post(
        "/settings/returns/reasons", {"new-label": "Stained / marked", "new-sellable": ""}, htmx=True
    )

    assert response.status_code == 200
    added = _reason("stained_marked")
    assert (added.label, added.sellable, added.restock, added.active) == ("Stained / marked", False, False, True)
    assert "Stained / marked" in text_of(response.get_data(as_text=True), "return-reasons")
    assert added.code in [r.code for r in return_reasons(db.session, added.merchant_id)]


def test_a_reason_without_a_name_is_refused_beside_it(browser, owner):
    browser.sign_in(owner)
    response = browser.post("/settings/returns/reasons", {"new-label": "  "}, htmx=True)
    assert response.status_code == 422
    assert "Give the reason a name" in text_of(response.get_data(as_text=True), "field-new-label")


def test_renaming_marking_and_switching_off_keep_the_code(browser, owner, reasons):
    browser.sign_in(owner)
    reason = reasons["changed_mind"]
    prefix = f"r{reason.id}-"

    response = browser.post(
        f"/settings/returns/reasons/{reason.id}",
        {prefix + "label": "No longer wanted", prefix + "restock": "y"},
        htmx=True,
    )

    assert response.status_code == 200
    changed = _reason("changed_mind")
    assert (changed.label, changed.sellable, changed.restock, changed.active) == (
        "No longer wanted",
        False,
        False,  # what cannot be sold again never goes back on the shelf
        False,
    )
    assert "changed_mind" not in [r.code for r in return_reasons(db.session, changed.merchant_id)]
    audit = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "settings.return_reason")).one()
    assert audit.after["active"] is False


def test_a_long_name_is_refused_beside_the_reason(browser, owner, reasons):
    browser.sign_in(owner)
    reason = reasons["other"]
    response = browser.post(f"/settings/returns/reasons/{reason.id}", {f"r{reason.id}-label": "x" * 81}, htmx=True)
    assert response.status_code == 422
    assert "Up to 80 characters." in text_of(response.get_data(as_text=True), f"field-r{reason.id}-label")
    assert _reason("other").label == "Other"


def test_a_cashier_may_not_open_or_change_them(browser, cashier, reasons):
    browser.sign_in(cashier)
    assert browser.get("/settings/returns").status_code == 403
    assert browser.post("/settings/returns", SETTINGS).status_code == 403
    assert browser.post("/settings/returns/reasons", {"new-label": "Mine"}).status_code == 403
    reason = reasons["other"]
    assert browser.post(f"/settings/returns/reasons/{reason.id}", {f"r{reason.id}-label": "Mine"}).status_code == 403
