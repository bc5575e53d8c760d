"""The audit log screen: filters by who, where, what and when; the CSV export follows the same filters."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest

from ismartsync.extensions import db
from ismartsync.permissions import Effect, Permission
from ismartsync.services.audit import Actor
from ismartsync.services.roles import set_grant
from tests import factories
from tests.markup import element, is_fragment, text_of

CSV_HEADER = ["time", "action", "summary", "by", "approved by", "branch", "counter", "target", "before", "after", "ip"]


@pytest.fixture
def entries(merchant, owner, manager, cashier, branch, other_merchant):
    """A few entries at known times (UTC); Karachi is UTC+5."""
    dha = factories.BranchFactory(merchant=merchant, name="DHA", code="DHA")

    def entry(summary, action, actor, at, branch=None, **extra):
        return factories.AuditEntryFactory(
            merchant=merchant, summary=summary, action=action, actor_id=actor.id, created_at=at, branch=branch, **extra
        )

    entry("Invited Zara", "staff.invite", owner, datetime(2026, 1, 10, 6, 0, tzinfo=UTC), branch)
    entry("Renamed Gulberg", "branch.update", manager, datetime(2026, 1, 14, 20, 30, tzinfo=UTC), branch)
    entry(
        "Approved a refund",
        "approval",
        cashier,
        datetime(2026, 1, 20, 9, 0, tzinfo=UTC),
        dha,
        approver_id=manager.id,
        after={"permission": "action.refund"},
    )
    factories.AuditEntryFactory(merchant=other_merchant, summary="Their secret change", created_at=datetime.now(UTC))


def _summaries(browser, query: str = "") -> list[str]:
    response = browser.get(f"/audit{query}")
    assert response.status_code == 200
    table = text_of(response.get_data(as_text=True), "audit-table")
    names = ["Invited Zara", "Renamed Gulberg", "Approved a refund", "Their secret change"]
    return [name for name in names if name in table]


@pytest.fixture
def signed_in(browser, owner):
    browser.sign_in(owner)
    return browser


def test_audit_log_lists_this_merchants_entries_newest_first(signed_in, entries):
    page = signed_in.get("/audit").get_data(as_text=True)
    table = text_of(page, "audit-table")
    assert table.index("Approved a refund") < table.index("Renamed Gulberg") < table.index("Invited Zara")
    assert "Their secret change" not in table
    assert "approved by Bilal Ahmed" in table


def test_audit_log_filters_by_who_acted(signed_in, entries, manager):
    assert _summaries(signed_in, f"?actor={manager.id}") == ["Renamed Gulberg"]


def test_audit_log_filters_by_branch(signed_in, entries, branch):
    assert _summaries(signed_in, f"?branch={branch.id}") == ["Invited Zara", "Renamed Gulberg"]


def test_audit_log_filters_by_kind_of_action(signed_in, entries):
    assert _summaries(signed_in, "?action=staff.") == ["Invited Zara"]
    assert _summaries(signed_in, "?action=approval") == ["Approved a refund"]


def test_audit_log_filters_by_local_dates(signed_in, entries):
    # 14 Jan 20:30 UTC is 15 Jan 01:30 in Karachi: it belongs to the 15th.
    assert _summaries(signed_in, "?since=2026-01-15") == ["Renamed Gulberg", "Approved a refund"]
    assert _summaries(signed_in, "?until=2026-01-14") == ["Invited Zara"]
    assert _summaries(signed_in, "?since=2026-01-15&until=2026-01-15") == ["Renamed Gulberg"]


def test_audit_log_ignores_a_malformed_date(signed_in, entries):
    assert len(_summaries(signed_in, "?since=yesterday")) == 3


def test_filter_change_over_htmx_returns_only_the_table(signed_in, entries, manager):
    response = signed_in.get(f"/audit?actor={manager.id}", headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert is_fragment(html) and element(html, "audit-table") is not None
    assert "HX-Request" in response.headers["Vary"]


def test_audit_log_pages_through_long_histories(signed_in, merchant, owner):
    for n in range(51):
        factories.AuditEntryFactory(merchant=merchant, actor_id=owner.id, summary=f"Change number {n:02d}")
    first = signed_in.get("/audit").get_data(as_text=True)
    assert "Older" in text_of(first, "audit-table")
    second = text_of(signed_in.get("/audit?page=2").get_data(as_text=True), "audit-table")
    assert "Change number 00" in second and "Change number 50" not in second


def _csv(browser, query: str = "") -> list[list[str]]:
    response = browser.get(f"/audit/export.csv{query}")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == 'attachment; filename="audit-log.csv"'
    return list(csv.reader(io.StringIO(response.get_data(as_text=True))))


def test_csv_export_has_a_header_row_and_every_entry(signed_in, entries):
    rows = _csv(signed_in)
    assert rows[0] == CSV_HEADER
    assert [r[2] for r in rows[1:]] == ["Approved a refund", "Renamed Gulberg", "Invited Zara"]
    refund = rows[1]
    assert refund[0] == "2026-01-20 14:00:00"  # local time
    assert (refund[1], refund[3], refund[4], refund[5]) == ("approval", "Sana Iqbal", "Bilal Ahmed", "DHA")


def test_csv_export_follows_the_filters(signed_in, entries, manager, branch):
    assert [r[2] for r in _csv(signed_in, f"?actor={manager.id}")[1:]] == ["Renamed Gulberg"]
    assert [r[2] for r in _csv(signed_in, f"?branch={branch.id}&since=2026-01-15")[1:]] == ["Renamed Gulberg"]
    assert _csv(signed_in, "?action=device.")[1:] == []


def test_accountant_exports_but_cashier_sees_no_audit_log(browser, make_browser, merchant, roles, cashier, entries):
    accountant = factories.UserFactory(merchant=merchant, role=roles["Accountant"], all_branches=True)
    browser.sign_in(accountant)
    assert len(_csv(browser)) == 4
    at_counter = make_browser()
    at_counter.sign_in(cashier)
    assert at_counter.get("/audit").status_code == 403
    assert at_counter.get("/audit/export.csv").status_code == 403


def test_export_button_only_for_roles_that_may_export(browser, owner, roles, merchant):
    set_grant(db.session, Actor(owner), roles["Accountant"], Permission.EXPORT, Effect.BLOCKED)
    accountant = factories.UserFactory(merchant=merchant, role=roles["Accountant"], all_branches=True)
    browser.sign_in(accountant)
    assert "Export CSV" not in text_of(browser.get("/audit").get_data(as_text=True), "audit-filters")
    assert browser.get("/audit/export.csv").status_code == 403
