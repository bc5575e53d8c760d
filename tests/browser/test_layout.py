"""Every main screen at tablet sizes: thumb-sized targets, no sideways scrolling, a quiet console."""

from __future__ import annotations

import io
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from PIL import Image
from playwright.sync_api import Page, expect
from sqlalchemy import select

from ismartsync.extensions import db
from ismartsync.models import Branch, Counter, User, Variant
from tests.browser.conftest import Demo, Tablet
from tests.browser.steps import STAFF, pair_this_browser, sign_in_with_password
from tests.selling import open_till, sell

pytestmark = pytest.mark.browser

MIN_TARGET_PX = 44
# Checkboxes and radios are tapped through their label, so the label is what must be big enough.
SMALL_TARGETS = """(min) => {
  const shown = (el) => {
    const box = el.getBoundingClientRect(), style = getComputedStyle(el);
    return box.width > 1 && box.height > 1 && style.visibility !== "hidden";
  };
  const name = (el) => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") + (el.name ? `[name=${el.name}]` : "")
    + ` "${(el.textContent || el.value || "").trim().slice(0, 30)}"`;
  return [...document.querySelectorAll("button, a.btn, input:not([type=hidden]), select, textarea")]
    .filter(shown)
    .map((el) => [el, ["checkbox", "radio"].includes(el.type) ? el.closest("label") || el : el])
    .filter(([, target]) => target.getBoundingClientRect().height < min)
    .map(([el, target]) => `${name(el)}: ${Math.round(target.getBoundingClientRect().height)}px`);
}"""
# What sticks out sideways; the roles matrix scrolls inside its own box on purpose.
OVERFLOW = """() => {
  const width = window.innerWidth;
  if (document.documentElement.scrollWidth <= width) return [];
  return [...document.body.querySelectorAll("*")]
    .filter((el) => el.getBoundingClientRect().right > width + 1 && !el.parentElement.closest(".matrix-wrap"))
    .map((el) => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") + (el.className ? "." + el.className : ""))
    .slice(0, 12)
    .concat([`scrollWidth ${document.documentElement.scrollWidth} > ${width}`]);
}"""


def check_screen(tablet: Tablet, name: str) -> None:
    page: Page = tablet.page
    page.wait_for_load_state("load")
    assert page.evaluate(SMALL_TARGETS, MIN_TARGET_PX) == [], f"targets under {MIN_TARGET_PX}px on {name}"
    assert page.evaluate(OVERFLOW) == [], f"{name} scrolls sideways"
    tablet.shoot(name)


def test_main_screens_fit_the_tablet_and_fingers(tablet: Tablet, demo: Demo) -> None:
    page = tablet.page
    page.goto("/sign-in")
    check_screen(tablet, "sign-in")
    sign_in_with_password(page, "Ayesha Khan")
    pair_this_browser(page, "Gulberg", "Counter 1")

    screens = {
        "dashboard": "/",
        "staff": "/staff",
        "staff-invite": "/staff/invite",
        "roles": "/roles",
        "rosters": "/rosters",
        "settings-business": "/settings/business",
        "settings-selling": "/settings/selling",
        "settings-payment-types": "/settings/payment-types",
        "settings-branches": "/settings/branches",
        "settings-branch": f"/settings/branches/{demo.gulberg_id}",
        "settings-fbr": "/settings/fbr",
        "settings-cash": "/settings/cash",
        "audit": "/audit",
        "account": "/account",
        "products": "/products",
        "customers": "/customers",
        "shopify": "/shopify",
        "locations-import": "/settings/locations",
        "sync-health": "/settings/sync",
        "stock-differences": "/inventory/drift",
        "counter": "/counter",
        "sales": "/sales",
        "online-orders": "/online-orders",
        "fbr-reporting": "/fiscal",
        "registers": "/registers",
        "report-shifts": "/reports/shifts",
        "report-over-short": "/reports/over-short",
        "report-cashiers": "/reports/cashiers",
        "report-cash-logs": "/reports/cash-logs",
    }
    for name, path in screens.items():
        page.goto(path)
        expect(page.locator("main h1").first).to_be_visible()
        check_screen(tablet, name)

    page.get_by_role("button", name="Lock").click()
    expect(page.locator("#locked")).to_be_visible()
    check_screen(tablet, "locked")

    page.get_by_role("link", name="Switch user").click()
    expect(page.locator("#pin-pad")).to_be_visible()
    check_screen(tablet, "pin-pad")
    page.locator(".user-tile").filter(has_text="Sana Iqbal").click()
    expect(page.locator("#pin-entry")).to_be_visible()
    check_screen(tablet, "pin-entry")
    assert STAFF["Sana Iqbal"][1]  # the PIN pad lists the cashier by name; the PIN is hers alone

    assert tablet.console_errors == []


