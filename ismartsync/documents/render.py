"""The one way a PDF is made: a template rendered to HTML, then WeasyPrint, which may load nothing but our static files.

A document never reaches the network or the file system beyond our static files (`ismartsync/static/` and their
fingerprinted copies, `static_files.py`): a tax invoice is rendered from data merchants and customers typed, and
WeasyPrint would otherwise fetch any URL it is given (`file://`, `http://`).

Loading the system's fonts and parsing a stylesheet cost about as much as laying out a one-page invoice, so each
thread keeps one font configuration (Pango's font map is not for sharing between threads) and the stylesheets its
documents link, parsed, until their file changes. The cyclic garbage collector waits while a document renders
(see `_collector_paused`). bench/documents.py measures all three.
"""

from __future__ import annotations

import gc
import logging
import mimetypes
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urljoin, urlsplit

from flask import current_app, render_template
from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse

log = logging.getLogger(__name__)

# Relative URLs in a document (`/static/css/invoice.css`) resolve against this made-up origin, which only our fetcher
# knows: nothing else can answer it.
DOCUMENT_HOST = "documents.ismartsync.invalid"
BASE_URL = f"https://{DOCUMENT_HOST}/"
# A stylesheet link exactly as our document templates write it in their <head>; what customers typed is escaped
# and lives in the <body>, so it can never add one.
_STYLESHEET_LINK = re.compile(r'<link rel="stylesheet" href="(/static/[^"<>]+\.css)">')
_per_thread = threading.local()
_collector_lock = threading.Lock()
_collector = {"renders": 0, "was_enabled": True}


class StaticFilesOnly(URLFetcher):
    """A WeasyPrint URL fetcher serving the files under the static folders and `data:` URIs; it refuses the rest."""

    def __init__(self, static_folders: list[str], static_url_path: str) -> None:
        super().__init__(allowed_protocols=("https", "data"), allow_redirects=False, fail_on_errors=False)
        self.roots = [Path(folder).resolve() for folder in static_folders]
        self.prefix = static_url_path.rstrip("/") + "/"

    def fetch(self, url: str, headers: dict[str, str] | None = None) -> URLFetcherResponse:
        if url.startswith("data:"):
            return super().fetch(url, headers)  # decoded in memory by urllib's DataHandler: no I/O
        path = self.resolve(url)
        if path is None:
            log.warning("a document asked for %s, which is not one of our static files; refused", url[:200])
            raise ValueError(f"documents may load only our static files, not {url[:200]}")
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return URLFetcherResponse(url, path.read_bytes(), {"Content-Type": content_type})

    def resolve(self, url: str) -> Path | None:
        """The file under a static folder that `url` names, or None for anything else."""
        parts = urlsplit(url)
        if parts.scheme != "https" or parts.netloc != DOCUMENT_HOST or not parts.path.startswith(self.prefix):
            return None
        for root in self.roots:
            path = (root / unquote(parts.path[len(self.prefix) :])).resolve()
            if path.is_file() and root in path.parents:
                return path
        return None


def static_fetcher() -> StaticFilesOnly:
    """Our static files: the fingerprinted copies `static_url()` names, and the sources by their plain names."""
    app = current_app
    fingerprints = app.extensions.get("static_files")
    folders = [str(fingerprints.built)] if fingerprints is not None else []
    return StaticFilesOnly([*folders, app.static_folder or "static"], app.static_url_path or "/static")


def _fonts() -> FontConfiguration:
    fonts = getattr(_per_thread, "fonts", None)
    if fonts is None:
        fonts = _per_thread.fonts = FontConfiguration()
    return fonts


def _stylesheet(href: str, fetcher: StaticFilesOnly) -> CSS:
    """The static stylesheet at `href`, parsed once per thread and again only when its file changed."""
    url = urljoin(BASE_URL, href)
    path = fetcher.resolve(url)
    if path is None:
        raise ValueError(f"a document links {href}, which is not one of our stylesheets")
    cache: dict[Path, tuple[int, CSS]] = _per_thread.__dict__.setdefault("stylesheets", {})
    version = path.stat().st_mtime_ns
    cached = cache.get(path)
    if cached is None or cached[0] != version:
        cached = cache[path] = (version, CSS(url=url, url_fetcher=fetcher, font_config=_fonts()))
    return cached[1]


def _linked_stylesheets(html: str) -> tuple[str, list[str]]:
    """The document without the stylesheet links of its <head>, and their hrefs in order."""
    head, end, body = html.partition("</head>")
    if not end:
        return html, []
    return _STYLESHEET_LINK.sub("", head) + end + body, _STYLESHEET_LINK.findall(head)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """No cyclic garbage collection while a document renders (in any thread); as it was, after the last one.

    A render makes hundreds of thousands of short-lived objects. With the collector on, they survive the young
    collections that run mid-render, so every third or fourth document also triggers a full collection over the
    whole heap (about 300 ms on the bench machine, the p95 of the invoice). Paused, they die by reference counting
    when the document is dropped, and the few in cycles go in the next young collection.
    """
    with _collector_lock:
        if _collector["renders"] == 0:
            _collector["was_enabled"] = gc.isenabled()
            gc.disable()
        _collector["renders"] += 1
    try:
        yield
    finally:
        with _collector_lock:
            _collector["renders"] -= 1
            if _collector["renders"] == 0 and _collector["was_enabled"]:
                gc.enable()


def render_pdf(template: str, **context: Any) -> bytes:
    """Render `template` with `context` and return the PDF; static files are its only resources.

    The stylesheets the template links in its <head> (`<link rel="stylesheet" href="{{ static_url('css/….css') }}">`)
    apply as they would in a browser, from this thread's parsed copies.
    """
    html, hrefs = _linked_stylesheets(render_template(template, **context))
    fetcher = static_fetcher()
    with _collector_paused():
        stylesheets = [_stylesheet(href, fetcher) for href in hrefs]
        pdf = _write(HTML(string=html, base_url=BASE_URL, url_fetcher=fetcher), stylesheets)
    return pdf


def _write(document: HTML, stylesheets: list[CSS]) -> bytes:
    # Its own frame, so the document's boxes are dropped on return, before the collector comes back: a young
    # collection would otherwise walk (and promote) the whole laid-out document.
    return document.write_pdf(font_config=_fonts(), stylesheets=stylesheets)
