"""The drawer reports' PDFs: file names a download and a header can carry, and what the Z report prints."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

import pytest

from ismartsync.documents.drawer_reports import day_filename, register_filename, shift_filename
from ismartsync.extensions import db
from ismartsync.services.audit import Actor
from ismartsync.services.cash.drawer import Count, close_shift
from ismartsync.services.cash.registers import close_register, current_shift
from tests.documents.pdf import pdf_pages, pdf_printed_pages, pdf_text


def test_file_names_say_x_or_z_branch_counter_day_and_cashier_safely(sale, cashier, branch, counter, manager):
    shift = current_shift(db.session, cashier)
    cashier.full_name = 'Sana "Ice" Iqbal/Lahore'
    day = shift.register.opened_at.astimezone(ZoneInfo("Asia/Karachi")).date().isoformat()

    assert shift_filename(shift) == f"X-GUL-C{counter.id}-{day}-Sana-Ice-Iqbal-Lahore.pdf"
    close_shift(db.session, Actor(manager), shift, Count(shift.expected_cash_minor))
    close_register(db.session, Actor(manager), shift.register)
    assert shift_filename(shift).startswith("Z-GUL-")
    assert register_filename(shift.register) == f"Z-register-GUL-C{counter.id}-{day}.pdf"
    assert day_filename(branch, date(2026, 12, 4)) == "Day-GUL-2026-12-04.pdf"


def test_the_z_report_pdf_prints_the_mixed_sale_and_the_drawer(browser, sale, cashier, manager):
    """The fixture sale: Rs 4,391 paid Rs 2,000 by card and Rs 3,000 cash, Rs 609 change; Rs 5,000 float."""
    shift = current_shift(db.session, cashier)
    close_shift(db.session, Actor(manager), shift, Count(shift.expected_cash_minor))
    db.session.commit()
    browser.sign_in(manager)

    pdf = browser.get(f"/shifts/{shift.id}/report.pdf").data

    pages = pdf_pages(pdf)
    text = pdf_text(pdf)
    assert pages[0].startswith("Zari · Gulberg · Counter 1 Z report — shift close")
    assert "Card 1 Rs 2,000" in text and "Cash 1 Rs 2,391" in text
    assert "Cash tendered Rs 3,000" in text and "Change given -Rs 609" in text
    assert "Expected in drawer Rs 7,391" in text and "Counted Rs 7,391" in text and "Exact" in text
    assert f"Page {len(pages)} of {len(pages)}" in pages[-1]


LONG_NAMES = {"closer": "Bilal Ahmed Chaudhry Siddiqui", "cashier": "Muhammad Abdullah Rehman Qureshi"}


@pytest.fixture
def long_named_close(sale, cashier, manager):
    """The fixture sale's shift and register closed, by people whose full names are long (as many are)."""
    manager.full_name, cashier.full_name = LONG_NAMES["closer"], LONG_NAMES["cashier"]
    shift = current_shift(db.session, cashier)
    close_shift(db.session, Actor(manager), shift, Count(shift.expected_cash_minor))
    close_register(db.session, Actor(manager), shift.register)
    db.session.commit()
    return shift


@pytest.mark.parametrize("report", ["shift", "register", "day"])
def test_the_reports_print_full_names_on_the_paper_and_each_heading_once(report, browser, long_named_close, branch):
    shift = long_named_close
    day = shift.register.opened_at.astimezone(ZoneInfo("Asia/Karachi")).date().isoformat()
    url = {
        "shift": f"/shifts/{shift.id}/report.pdf",
        "register": f"/registers/{shift.register_id}/report.pdf",
        "day": f"/registers/days/{branch.id}/{day}/report.pdf",
    }[report]
    browser.sign_in(shift.closed_by)

    pdf = browser.get(url).data

    printed = " ".join(pdf_printed_pages(pdf))
    assert printed == pdf_text(pdf), "some text runs off the paper"
    assert LONG_NAMES["cashier"] in printed
    if report != "day":
        assert f"by {LONG_NAMES['closer']}" in printed
    assert "Sales Sales" not in printed and "Sales Number of sales 1" in printed
