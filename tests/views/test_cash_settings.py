"""Settings → Cash: the over/short tolerance, blind close, shift hours and grace, the drawer limit; the owner's only."""

from __future__ import annotations

from sqlalchemy import select

from ismartsync.extensions import db
from ismartsync.models import AuditEntry
from tests.markup import text_of


def test_cash_settings_save_and_refuse_bad_values(browser, owner, merchant, roles):
    browser.sign_in(owner)
    assert "Over/short tolerance" in browser.get("/settings/cash").get_data(as_text=True)
    fields = {
        "cash_tolerance": "250",
        "blind_close": "y",
        "max_shift_hours": "9.5",
        "shift_grace_minutes": "15",
        "drawer_limit": "75000",
    }
    assert browser.post("/settings/cash", fields, htmx=True).status_code == 200
    db.session.expire_all()
    assert (
        merchant.cash_tolerance_minor,
        merchant.blind_close,
        merchant.max_shift_minutes,
        merchant.shift_grace_minutes,
        merchant.drawer_limit_minor,
    ) == (25_000, True, 570, 15, 7_500_000)
    bad = browser.post("/settings/cash", fields | {"max_shift_hours": "30"}, htmx=True)
    assert bad.status_code == 422 and "Enter 0 to 24 hours." in text_of(
        bad.get_data(as_text=True), "field-max_shift_hours"
    )
    assert db.session.scalars(select(AuditEntry).where(AuditEntry.action == "settings.cash")).one()


def test_a_cashier_may_not_change_the_cash_settings(browser, cashier):
    browser.sign_in(cashier)
    assert browser.get("/settings/cash").status_code == 403
    assert browser.post("/settings/cash", {"cash_tolerance": "0"}).status_code == 403


def test_only_the_owner_changes_the_cash_rules(browser, manager):
    browser.sign_in(manager)
    page = browser.get("/settings/cash").get_data(as_text=True)
    assert "Only the owner changes these." in page
    assert browser.post("/settings/cash", {"cash_tolerance": "100000"}).status_code == 403
