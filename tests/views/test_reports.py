"""The report screens and their exports, over the scripted days of tests/services/cash/scripted_days.py."""

from __future__ import annotations

import csv
import io
import re

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from ismartsync.extensions import db
from ismartsync.models import AuditEntry, Role
from ismartsync.permissions import Effect, Permission
from ismartsync.services.audit import Actor
from ismartsync.services.roles import set_grant
from tests import factories
from tests.markup import element, is_fragment, text, text_of
from tests.services.cash.scripted_days import scripted_days

PAGES = ["/reports/shifts", "/reports/over-short", "/reports/cashiers", "/reports/cash-logs"]
EXPORTS = [f"{page}.{fmt}" for page in PAGES for fmt in ("csv", "xlsx")]


@pytest.fixture
def day(merchant, owner, manager, cashier, branch, counter):
    return scripted_days(merchant, owner, manager, cashier, branch, counter)


@pytest.fixture
def signed_in(browser, day):
    browser.sign_in(day.bilal)  # a manager across every branch
    return browser


def _rows(html: str, table_id: str) -> list[str]:
    """The body rows of one table as read on screen."""
    table = element(html, table_id) or ""
    body = re.search(r"<tbody>(.*?)</tbody>", table, re.S)
    return [text(row) for row in re.findall(r"<tr\b.*?</tr>", body.group(1) if body else "", re.S)]


def _page(browser, path: str) -> str:
    response = browser.get(path)
    assert response.status_code == 200, response.get_data(as_text=True)[:2000]
    return response.get_data(as_text=True)


def _csv(browser, path: str) -> list[list[str]]:
    response = browser.get(path)
    assert response.status_code == 200 and response.mimetype == "text/csv"
    return list(csv.reader(io.StringIO(response.get_data(as_text=True))))


def _xlsx(browser, path: str):
    response = browser.get(path)
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return load_workbook(io.BytesIO(response.get_data())).active


def test_the_shifts_report_lists_each_shift_with_its_figures_and_a_total(signed_in, day):
    html = _page(signed_in, "/reports/shifts")
    rows = _rows(html, "shifts-table")
    assert [r.split(" Gulberg")[0].split(" DHA")[0] for r in rows] == ["Omar Farooq", "Bilal Ahmed", "Sana Iqbal"]
    sana = rows[2]
    assert sana.startswith("Sana Iqbal Gulberg · Counter 1 14 Jan 2026, 09:00 ")  # then when it was closed
    assert sana.endswith(" Rs 5,000 Rs 4,490 Rs 100 Rs 2,000 Rs 0 Rs 7,590 Rs 7,580 -Rs 10 short —")
    assert "+Rs 700 over" in rows[1] and day.owner.full_name in rows[1] and "Change not given back" in rows[1]
    assert "open" in rows[0] and "Rs 4,950" in rows[0]
    total = text_of(html, "shifts-total")
    # Opening, Expected and Counted are not added up: Bilal's float is the Rs 7,580 Sana counted and handed over.
    assert total == "Total of 3 — Rs 5,489 Rs 100 Rs 2,050 Rs 0 — — +Rs 690 over"
    assert 'class="os os-short"' in (element(html, f"shift-{day.sana_shift.id}") or "")
    assert f'href="/shifts/{day.sana_shift.id}"' in html  # each row opens the shift's own report


