"""Closing a register and the day on a tablet, each after a confirm step that says what it closes, and an owner
reopening the day with a reason: htmx posts the steps in place, the whole window moves on when they are done."""

from __future__ import annotations

import pytest
from flask import Flask
from playwright.sync_api import expect
from sqlalchemy import select

from ismartsync.extensions import db
from ismartsync.models import Branch, Counter, User, Variant
from ismartsync.services.cash.drawer import Count, close_shift
from ismartsync.services.cash.registers import current_shift
from tests.browser.conftest import Demo, Tablet
from tests.browser.steps import sign_in_with_password
from tests.browser.test_layout import check_screen
from tests.selling import open_till, sell

pytestmark = pytest.mark.browser


@pytest.fixture
def counted(live_app: Flask, demo: Demo, stocked: None) -> None:
    """Sana sold a lawn suit for cash on Gulberg's Counter 1 and counted her drawer closed, Rs 10 short."""
    with live_app.app_context():
        branch = db.session.get(Branch, demo.gulberg_id)
        counter = db.session.scalar(select(Counter).where(Counter.branch_id == branch.id, Counter.name == "Counter 1"))
        bilal = db.session.scalar(select(User).where(User.full_name == "Bilal Ahmed"))
        sana = db.session.scalar(select(User).where(User.full_name == "Sana Iqbal"))
        till = open_till(bilal, sana, counter)
        sell(till, counter, db.session.scalar(select(Variant).where(Variant.sku == "ZR-700")))
        shift = current_shift(db.session, sana)
        close_shift(db.session, till, shift, Count(shift.expected_cash_minor - 10_00), note="A Rs 10 coin missing")
        db.session.commit()


def test_closing_the_register_and_the_day_asks_first_and_the_owner_reopens_it(tablet: Tablet, counted: None) -> None:
    page = tablet.page
    sign_in_with_password(page, "Ayesha Khan")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Registers").click()
    page.get_by_label("Branch").select_option(label="Gulberg")
    drawer = page.locator(".drawer").filter(has_text="Counter 1")
    expect(drawer).to_contain_text("Register open")

    drawer.get_by_role("link", name="Close register…").click()
    step = page.locator("#close-register")
    expect(page.get_by_role("heading", name="Close the register on Counter 1?")).to_be_visible()
    expect(step.locator("#close-register-shifts")).to_contain_text("Sana Iqbal")
    expect(step.locator("#close-register-figures")).to_contain_text("Short Rs 10")
    check_screen(tablet, "close-register")
    step.get_by_role("button", name="Close the register on Counter 1").click()
    expect(page.locator("#flashes")).to_contain_text("Closed the register on")
    expect(page.locator(".drawer").filter(has_text="Counter 1")).to_contain_text("No open register")

    page.locator("#day-close").get_by_role("link", name="Close the day…").click()
    step = page.locator("#close-day")
    expect(step).to_contain_text("no register can start at Gulberg until tomorrow")
    expect(step.locator("#close-day-total")).to_contain_text("Short Rs 10")
    expect(step.locator("#close-day-shifts")).to_contain_text("Sana Iqbal")
    step.get_by_label("Note for the day report (optional)").fill("Counted by Ayesha")
    check_screen(tablet, "close-day")
    step.get_by_role("button", name="Close the day at Gulberg").click()
    expect(page.locator("#day-report")).to_contain_text("Day closed")
    expect(page.locator("#day-report")).to_contain_text("Counted by Ayesha")

    page.get_by_role("link", name="Registers · Gulberg").click()
    page.locator("#day-close").get_by_role("link", name="Reopen the day…").click()
    step = page.locator("#reopen-day")
    expect(step.locator("#reopen-day-closed")).to_contain_text("counted")
    step.get_by_role("button", name="Reopen the day").click()  # no reason yet: said beside the field, in place
    expect(page.locator("#field-reason")).to_contain_text("Say why the day is reopened")
    check_screen(tablet, "reopen-day")
    page.get_by_label("Why is the day reopened?").fill("A late delivery to sell")
    page.get_by_role("button", name="Reopen the day").click()
    expect(page.locator("#flashes")).to_contain_text("registers can start again")
    day_close = page.locator("#day-close")
    expect(day_close).to_contain_text("A late delivery to sell")
    expect(day_close.get_by_role("link", name="Close the day…")).to_be_visible()
    assert tablet.unexpected_errors(allowed_statuses={422}) == []