# How dark the scroller's left and right edges are, row by row: the share of pixels in a 2 px strip just inside each
# edge that are darker than the card (white) by more than a trace. Text and row lines darken a few; a shade, all.
EDGE_STRIP_PX = 2


def _shaded_share(png: bytes) -> dict[str, float]:
    image = Image.open(io.BytesIO(png)).convert("L")
    width, height = image.size
    pixels = image.load()

    def share(xs: range) -> float:
        dark = sum(1 for y in range(height) if min(pixels[x, y] for x in xs) < 245)
        return dark / height

    return {
        "left": share(range(1, 1 + EDGE_STRIP_PX)),
        "right": share(range(width - 1 - EDGE_STRIP_PX, width - 1)),
    }


def test_a_table_wider_than_its_card_shades_the_edge_where_columns_are_hidden(
    tablet: Tablet, demo: Demo, live_app: Flask, stocked: None
) -> None:
    with live_app.app_context():
        branch = db.session.get(Branch, demo.gulberg_id)
        counter = db.session.scalar(select(Counter).where(Counter.branch_id == branch.id, Counter.name == "Counter 1"))
        owner = db.session.scalar(select(User).where(User.full_name == "Ayesha Khan"))
        sana = db.session.scalar(select(User).where(User.full_name == "Sana Iqbal"))
        sana.full_name = "Sana Iqbal Rehman Qureshi"  # a long name, as many are
        sold = sell(open_till(owner, sana, counter), counter, db.session.scalars(select(Variant)).first())
        db.session.commit()
        register_id, day = sold.register_id, sold.placed_at.astimezone(ZoneInfo("Asia/Karachi")).date().isoformat()
    page = tablet.page
    sign_in_with_password(page, "Ayesha Khan")
    page.goto("/reports/shifts")
    scroller = page.locator(".table-scroll").filter(has=page.locator("#shifts-table"))
    expect(scroller).to_contain_text("Sana Iqbal Rehman Qureshi")
    hidden = scroller.evaluate("el => el.scrollWidth - el.clientWidth")
    assert hidden > 100, "the shifts report fits this screen: nothing to show"  # 12 columns: wider than any tablet

    at_start = _shaded_share(scroller.screenshot())
    tablet.shoot("report-shifts-wide")
    scroller.evaluate("el => { el.scrollLeft = el.scrollWidth; }")
    at_end = _shaded_share(scroller.screenshot())
    tablet.shoot("report-shifts-wide-scrolled")

    assert at_start["right"] > 0.95 and at_start["left"] < 0.5, at_start  # more to the right, nothing to the left
    assert at_end["left"] > 0.95 and at_end["right"] < 0.5, at_end

    # The register and day reports' tables scroll inside their card too, rather than the whole page sideways.
    for name, path in {
        "register-report": f"/registers/{register_id}",
        "day-report": f"/registers/days/{demo.gulberg_id}/{day}",
    }.items():
        page.goto(path)
        expect(page.locator("main h1").first).to_be_visible()
        assert page.evaluate(OVERFLOW) == [], f"{name} scrolls sideways"
        tablet.shoot(name)