def test_the_total_of_one_drawer_handed_over_counts_its_cash_once(signed_in, day):
    html = _page(signed_in, f"/reports/shifts?register={day.sana_shift.register_id}")
    rows = _rows(html, "shifts-table")
    assert " Rs 7,580 Rs 999 " in rows[0] and " Rs 7,580 -Rs 10 short " in rows[1]  # Sana's count is Bilal's float
    # Not "Rs 12,580" of floats for a drawer that started with Rs 5,000, nor Rs 16,169 expected or Rs 16,859 counted.
    assert text_of(html, "shifts-total") == "Total of 2 — Rs 5,489 Rs 100 Rs 2,000 Rs 0 — — +Rs 690 over"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("branch={dha}", ["Omar Farooq"]),
        ("cashier={sana}", ["Sana Iqbal"]),
        ("status=closed", ["Bilal Ahmed", "Sana Iqbal"]),
        ("since=2026-01-15", ["Omar Farooq", "Bilal Ahmed"]),
        ("until=2026-01-14", ["Sana Iqbal"]),
        ("counter={dha_counter}", ["Omar Farooq"]),
        ("register={register}", ["Bilal Ahmed", "Sana Iqbal"]),
    ],
)
def test_the_filters_narrow_the_page_and_both_exports_alike(signed_in, day, query, expected):
    query = query.format(
        dha=day.dha.id,
        sana=day.sana.id,
        dha_counter=day.dha_counter.id,
        register=day.sana_shift.register_id,
    )
    on_screen = [
        r.split(" Gulberg")[0].split(" DHA")[0]
        for r in _rows(_page(signed_in, f"/reports/shifts?{query}"), "shifts-table")
    ]
    assert on_screen == expected
    assert [r[3] for r in _csv(signed_in, f"/reports/shifts.csv?{query}")[1:]] == expected
    sheet = _xlsx(signed_in, f"/reports/shifts.xlsx?{query}")
    assert [r[3] for r in list(sheet.iter_rows(values_only=True))[1:]] == expected


def test_the_csv_has_rupees_as_text_and_local_times(signed_in, day):
    rows = _csv(signed_in, f"/reports/shifts.csv?cashier={day.sana.id}")
    assert rows[0][:8] == ["Shift", "Branch", "Counter", "Cashier", "Status", "Opened", "Closed", "Opening float"]
    sana = dict(zip(rows[0], rows[1], strict=True))
    assert (sana["Shift"], sana["Branch"], sana["Opened"]) == (str(day.sana_shift.id), "Gulberg", "2026-01-14 09:00:00")
    assert sana["Cash refunds"] == "0.00"  # the drawer's column: card, bank and wallet refunds never left it
    assert [
        sana[k] for k in ("Opening float", "Cash sales", "Cash in", "Cash out", "Expected", "Counted", "Over/short")
    ] == [
        "5000.00",
        "4490.00",
        "100.00",
        "2000.00",
        "7590.00",
        "7580.00",
        "-10.00",
    ]


def test_the_xlsx_has_rupees_as_formatted_numbers(signed_in, day):
    sheet = _xlsx(signed_in, f"/reports/shifts.xlsx?cashier={day.bilal.id}")
    headers = [c.value for c in sheet[1]]
    bilal = {h: c for h, c in zip(headers, sheet[2], strict=True)}
    assert (bilal["Expected"].value, bilal["Counted"].value, bilal["Over/short"].value) == (8579, 9279, 700)
    assert bilal["Over/short"].number_format == "#,##0.00" and bilal["Over/short"].data_type == "n"
    assert bilal["Approved by"].value == day.owner.full_name and bilal["Reason"].value == "Change not given back"
    assert bilal["Opened"].value.strftime("%Y-%m-%d %H:%M") == "2026-01-15 00:30"


def test_an_export_is_a_named_download_and_is_audited(signed_in, day):
    response = signed_in.get(f"/reports/cash-logs.xlsx?since=2026-01-14&until=2026-01-15&branch={day.gulberg.id}")
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="cash-logs-from-2026-01-14-to-2026-01-15.xlsx"'
    )
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "report.export")).one()
    assert (entry.actor_id, entry.branch_id) == (day.bilal.id, day.gulberg.id)
    assert entry.after["report"] == "cash_logs" and entry.after["format"] == "xlsx" and entry.after["rows"] == 2
    assert entry.after["filters"]["since"] == "2026-01-14"


def test_the_export_links_carry_the_filters_on_screen(signed_in, day):
    html = _page(signed_in, f"/reports/over-short?branch={day.gulberg.id}&since=2026-01-14")
    links = element(html, "report-exports") or ""
    assert f"/reports/over-short.csv?branch={day.gulberg.id}&amp;since=2026-01-14" in links
    assert f"/reports/over-short.xlsx?branch={day.gulberg.id}&amp;since=2026-01-14" in links


