"""The one PDF render function: documents load our static files and data: URIs, and nothing else."""

from __future__ import annotations

import base64
import io

import pypdfium2
import pypdfium2.raw as pdfium_c
import pytest
from PIL import Image
from weasyprint import HTML

from ismartsync.documents.render import BASE_URL, StaticFilesOnly, static_fetcher


@pytest.fixture
def fetcher(app) -> StaticFilesOnly:
    with app.app_context():
        return static_fetcher()


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(out, format="PNG")
    return out.getvalue()


def _images_in(pdf: bytes) -> int:
    document = pypdfium2.PdfDocument(pdf)
    try:
        return sum(1 for _ in document[0].get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_IMAGE], max_depth=5))
    finally:
        document.close()


def test_our_static_files_are_served(fetcher):
    response = fetcher.fetch(f"{BASE_URL}static/css/invoice.css")
    assert response.content_type == "text/css"
    assert b"@page" in response.read()
    assert fetcher.fetch(f"{BASE_URL}static/img/fbr-pos-mark.svg").content_type == "image/svg+xml"


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "file:///etc/hostname",
        "http://127.0.0.1:9/x.png",
        "https://example.com/static/css/invoice.css",  # our path on someone else's host
        f"{BASE_URL}static/../../ismartsync/config.py",  # out of the static folder
        f"{BASE_URL}static/%2e%2e/%2e%2e/ismartsync/config.py",
        f"{BASE_URL}etc/passwd",  # our host, not the static path
        f"{BASE_URL}static/css/missing.css",
        f"http://{BASE_URL[len('https://') :]}static/css/invoice.css",  # our host over plain http
        "ftp://127.0.0.1/x.png",
    ],
)
def test_anything_else_is_refused(fetcher, url):
    with pytest.raises(ValueError, match="documents may load only our static files"):
        fetcher.fetch(url)


def test_data_uris_are_decoded_in_memory(fetcher):
    assert fetcher.fetch("data:text/plain;base64,aGVsbG8=").read() == b"hello"


def test_a_document_pointing_at_a_local_file_renders_without_it(app, tmp_path):
    """The refusal as WeasyPrint meets it: the page renders, and the file's image is not in it."""
    picture = tmp_path / "secret.png"
    picture.write_bytes(_png())
    inline = "data:image/png;base64," + base64.b64encode(_png()).decode()
    with app.app_context():
        fetched = HTML(string=f'<img src="{inline}">', base_url=BASE_URL, url_fetcher=static_fetcher()).write_pdf()
        refused = HTML(
            string=f'<img src="{picture.as_uri()}"><img src="http://127.0.0.1:9/x.png">',
            base_url=BASE_URL,
            url_fetcher=static_fetcher(),
        ).write_pdf()
    assert _images_in(fetched) == 1  # the same image, allowed, is there: the check can see an image
    assert _images_in(refused) == 0
