"""The IMS POS endpoints (fbr.md §2.1): cloud PostData (sandbox and production paths, Bearer token) and the local
fiscal component (health check and GetInvoiceNumberByModel, no auth)."""

from __future__ import annotations

import contextlib
import json
import socket
import time
from collections.abc import Iterator
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request

from sandbox.fbr.faults import GATEWAY_CODES, FaultRule
from sandbox.fbr.state import FbrSandbox
from sandbox.fbr.validate import validate_invoice

bp = Blueprint("fbr_api", __name__)

CLOUD_PATHS = {"/FBR/v1/api/Live/PostData": "sandbox", "/imsp/v1/api/Live/PostData": "production"}
SUCCESS = "Fiscal Invoice Number generated successfully."
INVALID = "Invalid data received"  # fbr.md §2.4, code 102
FAULTS = {  # WSO2 gateway faults, fbr.md §2.1
    900901: ("Invalid Credentials", "Make sure you have given the correct access token"),
    900902: ("Missing Credentials", "Make sure your API invocation call has a header: 'Authorization : Bearer TOKEN'"),
    900908: ("Resource forbidden ", "User is NOT authorized to access the Resource (API subscription validation)"),
}


def sandbox() -> FbrSandbox:
    return current_app.extensions["fbr_sandbox"]


def fault(code: int, status: int) -> Response:
    message, description = FAULTS[code]
    response = jsonify({"fault": {"code": code, "message": message, "description": description}})
    response.status_code = status
    return response


def ims(invoice_number: str, code: str, message: str, errors: list[str] | None) -> Response:
    return jsonify({"InvoiceNumber": invoice_number, "Code": code, "Response": message, "Errors": errors})


def parse_body() -> tuple[Any, str]:
    raw = request.get_data(as_text=True)
    try:
        return json.loads(raw), raw
    except ValueError:
        return None, raw


def _dropped() -> Iterator[bytes]:
    raise ConnectionResetError("fault: down (connection closed)")
    yield b""


def down(rule: FaultRule) -> Response:
    """`down`: with `close` and a real server, drop the connection without a word; otherwise answer `status` with
    the rule's `body`."""
    sock = request.environ.get("werkzeug.socket")
    if rule.close and sock is not None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
        return Response(_dropped(), status=503)  # the server sees a dropped connection before any byte is sent
    if rule.body is not None and not isinstance(rule.body, str):
        return Response(json.dumps(rule.body), status=rule.status, mimetype="application/json")
    return Response(rule.body or "Service Unavailable", status=rule.status, mimetype="text/plain")


def check_token(body: Any, environment: str) -> Response | None:
    """The gateway's checks: 900902 missing, 900901 unknown, 900908 a POSID or environment the token is not for."""
    header = request.headers.get("Authorization", "")
    if not header.strip():
        return fault(900902, 401)
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return fault(900902, 401)
    grant = sandbox().grant(token.strip())
    if grant is None:
        return fault(900901, 401)
    body_posid = body.get("POSID") if isinstance(body, dict) else None
    if grant.environment != environment or (isinstance(body_posid, int) and body_posid not in grant.posids):
        return fault(900908, 403)
    return None


def fiscalize(mode: str, environment: str | None) -> Response:
    sb, started = sandbox(), time.monotonic()
    rule = sb.faults.take(mode)
    body, raw = parse_body()
    entry: dict[str, Any] = {"path": request.path, "mode": mode, "fault": rule.mode if rule else None, "raw": raw}
    response = handle(sb, rule, body, raw, mode, environment, entry)
    entry.update(status=response.status_code, elapsed_ms=round((time.monotonic() - started) * 1000))
    sb.log(entry)
    return response


def handle(
    sb: FbrSandbox, rule: FaultRule | None, body: Any, raw: str, mode: str, environment: str | None, entry: dict
) -> Response:
    if rule is not None and rule.mode == "down":
        return down(rule)
    if rule is not None and rule.mode == "gateway":
        return fault(GATEWAY_CODES[rule.status or 401], rule.status or 401)
    if mode == "cloud":
        denied = check_token(body, environment or "sandbox")
        if denied is not None:
            return denied
    if rule is not None and rule.mode == "slow":
        time.sleep(rule.delay_seconds)
    if body is None:
        entry["code"] = "102"
        return ims("Not Available", "102", INVALID, ["body is not valid JSON"])
    posid = body.get("POSID") if isinstance(body, dict) else None
    known = sb.known_usins(posid) if isinstance(posid, int) else set()
    credits = None
    if isinstance(posid, int) and isinstance(body.get("RefUSIN"), str) and isinstance(body.get("USIN"), str):
        credits = sb.credit_history(posid, body["RefUSIN"], body["USIN"])
    errors = validate_invoice(body, known, credits)
    if errors:
        entry.update(code="102", errors=errors)
        return ims("Not Available", "102", INVALID, errors)
    invoice, new = sb.record(body, raw, mode, environment)
    entry.update(code="100", InvoiceNumber=invoice.invoice_number, repeat=not new)
    if rule is not None and rule.mode == "timeout_after_record":
        time.sleep(rule.delay_seconds)
    return ims(invoice.invoice_number, "100", SUCCESS, None)


@bp.post("/FBR/v1/api/Live/PostData")
@bp.post("/imsp/v1/api/Live/PostData")
def post_data() -> Response:
    return fiscalize("cloud", CLOUD_PATHS[request.path])


@bp.route("/FBR/v1/api/Live/PostData", methods=["GET", "PUT", "DELETE", "PATCH"])
@bp.route("/imsp/v1/api/Live/PostData", methods=["GET", "PUT", "DELETE", "PATCH"])
def wrong_verb() -> Response:
    """WSO2 answers a wrong HTTP verb with "No matching resource found" (fbr.md §2.1)."""
    response = jsonify(
        {
            "fault": {
                "code": "404",
                "type": "Status report",
                "message": "Runtime Error",
                "description": "No matching resource found for given API Request",
            }
        }
    )
    response.status_code = 405
    return response


@bp.get("/api/IMSFiscal/Get")
@bp.get("/api/IMSFiscal/get")
def local_health() -> Response:
    """Answers while no `down` fault is pending for the local component (the check does not use the fault up)."""
    status = sandbox().faults.down_status("local")
    if status is not None:
        return Response("Service Unavailable", status=status, mimetype="text/plain")
    return jsonify(["Service is responding"])


@bp.post("/api/IMSFiscal/GetInvoiceNumberByModel")
def local_fiscalize() -> Response:
    return fiscalize("local", None)
