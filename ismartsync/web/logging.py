"""Logs: one line per request (who, which device, route, status, time taken, a request id) in text or JSON, for
the app's and the jobs' loggers alike."""

from __future__ import annotations

import json
import logging
import secrets
import time

from flask import Flask, Response, g, request
from flask_login import current_user

log = logging.getLogger("ismartsync.request")


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
    # Ids noted when the request began (access): reading them off the rows now would reload both after the commit.
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


def init_app(app: Flask) -> None:
    configure_logging(app)
    app.before_request(_start_timer)
    app.after_request(_log_request)