def test_the_over_short_report_with_its_totals_and_exceptions(signed_in, day):
    html = _page(signed_in, "/reports/over-short")
    rows = _rows(html, "over-short-table")
    assert len(rows) == 2 and rows[0].startswith("Bilal Ahmed") and "+Rs 700 over Change not given back" in rows[0]
    assert rows[1].startswith("Sana Iqbal") and "-Rs 10 short" in rows[1]
    assert _rows(html, "over-short-branches") == ["Gulberg 1 1 +Rs 690 over"]
    assert _rows(html, "over-short-cashiers") == ["Bilal Ahmed 1 0 +Rs 700 over", "Sana Iqbal 0 1 -Rs 10 short"]
    assert _rows(html, "exceptions-table") == ["DHA Omar Farooq 1 1", "Gulberg Sana Iqbal 1 1 1 1 4"]
    csv_rows = _csv(signed_in, "/reports/over-short.csv")
    assert [(r[3], r[14]) for r in csv_rows[1:]] == [("Bilal Ahmed", "700.00"), ("Sana Iqbal", "-10.00")]


def test_the_cashiers_report_and_its_export(signed_in, day):
    html = _page(signed_in, "/reports/cashiers")
    assert _rows(html, "cashiers-table") == [
        "Sana Iqbal 2 Rs 4,490 Rs 2,245 0.0 % 1 100.0 % Rs 10",
        "Omar Farooq 1 Rs 2,990 Rs 2,990 0.0 % 0 — Rs 0",
        "Bilal Ahmed 1 Rs 999 Rs 999 0.0 % 1 0.0 % Rs 700",
    ]
    assert text_of(html, "cashiers-total") == "Total 4 Rs 8,479 Rs 2,119.75 0.0 % 2 50.0 % Rs 710"
    rows = _csv(signed_in, "/reports/cashiers.csv")
    assert rows[1] == ["Sana Iqbal", "2", "4490.00", "2245.00", "0.0", "1", "100.0", "10.00"]
    assert rows[2][6] == ""  # no closed shift: no accuracy, rather than a made-up 0
    sheet = _xlsx(signed_in, "/reports/cashiers.xlsx")
    assert list(sheet.iter_rows(values_only=True))[3] == ("Bilal Ahmed", 1, 999, 999, 0, 1, 0, 700)


def test_the_cash_log_ledger_with_its_totals_and_filters(signed_in, day):
    html = _page(signed_in, "/reports/cash-logs")
    assert text_of(html, "cash-log-totals") == "Cash in Rs 100 Cash out Rs 2,050 Net -Rs 1,950 Entries 3"
    rows = _rows(html, "cash-logs-table")
    assert rows[0] == "15 Jan 2026, 10:00 DHA Counter 1 Omar Farooq Omar Farooq — Petty cash Cash out Rs 50 Tea"
    assert _rows(html, "cash-log-reasons") == [
        "Float top-up 1 Rs 100 Rs 0 Rs 100",
        "Safe drop 1 Rs 0 Rs 2,000 -Rs 2,000",
        "Petty cash 1 Rs 0 Rs 50 -Rs 50",
    ]
    only_out = _page(signed_in, f"/reports/cash-logs?direction=out&member={day.sana.id}")
    assert [r.split(" Cash out ")[1] for r in _rows(only_out, "cash-logs-table")] == ["Rs 2,000"]
    rows = _csv(signed_in, f"/reports/cash-logs.csv?direction=out&member={day.sana.id}")
    assert rows[1][1:] == [
        "Gulberg",
        "Counter 1",
        "Sana Iqbal",
        "Sana Iqbal",
        "",
        "Cash out",
        "Safe drop",
        "2000.00",
        "",
    ]


