"""`/healthz`: ok or degraded for anyone (a load balancer), and for operators the state of the database, Redis and
the queues, as JSON."""

from __future__ import annotations

import hmac

from flask import Blueprint, current_app, jsonify, request
from flask_login import current_user
from rq import Worker
from sqlalchemy import text

from ismartsync.access import current_sign_in
from ismartsync.extensions import db
from ismartsync.permissions import Permission
from ismartsync.queue import QUEUES, get_queue, redis_connection

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz() -> object:
    """200 `{"status": "ok"}` or 503 `{"status": "degraded"}`; with `checks` for a signed-in member who may open
    Settings, or a request bearing `ISMARTSYNC_HEALTH_TOKEN`."""
    details = _is_operator()
    healthy, checks = _checks(details)
    body: dict[str, object] = {"status": "ok" if healthy else "degraded"}
    if details:
        body["checks"] = checks
    response = jsonify(body)
    response.status_code = 200 if healthy else 503
    response.headers["Cache-Control"] = "no-store"  # the answer depends on who asks
    return response


def _is_operator() -> bool:
    token = current_app.config.get("HEALTH_TOKEN")
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if token and scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), str(token).encode()):
        return True
    signed_in = current_sign_in()
    return bool(signed_in and not signed_in.is_locked and current_user.can(Permission.PAGE_SETTINGS))


def _checks(details: bool) -> tuple[bool, dict[str, object]]:
    checks: dict[str, object] = {}
    healthy = True
    try:
        db.session.execute(text("SELECT 1"))
        checks["database"] = {"ok": True}
    except Exception as exc:
        healthy = False
        checks["database"] = {"ok": False, "error": type(exc).__name__}
    conn = redis_connection()
    if conn is None:
        checks["redis"] = {"ok": True, "mode": "in-process jobs (no Redis configured)"}
        return healthy, checks
    try:
        conn.ping()
        checks["redis"] = {"ok": True}
        if details:
            # Failed: what has not recovered since (a later success of the same call clears a failure,
            # `jobs.queues.forget_recovered_failures`).
            checks["queues"] = {
                name: {"queued": get_queue(name).count, "failed": get_queue(name).failed_job_registry.count}
                for name in QUEUES
            }
            checks["workers"] = Worker.count(connection=conn)
    except Exception as exc:
        healthy = False
        checks["redis"] = {"ok": False, "error": type(exc).__name__}
    return healthy, checks
