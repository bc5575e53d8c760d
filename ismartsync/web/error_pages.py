"""Error pages: a calm page (or fragment, for htmx) for every HTTP error, an expired form and an unexpected error,
which is logged with its request id and never shows its details."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, g, render_template
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from ismartsync.web.htmx import is_htmx

log = logging.getLogger("ismartsync.request")

ERROR_TEXT = {
    400: ("Bad request", "The request could not be understood."),
    403: ("Not allowed", "Your role does not allow this. Ask a manager if you need it."),
    404: ("Not found", "That page or record does not exist."),
    405: ("Not allowed", "That action is not available here."),
    413: ("Too large", "What you sent is too large."),
    429: ("Too many requests", "Too many requests from your address. Wait a minute and try again."),
    500: ("Something went wrong", "The error was logged. Nothing you entered was saved twice; please try again."),
}


def _error_page(status: int, title: str, message: str) -> tuple[str, int]:
    template = "errors/_error.html" if is_htmx() else "errors/error.html"
    return render_template(template, status=status, title=title, message=message), status


def init_app(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def _csrf(exc: CSRFError) -> tuple[str, int]:
        return _error_page(
            400, "Page expired", "This form was open too long or came from elsewhere. Reload and try again."
        )

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException) -> Any:
        if exc.code is None or exc.code < 400:
            return exc
        title, message = ERROR_TEXT.get(exc.code, (exc.name, exc.description or ""))
        return _error_page(exc.code, title, message)

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> tuple[str, int]:
        from ismartsync.extensions import db

        db.session.rollback()
        log.exception("unhandled error", extra={"fields": {"request_id": g.get("request_id")}})
        return _error_page(500, *ERROR_TEXT[500])
