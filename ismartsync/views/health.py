"""`/healthz`: the state of the database, Redis and the queues, as JSON."""

from __future__ import annotations

from flask import Blueprint, jsonify
from rq import Worker
from sqlalchemy import text

from ismartsync.extensions import db
from ismartsync.queue import QUEUES, get_queue, redis_connection

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz() -> object:
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
    else:
        try:
            conn.ping()
            checks["redis"] = {"ok": True}
            checks["queues"] = {
                name: {"queued": get_queue(name).count, "failed": get_queue(name).failed_job_registry.count}
                for name in QUEUES
            }
            checks["workers"] = Worker.count(connection=conn)
        except Exception as exc:
            healthy = False
            checks["redis"] = {"ok": False, "error": type(exc).__name__}
    return jsonify(status="ok" if healthy else "degraded", checks=checks), 200 if healthy else 503
