"""OAuth as Shopify serves it: the install (authorize) page, the signed redirect back to the app, and
`/admin/oauth/access_token` for authorization codes (offline, expiring, online), refresh tokens and client
credentials."""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, Response, abort, current_app, jsonify, redirect, render_template, request

from sandbox.shopify.auth import Token, split_scopes
from sandbox.shopify.core import Sandbox
from sandbox.shopify.graphql_view import fault_reply

bp = Blueprint("shopify_oauth", __name__)


def sandbox() -> Sandbox:
    return current_app.extensions["shopify_sandbox"]


def sign_query(params: dict[str, str], secret: str) -> str:
    """Shopify's query HMAC: hex HMAC-SHA256 of the sorted `k=v` pairs joined by `&`, without hmac/signature."""
    message = "&".join(f"{k}={v}" for k, v in sorted(params.items()) if k not in ("hmac", "signature"))
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()


def host_param(shop: str) -> str:
    return (
        base64.b64encode(f"admin.shopify.com/store/{shop.removesuffix('.myshopify.com')}".encode()).decode().rstrip("=")
    )


def signed_url(base: str, params: dict[str, str], secret: str) -> str:
    params = {**params, "hmac": sign_query(params, secret)}
    return f"{base}{'&' if '?' in base else '?'}{urlencode(sorted(params.items()))}"


def _error_page(message: str, status: int) -> Response:
    return Response(render_template("shopify_sandbox/oauth_error.html", message=message), status=status)


def _redirect_allowed(app: dict[str, Any], uri: str, app_url: str) -> bool:
    allowed = app.get("redirect_urls")
    if allowed:
        return uri in allowed
    return uri.startswith(app_url.rstrip("/") + "/")


@bp.route("/shops/<shop>/admin/oauth/authorize", methods=["GET", "POST"])
def authorize(shop: str) -> Response:
    sb = sandbox()
    if sb.shop(shop) is None:
        abort(404)
    args = request.values
    client_id, redirect_uri = args.get("client_id", ""), args.get("redirect_uri", "")
    app = sb.auth.app(client_id, custom=False)
    if app is None:
        return _error_page(
            f"Oauth error invalid_request: Could not find Shopify API application with api_key {client_id}", 400
        )
    if not _redirect_allowed(app, redirect_uri, sb.config["app_url"]):
        return _error_page("Oauth error invalid_request: The redirect_uri is not whitelisted", 400)
    asked = split_scopes(args.get("scope"))
    online = "per-user" in args.getlist("grant_options[]")
    if request.method == "GET" and not app.get("auto_approve"):
        scopes = sb.auth.granted(app, asked)
        return Response(
            render_template(
                "shopify_sandbox/authorize.html",
                shop=sb.shop(shop),
                app=app,
                scopes=scopes,
                fields=[(k, v) for k, v in args.items(multi=True)],
            )
        )
    with sb.lock:
        grant = sb.auth.create_grant(shop, client_id, sb.auth.granted(app, asked), redirect_uri, online)
    params = {"code": grant.code, "host": host_param(shop), "shop": shop, "timestamp": str(int(sb.now()))}
    if args.get("state") is not None:
        params["state"] = args["state"]
    return redirect(signed_url(redirect_uri, params, app["client_secret"]), code=302)


def _oauth_error(error: str, description: str, status: int = 400) -> Response:
    response = jsonify({"error": error, "error_description": description})
    response.status_code = status
    return response


def _token_body(token: Token, refresh: Any = None, now: float = 0.0) -> dict[str, Any]:
    body: dict[str, Any] = {"access_token": token.value, "scope": ",".join(token.scopes)}
    if token.expires_at is not None:
        body["expires_in"] = round(token.expires_at - token.created_at)
    if refresh is not None:
        body["refresh_token"] = refresh.value
        body["refresh_token_expires_in"] = round(refresh.expires_at - now)
    if token.user is not None:
        body["associated_user_scope"] = body["scope"]
        body["associated_user"] = token.user
    return body


@bp.post("/shops/<shop>/admin/oauth/access_token")
def access_token(shop: str) -> Response:
    sb = sandbox()
    if sb.shop(shop) is None:
        abort(404)
    fault = sb.faults.take("oauth", ("access_token",))
    if fault is not None and (early := fault_reply(fault, "2026-07")) is not None:
        return early
    params = {**(request.get_json(silent=True) or {}), **request.form.to_dict()}
    app = sb.auth.app(params.get("client_id"), custom=False)
    if app is None or not hmac.compare_digest(str(params.get("client_secret", "")), app["client_secret"]):
        return _oauth_error("invalid_client", "Client authentication failed: unknown client_id or wrong secret.", 401)
    grant_type = params.get("grant_type") or "authorization_code"
    with sb.lock:
        if grant_type == "authorization_code":
            return _exchange_code(sb, shop, app, params)
        if grant_type == "refresh_token":
            refresh = sb.auth.use_refresh(str(params.get("refresh_token", "")), shop, app["client_id"])
            if refresh is None:
                return _oauth_error("invalid_grant", "The refresh token is invalid, expired or already replaced.")
            token = sb.auth.issue(shop, app["client_id"], refresh.scopes, "expiring", sb.auth.ttl("access_token"))
            new_refresh = sb.auth.issue_refresh(shop, app["client_id"], refresh.scopes, parent=refresh.value)
            return jsonify(_token_body(token, new_refresh, sb.now()))
        if grant_type == "client_credentials":
            if not app.get("client_credentials"):
                return _oauth_error("unauthorized_client", "This app can't use the client credentials grant.")
            scopes = sb.auth.installs.get((shop, app["client_id"])) or sb.auth.granted(app, ())
            token = sb.auth.issue(
                shop, app["client_id"], scopes, "client_credentials", sb.auth.ttl("client_credentials"), prefix="shpca_"
            )
            return jsonify(_token_body(token))
    return _oauth_error("unsupported_grant_type", f"The grant type {grant_type} is not supported by the sandbox.")


def _exchange_code(sb: Sandbox, shop: str, app: dict[str, Any], params: dict[str, Any]) -> Response:
    grant = sb.auth.grants.get(str(params.get("code", "")))
    if (
        grant is None
        or grant.used
        or grant.shop != shop
        or grant.client_id != app["client_id"]
        or grant.expires_at <= sb.now()
    ):
        return _oauth_error("invalid_request", "The authorization code was not found or was already used")
    grant.used = True
    if grant.online:
        token = sb.auth.issue(shop, app["client_id"], grant.scopes, "online", sb.auth.ttl("online"), prefix="shpua_")
        token.user = {
            "id": 902541635,
            "first_name": "Zari",
            "last_name": "Owner",
            "email": f"owner@{shop}",
            "email_verified": True,
            "account_owner": True,
            "locale": "en",
            "collaborator": False,
        }
        return jsonify(_token_body(token))
    if str(params.get("expiring", "")).lower() in ("1", "true"):
        token = sb.auth.issue(shop, app["client_id"], grant.scopes, "expiring", sb.auth.ttl("access_token"))
        refresh = sb.auth.issue_refresh(shop, app["client_id"], grant.scopes, parent=None)
        return jsonify(_token_body(token, refresh, sb.now()))
    token = sb.auth.issue(shop, app["client_id"], grant.scopes, "offline", None)
    return jsonify(_token_body(token))
