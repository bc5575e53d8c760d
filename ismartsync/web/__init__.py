"""Web plumbing every blueprint shares: htmx fragments and redirects (`htmx`), security headers (`headers`), request
logs (`logging`) and error pages (`error_pages`). What a request may carry is read in `ismartsync.inputs`."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from ismartsync.web import error_pages, headers, logging

    headers.init_app(app)
    logging.init_app(app)
    error_pages.init_app(app)
