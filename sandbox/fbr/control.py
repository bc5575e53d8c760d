"""`/control/...`: a JSON API for tests to steer the FBR sandbox (tokens, faults, reset) and see what it recorded.
No authentication: never expose the sandbox beyond localhost."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request

from sandbox.fbr.state import FbrSandbox

bp = Blueprint("fbr_control", __name__, url_prefix="/control")


def sandbox() -> FbrSandbox:
    return current_app.extensions["fbr_sandbox"]


def body() -> dict[str, Any]:
    data = request.get_json(silent=True)
    return data if isinstance(data, dict) else {}


def problem(message: str, status: int = 400) -> Response:
    response = jsonify({"error": message})
    response.status_code = status
    return response


def posid_arg() -> int | None:
    value = request.args.get("posid")
    return int(value) if value and value.isdigit() else None


@bp.get("/state")
def state() -> Response:
    sb = sandbox()
    with sb.lock:
        return jsonify(
            {
                "tokens": sb.describe_tokens(),
                "invoices": len(sb.order),
                "requests": len(sb.requests),
                "faults": sb.faults.describe(),
            }
        )


@bp.post("/reset")
def reset() -> Response:
    sandbox().reset()
    return jsonify({"ok": True})


@bp.route("/tokens", methods=["GET", "POST"])
def tokens() -> Response:
    """POST {posid or posids, token, environment="sandbox"|"production"}: the gateway accepts `token` for those
    POSIDs too (a token keeps the POSIDs it already had)."""
    sb = sandbox()
    if request.method == "POST":
        data = body()
        posids = data.get("posids", [data.get("posid")])
        try:
            if not isinstance(posids, list) or not posids:
                raise ValueError("posids must be a non-empty list")
            for posid in posids:
                sb.register(posid, data.get("token"), data.get("environment", "sandbox"))
        except ValueError as exc:
            return problem(str(exc))
    return jsonify({"tokens": sb.describe_tokens()})


@bp.get("/invoices")
def invoices() -> Response:
    """Recorded invoices in order, with the exact request body (parsed and raw) and any repeats of the USIN."""
    return jsonify({"invoices": sandbox().describe_invoices(posid_arg())})


@bp.get("/invoices/<int:posid>/<path:usin>")
def invoice(posid: int, usin: str) -> Response:
    found = sandbox().find(posid, usin)
    return jsonify(found.describe()) if found else problem("no such invoice", 404)


@bp.route("/requests", methods=["GET", "DELETE"])
def requests_log() -> Response:
    """Every fiscalize request: seq, path, mode, fault, raw, status, code, errors, InvoiceNumber, repeat, elapsed_ms."""
    sb = sandbox()
    with sb.lock:
        if request.method == "DELETE":
            sb.requests.clear()
        since = int(request.args.get("since", 0))
        return jsonify({"requests": [e for e in sb.requests if e["seq"] > since]})


@bp.route("/faults", methods=["GET", "POST", "DELETE"])
def faults() -> Response:
    sb = sandbox()
    if request.method == "POST":
        try:
            rule = sb.faults.add(body())
        except (ValueError, TypeError) as exc:
            return problem(str(exc))
        return jsonify({"id": rule.id, "faults": sb.faults.describe()})
    if request.method == "DELETE":
        sb.faults.clear()
    return jsonify({"faults": sb.faults.describe()})
