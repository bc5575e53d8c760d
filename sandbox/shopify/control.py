"""`/sandbox/control/...`: a JSON API for tests and the demo to steer the sandbox (reset, clock, faults, rate limits,
tokens, webhook delivery) and observe what "Shopify" saw (requests, idempotency keys). Per-shop data changes are in
control_shops.py. No authentication: never expose the sandbox beyond localhost."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request

from sandbox.shopify.auth import split_scopes
from sandbox.shopify.core import Sandbox

bp = Blueprint("shopify_control", __name__, url_prefix="/sandbox/control")


def sandbox() -> Sandbox:
    return current_app.extensions["shopify_sandbox"]


def body() -> dict[str, Any]:
    return request.get_json(silent=True) or {}


def problem(message: str, status: int = 400) -> Response:
    response = jsonify({"error": message})
    response.status_code = status
    return response


@bp.get("/state")
def state() -> Response:
    sb = sandbox()
    with sb.lock:
        return jsonify(
            {
                "shops": [
                    {
                        "domain": s.domain,
                        "name": s.name,
                        "products": len(s.products),
                        "variants": len(s.variants),
                        "locations": [
                            {"id": loc.gid, "name": loc.name, "active": loc.is_active} for loc in s.live_locations()
                        ],
                        "customers": len(s.customers),
                        "orders": len(s.orders),
                    }
                    for s in sb.shops.values()
                ],
                "apps": [{"client_id": a["client_id"], "name": a["name"]} for a in sb.config["apps"]],
                # Each shop's custom app, as its API credentials page shows it to the merchant.
                "custom_apps": [
                    {"shop": shop, "client_id": a["client_id"], "api_secret_key": a["client_secret"], "name": a["name"]}
                    for shop, a in sb.custom_apps.items()
                ],
                "installs": [
                    {"shop": shop, "client_id": cid, "scope": ",".join(scopes)}
                    for (shop, cid), scopes in sb.auth.installs.items()
                ],
                "faults": sb.faults.describe(),
                "clock_offset": sb.clock_offset,
                "now": sb.now(),
            }
        )


@bp.post("/reset")
def reset() -> Response:
    data = body()
    sandbox().reset(variants=data.get("variants"), seed=data.get("seed"), keep_tokens=bool(data.get("keep_tokens")))
    return jsonify({"ok": True})


@bp.post("/clock")
def clock() -> Response:
    sb = sandbox()
    sb.clock_offset += float(body().get("advance_seconds", 0))
    return jsonify({"offset": sb.clock_offset, "now": sb.now()})


@bp.route("/ttl", methods=["GET", "POST"])
def ttl() -> Response:
    """Token lifetimes in seconds for tokens issued from now on: `{code, access_token, refresh_token,
    client_credentials, online}` (Shopify: 600, 3600 for an expiring offline token, …)."""
    sb = sandbox()
    if request.method == "POST":
        data = body()
        unknown = set(data) - set(sb.config["ttl"])
        if unknown:
            return problem(f"unknown lifetimes: {', '.join(sorted(unknown))}")
        with sb.lock:
            sb.config["ttl"].update({k: float(v) for k, v in data.items()})
    return jsonify({"ttl": sb.config["ttl"]})


@bp.route("/bulk", methods=["GET", "POST"])
def bulk() -> Response:
    """How slow bulk operations started from now on are: `{running_seconds, running_polls, seconds_per_poll}`."""
    sb = sandbox()
    if request.method == "POST":
        data = body()
        unknown = set(data) - set(sb.config["bulk"])
        if unknown:
            return problem(f"unknown settings: {', '.join(sorted(unknown))}")
        with sb.lock:
            sb.config["bulk"].update({k: float(v) for k, v in data.items()})
    return jsonify({"bulk": sb.config["bulk"]})


@bp.route("/faults", methods=["GET", "POST", "DELETE"])
def faults() -> Response:
    sb = sandbox()
    if request.method == "POST":
        try:
            rule = sb.faults.add(body())
        except ValueError as exc:
            return problem(str(exc))
        return jsonify({"id": rule.id, "faults": sb.faults.describe()})
    if request.method == "DELETE":
        sb.faults.clear()
    return jsonify({"faults": sb.faults.describe()})


@bp.route("/rate-limit", methods=["GET", "POST"])
def rate_limit() -> Response:
    sb = sandbox()
    if request.method == "POST":
        data = body()
        sb.limiter.configure(
            data.get("shop"),
            maximum_available=data.get("maximum_available"),
            restore_rate=data.get("restore_rate"),
            currently_available=data.get("currently_available"),
        )
    with sb.limiter.lock:
        buckets = [{"shop": shop, "client_id": cid, **b.status()} for (shop, cid), b in sb.limiter.buckets.items()]
    return jsonify({"defaults": sb.limiter.defaults, "overrides": sb.limiter.overrides, "buckets": buckets})


@bp.route("/requests", methods=["GET", "DELETE"])
def requests_log() -> Response:
    sb = sandbox()
    if request.method == "DELETE":
        sb.requests.clear()
    shop, since = request.args.get("shop"), int(request.args.get("since", 0))
    entries = [e for e in list(sb.requests) if (shop is None or e.get("shop") == shop) and e["seq"] > since]
    return jsonify({"requests": entries, "summary": sb.request_summary(shop)})


@bp.get("/idempotency")
def idempotency() -> Response:
    shop = request.args.get("shop")
    records = [r.describe() for r in list(sandbox().idempotency.values()) if shop is None or r.shop == shop]
    return jsonify({"keys": records})


@bp.post("/tokens")
def issue_token() -> Response:
    """A token without OAuth: of the given app, or (no client_id) an admin token of the shop's custom app, as a
    merchant would paste it; installs that app on the shop."""
    sb, data = sandbox(), body()
    if sb.shop(data.get("shop", "")) is None:
        return problem("unknown shop or client_id")
    app = sb.auth.app(data.get("client_id") or sb.custom_apps[data["shop"]]["client_id"])
    if app is None:
        return problem("unknown shop or client_id")
    scopes = split_scopes(data.get("scope")) or split_scopes(app["scopes"])
    with sb.lock:
        token = sb.auth.issue(data["shop"], app["client_id"], scopes, "custom", data.get("expires_in"))
    return jsonify(
        {
            "access_token": token.value,
            "scope": ",".join(scopes),
            "client_id": app["client_id"],
            "expires_in": data.get("expires_in"),
        }
    )


@bp.route("/webhooks", methods=["GET", "POST"])
def webhooks() -> Response:
    """GET: settings and deliveries; POST {paused, duplicate, reorder}: change how deliveries go out."""
    hooks = sandbox().webhooks
    if request.method == "POST":
        data = body()
        hooks.configure(paused=data.get("paused"), duplicate=data.get("duplicate"), reorder=data.get("reorder"))
    return jsonify(
        {
            "settings": {"paused": hooks.paused, "duplicate": hooks.duplicate, "reorder": hooks.reorder},
            "deliveries": hooks.deliveries(),
        }
    )


@bp.post("/webhooks/flush")
def webhooks_flush() -> Response:
    return jsonify({"sent": sandbox().webhooks.flush(str(body().get("order", "fifo")))})


@bp.post("/webhooks/wait")
def webhooks_wait() -> Response:
    return jsonify({"idle": sandbox().webhooks.wait_idle(float(body().get("timeout", 10)))})


@bp.post("/webhooks/trigger")
def webhooks_trigger() -> Response:
    """Send any topic with any payload to the shop's subscribers, e.g. to test a handler's edge cases."""
    sb, data = sandbox(), body()
    if sb.shop(data.get("shop", "")) is None or not data.get("topic"):
        return problem("shop and topic are required")
    payload = data.get("payload") or {}
    return jsonify({"queued": sb.webhooks.emit(data["shop"], data["topic"], lambda: payload)})
