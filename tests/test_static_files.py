"""What a browser downloads: the counter's first load within its budget compressed (ARCHITECTURE.md §8: 40 KB),
static files under fingerprinted names cached for a year, and a changed file under a new name."""

from __future__ import annotations

import re
from pathlib import Path

import brotli
import pytest

from ismartsync.static_files import Fingerprints, fingerprinted
from tests.selling import items, tablet  # noqa: F401  (the selling fixtures)

PAGE_BUDGET = 40 * 1024
BROWSER = {"Accept-Encoding": "gzip, deflate, br, zstd"}  # what Chromium asks for
FINGERPRINTED = re.compile(r"^/static/.+\.[0-9a-f]{12}\.[a-z0-9]+$")


def test_the_counters_first_load_is_within_its_budget_compressed(tablet, items):  # noqa: F811
    for item in [*items, *items, items[0]]:  # five lines' worth of scans
        tablet.post("/counter/cart/scan", {"code": item.barcode}, htmx=True)
    page = tablet.get("/counter", headers=BROWSER)
    html = brotli.decompress(page.get_data()).decode()
    assert 'id="cart"' in html and "Payable" in html
    assert page.headers["Content-Encoding"] == "br"
    assert {"HX-Request", "Accept-Encoding"} <= {v.strip() for v in page.headers["Vary"].split(",")}

    assets = list(dict.fromkeys(re.findall(r'(?:href|src)="(/static/[^"]+)"', html)))
    sizes = {"/counter": len(page.get_data())}
    for path in assets:
        response = tablet.get(path, headers=BROWSER)
        assert response.status_code == 200, path
        assert FINGERPRINTED.match(path), path
        assert "max-age=31536000" in response.headers["Cache-Control"], path
        assert "immutable" in response.headers["Cache-Control"], path
        sizes[path] = len(response.get_data())
        response.close()

    assert {"css/app", "vendor/htmx.min", "js/app"} <= {re.sub(r"^/static/|\.\w+\.\w+$", "", p) for p in assets}
    assert sum(sizes.values()) <= PAGE_BUDGET, sizes


def test_static_files_are_served_compressed_and_immutable_and_plain_names_still_work(browser, app):
    url = app.extensions["static_files"].url("css/app.css")
    source = (Path(app.static_folder) / "css/app.css").read_bytes()

    compressed = browser.get(url, headers={"Accept-Encoding": "br"})
    gzipped = browser.get(url, headers={"Accept-Encoding": "gzip"})
    plain = browser.get(url)

    assert FINGERPRINTED.match(url)
    assert compressed.headers["Content-Encoding"] == "br" and brotli.decompress(compressed.get_data()) == source
    assert gzipped.headers["Content-Encoding"] == "gzip" and "Accept-Encoding" in gzipped.headers["Vary"]
    assert plain.get_data() == source and plain.headers["X-Content-Type-Options"] == "nosniff"
    assert plain.headers["Cache-Control"] == "max-age=31536000, public, immutable"
    unhashed = browser.get("/static/css/app.css")  # a link written by hand still works, revalidated each time
    assert unhashed.status_code == 200 and "immutable" not in unhashed.headers.get("Cache-Control", "")
    for response in (compressed, gzipped, plain, unhashed):
        response.close()


def test_a_changed_file_gets_a_new_name_and_its_copies(tmp_path):
    source, built = tmp_path / "static", tmp_path / "instance" / "static"
    (source / "css").mkdir(parents=True)
    style = source / "css" / "app.css"
    style.write_text("body { color: black; }\n" * 50)
    fingerprints = Fingerprints(source, built, "/static")
    fingerprints.refresh()
    first = fingerprints.url("css/app.css")

    style.write_text("body { color: navy; }\n" * 50)
    fingerprints.refresh()
    second = fingerprints.url("css/app.css")

    assert first != second and second == "/static/" + fingerprinted("css/app.css", style.read_bytes())
    for url in (first, second):  # the old name keeps working for pages already out there
        copy = built / url.removeprefix("/static/")
        assert copy.is_file() and Path(f"{copy}.br").is_file() and Path(f"{copy}.gz").is_file()
    assert fingerprints.url("css/missing.css") == "/static/css/missing.css"


@pytest.mark.parametrize("filename", ["css/invoice.css", "img/fbr-pos-mark.svg"])
def test_documents_load_the_fingerprinted_files_through_the_pdf_fetcher(app, filename):
    from ismartsync.documents.render import BASE_URL, static_fetcher

    with app.app_context():
        url = app.extensions["static_files"].url(filename)
        response = static_fetcher().fetch(BASE_URL + url.lstrip("/"))

    assert FINGERPRINTED.match(url)
    assert response.read() == (Path(app.static_folder) / filename).read_bytes()
