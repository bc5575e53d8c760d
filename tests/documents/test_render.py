"""The one PDF render function: documents load our static files and data: URIs, and nothing else."""

from __future__ import annotations

import base64
import gc
import io

import pypdfium2
import pypdfium2.raw as pdfium_c
import pytest
from jinja2 import ChoiceLoader, DictLoader
from PIL import Image

from ismartsync.documents.render import BASE_URL, StaticFilesOnly, render_pdf, static_fetcher
from tests.documents.pdf import pdf_text


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


@pytest.fixture
def templates(app):
    """Documents of the test's own, beside the app's templates."""
    own: dict[str, str] = {}
    original = app.jinja_env.loader
    app.jinja_env.loader = ChoiceLoader([DictLoader(own), original])
    try:
        yield own
    finally:
        app.jinja_env.loader = original


def _document(head: str, body: str) -> str:
    return f"<!doctype html><html><head>{head}</head><body>{body}</body></html>"


def test_a_document_pointing_at_a_local_file_or_the_network_renders_without_it(app, templates, tmp_path):
    """The refusal as a document meets it: the page renders, and the file's image is not in it."""
    picture = tmp_path / "secret.png"
    picture.write_bytes(_png())
    inline = "data:image/png;base64," + base64.b64encode(_png()).decode()
    templates["allowed.html"] = _document("", f'<img src="{inline}">')
    templates["refused.html"] = _document(
        '<link rel="stylesheet" href="http://127.0.0.1:9/x.css">',
        f'<img src="{picture.as_uri()}"><img src="http://127.0.0.1:9/x.png"><img src="/static/../../app.py">',
    )
    with app.test_request_context():
        assert _images_in(render_pdf("allowed.html")) == 1  # an image that is allowed shows: the check sees images
        assert _images_in(render_pdf("refused.html")) == 0


def test_linked_stylesheets_apply_and_one_that_is_not_ours_stops_the_render(app, templates):
    templates["styled.html"] = _document('<link rel="stylesheet" href="/static/css/invoice.css">', "<p>Styled</p>")
    templates["missing.html"] = _document('<link rel="stylesheet" href="/static/css/missing.css">', "<p>x</p>")
    with app.test_request_context():
        text = pdf_text(render_pdf("styled.html"))
        assert "Page 1 of 1" in text  # the stylesheet's @page footer
        assert "Page 1 of 1" in pdf_text(render_pdf("styled.html"))  # and again, from the parsed copy
        with pytest.raises(ValueError, match="not one of our stylesheets"):
            render_pdf("missing.html")
    assert gc.isenabled()  # the collector paused for the renders is back on, even after the failure


def test_text_that_looks_like_a_stylesheet_link_stays_text(app, templates):
    templates["echo.html"] = _document("", "<p>{{ name }}</p>")
    name = '<link rel="stylesheet" href="/static/css/invoice.css">'
    with app.test_request_context():
        text = pdf_text(render_pdf("echo.html", name=name))
    assert name in text and "Page 1 of 1" not in text
