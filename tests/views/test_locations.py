"""Settings → Locations & import: the import card polls its progress and brings the locations an import adds."""

from __future__ import annotations

import pytest

from ismartsync.extensions import db
from ismartsync.models import ImportRun, ImportStatus, ShopifyLocation
from tests.markup import element, text_of


@pytest.fixture
def running(merchant, owner, branch) -> ImportRun:
    run = ImportRun(merchant=merchant, kind="full", status=ImportStatus.RUNNING, step="Reading products")
    db.session.add(run)
    db.session.commit()
    return run


def _arrive(merchant, *names: str) -> None:
    """What the import job leaves behind once it has read the store's locations."""
    for n, name in enumerate(names):
        db.session.add(ShopifyLocation(merchant=merchant, shopify_id=f"gid://shopify/Location/{n + 1}", name=name))
    db.session.commit()


def _poll(browser, page_html: str) -> str:
    """Follow the import card's own poll, as htmx does every second."""
    card = element(page_html, "import") or ""
    url = card.split('hx-get="', 1)[1].split('"', 1)[0].replace("&amp;", "&")
    return browser.get(url, headers={"HX-Request": "true"}).get_data(as_text=True)


def test_the_mapping_card_comes_with_the_poll_once_the_import_brings_locations(browser, owner, merchant, running):
    browser.sign_in(owner)
    page = browser.get("/settings/locations").get_data(as_text=True)
    assert "No locations yet" in text_of(page, "mapping")

    quiet = _poll(browser, page)
    assert element(quiet, "mapping") is None  # nothing new: the card alone, the mapping left as it is

    _arrive(merchant, "Gulberg Store, Lahore", "DHA Store, Lahore")
    answer = _poll(browser, quiet)

    mapping = element(answer, "mapping") or ""
    assert 'hx-swap-oob="true"' in mapping
    assert "Gulberg Store, Lahore" in text_of(answer, "mapping") and "No locations yet" not in mapping
    assert "locations=2" in (element(answer, "import") or "")  # the next poll knows the page shows two
    assert element(_poll(browser, answer), "mapping") is None


def test_the_last_poll_refreshes_the_mapping_as_the_import_left_it(browser, owner, merchant, running):
    _arrive(merchant, "Gulberg Store, Lahore")
    browser.sign_in(owner)
    page = browser.get("/settings/locations").get_data(as_text=True)
    running.status = ImportStatus.SUCCEEDED
    db.session.commit()

    answer = _poll(browser, page)

    assert "Succeeded" in text_of(answer, "import") and 'hx-get="' not in (element(answer, "import") or "")
    assert "Gulberg Store, Lahore" in text_of(answer, "mapping")


def test_a_count_that_is_not_a_number_just_brings_the_mapping(browser, owner, running):
    browser.sign_in(owner)
    response = browser.get(f"/settings/imports/{running.id}?locations=lots", headers={"HX-Request": "true"})
    assert response.status_code == 200 and element(response.get_data(as_text=True), "mapping") is not None
