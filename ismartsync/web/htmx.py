"""Web plumbing shared by every blueprint: htmx detection, security headers, request logs, errors."""

from __future__ import annotations

import json
import logging
import secrets
import time
import unicodedata
from datetime import date, datetime
from typing import Any
from urllib.parse import unquote, urlsplit

from flask import Flask, Response, g, redirect, render_template, request
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

log = logging.getLogger("ismartsync.request")

CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


def is_htmx() -> bool:
    """True for an htmx request that wants a fragment (a history restore wants the whole page)."""
    return bool(request.htmx) and not request.htmx.history_restore_request


# Dates people type or pick: anything outside these years is a slip (and would overflow the day arithmetic).
FIRST_YEAR, LAST_YEAR = 2000, 2100


def parse_day(raw: str) -> date | None:
    """A YYYY-MM-DD date from a form or URL, or None when it is not one (or not in a plausible year)."""
    try:
        day = datetime.strptime(raw.strip(), "%Y-%m-%d").date()
    except ValueError:
        return None
    return day if FIRST_YEAR <= day.year <= LAST_YEAR else None


def safe_next(target: str | None, default: str) -> str:
    """`target` when it is a path on this site, else `default`: never a way to send someone to another host.

    Browsers drop tabs and newlines inside a URL and read a backslash as a slash, so "/%09/evil.example" (a tab once
    the query string is decoded) and "/%5Cevil.example" both lead off-site. Anything with a scheme, a host, a
    backslash, a control character or a leading "//" (as sent, or once percent-decoded) is refused.
    """
    if not target or not target.startswith("/"):
        return default
    for candidate in (target, unquote(target)):
        if "\\" in candidate or candidate.startswith("//"):
            return default
        if any(unicodedata.category(ch) == "Cc" for ch in candidate):
            return default
        parts = urlsplit(candidate)
        if parts.scheme or parts.netloc:
            return default
    return target


def render(page: str, fragment: str | None = None, status: int = 200, /, **context: Any) -> tuple[str, int, dict]:
    """Render the whole page, or only its fragment for htmx; the two share one template.

    A fragment response carries the pending flash messages out of band, so `flash()` works alike for both.
    """
    if fragment and is_htmx():
        body = render_template(fragment, **context) + render_template("_flashes.html")
    else:
        body = render_template(page, **context)
    return body, status, {"Vary": "HX-Request"}


def _security_headers(response: Response) -> Response:
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CSP)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    if request.is_secure:
        headers.setdefault("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
    if request.endpoint != "static" and "Cache-Control" not in headers:
        headers["Cache-Control"] = "no-store"
    return response


class JsonFormatter(logging.Formatter):
    """One JSON object per line, for log shippers."""

    def format(self, record: logging.LogRecord) -> str:
        payload = {"level": record.levelname.lower(), "logger": record.name, "message": record.getMessage()}
        payload.update(getattr(record, "fields", {}))
        if record.exc_info:
            payload["exc"] = self.formatException(record.exc_info)
        return json.dumps(payload, default=str)


def configure_logging(app: Flask) -> None:
    handler = logging.StreamHandler()
    if app.config["LOG_FORMAT"] == "json":
        handler.setFormatter(JsonFormatter())
    root = logging.getLogger("ismartsync")
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)
    root.propagate = False
    for name in ("jobs",):
        logging.getLogger(name).handlers[:] = [handler]


def _start_timer() -> None:
    g.request_started = time.perf_counter()
    g.request_id = request.headers.get("X-Request-Id") or secrets.token_hex(8)


def _signed_in() -> tuple[int | None, int | None]:
    user = current_user if current_user and current_user.is_authenticated else None
    return (user.id, user.merchant_id) if user else (None, None)


def note_signed_in() -> None:
    """Remember who and which device this request is for, for its log line (called once they are known)."""
    g.signed_in = _signed_in()
    g.device_id = g.device.id if g.get("device") else None


def _log_request(response: Response) -> Response:
    started = g.get("request_started")
    if started is None or request.endpoint == "static":
        return response
    # Ids noted when the request began (auth): reading them off the rows now would reload both after the commit.
    user_id, merchant_id = g.get("signed_in") or _signed_in()
    device_id = g.get("device_id")
    fields = {
        "request_id": g.request_id,
        "method": request.method,
        # The URL rule, not the path: paths can carry invitation and reset tokens.
        "route": request.url_rule.rule if request.url_rule else "<unmatched>",
        "endpoint": request.endpoint,
        "status": response.status_code,
        "duration_ms": round((time.perf_counter() - started) * 1000, 2),
        "user_id": user_id,
        "merchant_id": merchant_id,
        "device_id": device_id,
        "htmx": bool(request.htmx),
    }
    log.info("%s %s %s", request.method, fields["route"], response.status_code, extra={"fields": fields})
    response.headers["X-Request-Id"] = g.request_id
    return response


def _error_page(status: int, title: str, message: str) -> tuple[str, int]:
    template = "errors/_error.html" if is_htmx() else "errors/error.html"
    return render_template(template, status=status, title=title, message=message), status


ERROR_TEXT = {
    400: ("Bad request", "The request could not be understood."),
    403: ("Not allowed", "Your role does not allow this. Ask a manager if you need it."),
    404: ("Not found", "That page or record does not exist."),
    405: ("Not allowed", "That action is not available here."),
    413: ("Too large", "What you sent is too large."),
    429: ("Too many requests", "Too many requests from your address. Wait a minute and try again."),
    500: ("Something went wrong", "The error was logged. Nothing you entered was saved twice; please try again."),
}


def init_app(app: Flask) -> None:
    configure_logging(app)
    app.before_request(_start_timer)
    app.after_request(_security_headers)
    app.after_request(_log_request)

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


def hx_redirect_or(location: str) -> Response:
    """A 303 for a plain form, an `HX-Redirect` for htmx."""
    if is_htmx():
        response = Response(status=204)
        response.headers["HX-Redirect"] = location
        return response
    return redirect(location, code=303)  # type: ignore[return-value]