def test_a_filter_change_answers_with_the_report_fragment(signed_in, day):
    response = signed_in.get(f"/reports/shifts?branch={day.dha.id}", headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and is_fragment(html)
    assert element(html, "report") is not None and element(html, "report-filters") is not None
    assert "HX-Request" in response.headers["Vary"]
    form = element(_page(signed_in, "/reports/shifts"), "report-filters") or ""
    assert 'hx-target="#report"' in form and 'hx-push-url="true"' in form and "change" in form


@pytest.mark.parametrize("path", PAGES)
def test_a_bad_date_is_refused_beside_its_field_not_an_error_page(signed_in, day, path):
    response = signed_in.get(f"{path}?since=14-01-2026")
    assert response.status_code == 422
    assert "Enter a date such as 2026-01-31." in text_of(response.get_data(as_text=True), "field-since")
    response = signed_in.get(f"{path}?since=2026-01-15&until=2026-01-14", headers={"HX-Request": "true"})
    assert response.status_code == 422
    assert "The end date is before the start date." in text_of(response.get_data(as_text=True), "field-until")
    assert signed_in.get(f"{path}.csv?until=yesterday").status_code == 422


def test_a_cashier_is_refused_every_report_and_export(browser, day):
    browser.sign_in(day.sana)
    for path in PAGES + EXPORTS:
        assert browser.get(path).status_code == 403, path


def test_a_role_that_may_not_export_sees_the_reports_but_no_download(browser, day, merchant, owner):
    auditor = Role(merchant=merchant, name="Auditor")
    db.session.add(auditor)
    db.session.flush()
    set_grant(db.session, Actor(owner), auditor, Permission.PAGE_REPORTS, Effect.ALLOWED)
    set_grant(db.session, Actor(owner), auditor, Permission.EXPORT, Effect.BLOCKED)
    member = factories.UserFactory(merchant=merchant, role=auditor, all_branches=True)
    db.session.commit()
    browser.sign_in(member)
    for path in PAGES:
        html = _page(browser, path)
        assert element(html, "report-exports") is None
    for path in EXPORTS:
        assert browser.get(path).status_code == 403, path
    assert db.session.scalars(select(AuditEntry).where(AuditEntry.action == "report.export")).all() == []


def test_another_merchants_ids_in_the_filters_are_not_found(signed_in, day, outsider, other_merchant):
    branch = factories.BranchFactory(merchant=other_merchant)
    counter = factories.CounterFactory(branch=branch)
    db.session.commit()
    for query in (f"branch={branch.id}", f"counter={counter.id}", f"cashier={outsider.id}", f"member={outsider.id}"):
        for path in ("/reports/shifts", "/reports/cash-logs.csv"):
            assert signed_in.get(f"{path}?{query}").status_code == 404, (path, query)
    assert signed_in.get("/reports/shifts?register=999999").status_code == 404


def test_a_branch_the_member_does_not_see_is_not_found(browser, day, merchant, roles):
    gulberg_accountant = factories.UserFactory(merchant=merchant, role=roles["Accountant"], branches=[day.gulberg])
    db.session.commit()
    browser.sign_in(gulberg_accountant)
    assert "DHA" not in text_of(_page(browser, "/reports/shifts"), "report")
    for query in (
        f"branch={day.dha.id}",
        f"counter={day.dha_counter.id}",
        f"register={day.omar_shift.register_id}",
        f"cashier={day.omar.id}",
    ):
        for path in PAGES:
            assert browser.get(f"{path}?{query}").status_code == 404, (path, query)
    assert [r.split(" Gulberg")[0] for r in _rows(_page(browser, "/reports/shifts"), "shifts-table")] == [
        "Bilal Ahmed",
        "Sana Iqbal",
    ]


def test_the_shifts_report_pages_through_long_histories(signed_in, day):
    html = _page(signed_in, "/reports/shifts")
    assert "Older" not in text_of(html, "report")
    assert _rows(_page(signed_in, "/reports/shifts?page=99999999999"), "shifts-table") == [
        "No shifts match these filters."
    ]


def test_a_date_out_of_range_is_refused_beside_its_field_not_a_crash(signed_in, day):
    response = signed_in.get(f"/reports/shifts?branch={day.gulberg.id}&until=9999-12-31")
    assert response.status_code == 422 and "Enter a date such as 2026-01-31." in response.get_data(as_text=True)
