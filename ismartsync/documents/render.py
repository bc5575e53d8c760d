"""The one way a PDF is made: a template rendered to HTML, then WeasyPrint, which may load nothing but our static files.

A document never reaches the network or the file system beyond `ismartsync/static/`: a tax invoice is rendered from
data merchants and customers typed, and WeasyPrint would otherwise fetch any URL it is given (`file://`, `http://`).
"""

from __future__ import annotations

import logging
import mimetypes
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from flask import current_app, render_template
from weasyprint import HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse

log = logging.getLogger(__name__)

# Relative URLs in a document (`/static/css/invoice.css`) resolve against this made-up origin, which only our fetcher
# knows: nothing else can answer it.
DOCUMENT_HOST = "documents.ismartsync.invalid"
BASE_URL = f"https://{DOCUMENT_HOST}/"


class StaticFilesOnly(URLFetcher):
    """A WeasyPrint URL fetcher serving the files under the static folder and `data:` URIs; it refuses the rest."""

    def __init__(self, static_folder: str, static_url_path: str) -> None:
        super().__init__(allowed_protocols=("https", "data"), allow_redirects=False, fail_on_errors=False)
        self.root = Path(static_folder).resolve()
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
        """The file under the static folder that `url` names, or None for anything else."""
        parts = urlsplit(url)
        if parts.scheme != "https" or parts.netloc != DOCUMENT_HOST or not parts.path.startswith(self.prefix):
            return None
        path = (self.root / unquote(parts.path[len(self.prefix) :])).resolve()
        return path if path.is_file() and self.root in path.parents else None


def static_fetcher() -> StaticFilesOnly:
    app = current_app
    return StaticFilesOnly(app.static_folder or "static", app.static_url_path or "/static")


def render_pdf(template: str, **context: Any) -> bytes:
    """Render `template` with `context` and return the PDF; static files are its only resources."""
    html = render_template(template, **context)
    return HTML(string=html, base_url=BASE_URL, url_fetcher=static_fetcher()).write_pdf()
