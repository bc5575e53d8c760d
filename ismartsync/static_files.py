"""Static files as a browser should get them: fingerprinted names, Brotli and gzip copies made once, a year's cache.

`static_url("css/app.css")` (a template global) gives `/static/css/app.<hash>.css`, the hash being of the file's
content, so a changed file gets a new URL and an unchanged one never needs asking about again: WhiteNoise serves these
names with `Cache-Control: max-age=31536000, immutable` and the `.br` or `.gz` copy the browser accepts. The plain
names (`/static/css/app.css`) are still served by Flask, revalidated each time, for anything that links them directly.

The fingerprinted copies are built from `ismartsync/static/` when the app starts, into `<instance>/static/`: generated,
so never committed (like the copied htmx), and never stale, because the names are computed from the sources each start
(and on each request in debug, so an edited stylesheet shows at once). Building is skipped for copies already there; a
host whose instance folder is not writable serves the plain names instead and says so in the log.
"""

from __future__ import annotations

import hashlib
import logging
import os
import posixpath
import tempfile
from functools import partial
from pathlib import Path
from typing import Any

from flask import Flask
from whitenoise import WhiteNoise
from whitenoise.compress import Compressor

log = logging.getLogger(__name__)

YEAR = 365 * 24 * 60 * 60
HASH_LENGTH = 12
# A compressed copy is kept only when it saves at least this much (as WhiteNoise's own compressor decides).
WORTHWHILE = 0.95


def fingerprinted(filename: str, content: bytes) -> str:
    """`css/app.css` with this content as `css/app.<12 hex digits>.css`."""
    stem, extension = posixpath.splitext(filename)
    return f"{stem}.{hashlib.sha256(content).hexdigest()[:HASH_LENGTH]}{extension}"


class Fingerprints:
    """The fingerprinted name of every file under `source`, with its copies (and .br, .gz) under `built`."""

    def __init__(self, source: Path, built: Path, url_path: str) -> None:
        self.source, self.built, self.url_path = source, built, url_path.rstrip("/")
        self.names: dict[str, str] = {}
        self._seen: dict[str, tuple[int, int, str]] = {}  # filename: (size, mtime, fingerprinted name)

    def url(self, filename: str) -> str:
        """The URL of a static file: its fingerprinted name once built, else its plain one."""
        return f"{self.url_path}/{self.names.get(filename, filename)}"

    def refresh(self) -> None:
        """Fingerprint every source file (reading only those that changed) and build the copies not built yet."""
        names = {}
        for path in sorted(self.source.rglob("*")):
            filename = path.relative_to(self.source).as_posix()
            if not path.is_file() or filename.startswith(".") or "/." in filename:
                continue
            stat = path.stat()
            seen = self._seen.get(filename)
            if seen is None or seen[:2] != (stat.st_size, stat.st_mtime_ns):
                content = path.read_bytes()
                seen = self._seen[filename] = (stat.st_size, stat.st_mtime_ns, fingerprinted(filename, content))
                self._build(seen[2], content)
            names[filename] = seen[2]
        self.names = names

    def _build(self, name: str, content: bytes) -> None:
        target = self.built / name
        if target.is_file():
            return
        compressor = Compressor(quiet=True)
        if compressor.should_compress(name):
            packed = {"br": compressor.compress_brotli(content), "gz": compressor.compress_gzip(content)}
            for encoding, data in packed.items():
                if len(data) <= WORTHWHILE * len(content):
                    self._write(target.with_name(f"{target.name}.{encoding}"), data)
        self._write(target, content)  # last: once it is there, so are its compressed copies

    def _write(self, target: Path, content: bytes) -> None:
        # Written aside and renamed into place, so a worker starting beside this one never serves half a file.
        target.parent.mkdir(parents=True, exist_ok=True)
        spare = self.built.parent / f".{self.built.name}-incoming"
        spare.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=spare)
        with os.fdopen(handle, "wb") as out:
            out.write(content)
        os.chmod(temporary, 0o644)  # readable like the sources (mkstemp makes it private)
        os.replace(temporary, target)


class ImmutableStaticFiles(WhiteNoise):
    """WhiteNoise for fingerprinted files only: each is cached for a year and never revalidated."""

    FOREVER = YEAR


def _nosniff(headers: Any, path: str, url: str) -> None:
    headers["X-Content-Type-Options"] = "nosniff"  # what the app's own responses say (web/headers.py)


def _fingerprint_url_for(fingerprints: Fingerprints, endpoint: str, values: dict[str, Any]) -> None:
    """`url_for("static", filename=…)` in code gives the fingerprinted name too."""
    if endpoint == "static" and "filename" in values:
        values["filename"] = fingerprints.names.get(values["filename"], values["filename"])


def init_app(app: Flask) -> None:
    """Build the fingerprinted copies, serve them ahead of the app, and give templates `static_url`."""
    assert app.static_folder is not None
    fingerprints = Fingerprints(
        Path(app.static_folder), Path(app.instance_path) / "static", app.static_url_path or "/static"
    )
    app.extensions["static_files"] = fingerprints
    app.jinja_env.globals["static_url"] = fingerprints.url
    try:
        fingerprints.refresh()
    except OSError as exc:
        log.warning("static files keep their plain names: cannot build them in %s (%s)", fingerprints.built, exc)
        return
    app.url_defaults(partial(_fingerprint_url_for, fingerprints))
    if app.debug:
        app.before_request(fingerprints.refresh)
    app.wsgi_app = ImmutableStaticFiles(  # type: ignore[method-assign]
        app.wsgi_app,
        root=str(fingerprints.built),
        prefix=fingerprints.url_path + "/",
        autorefresh=app.debug,
        allow_all_origins=False,
        immutable_file_test=lambda path, url: True,
        add_headers_function=_nosniff,
    )
