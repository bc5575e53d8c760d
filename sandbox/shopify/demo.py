"""`/sandbox/`: a plain HTML page (no JavaScript) to look at the sandbox shops, change stock at a location, place
online orders, and open an installed app the way the Shopify admin does (a signed launch URL)."""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, redirect, render_template, request, url_for

from sandbox.shopify import admin, events
from sandbox.shopify.auth import split_scopes
from sandbox.shopify.core import Sandbox
from sandbox.shopify.oauth import host_param, signed_url
from sandbox.shopify.search import predicate
from sandbox.shopify.store import ShopState

bp = Blueprint("shopify_demo", __name__, url_prefix="/sandbox")
PAGE = 40


def sandbox() -> Sandbox:
    return current_app.extensions["shopify_sandbox"]


def _shop(sb: Sandbox, domain: str) -> ShopState:
    state = sb.shop(domain)
    if state is None:
        abort(404)
    return state


@bp.get("/")
def index() -> str:
    sb = sandbox()
    with sb.lock:
        return render_template(
            "shopify_sandbox/index.html",
            sb=sb,
            deliveries=sb.webhooks.deliveries()[-15:][::-1],
            summary=sb.request_summary(),
        )


@bp.get("/shops/<shop>")
def shop_page(shop: str) -> str:
    sb = sandbox()
    q = request.args.get("q", "").strip()
    with sb.lock:
        state = _shop(sb, shop)
        keep = predicate(q, {"_text": lambda v: f"{v.product.title} {v.title} {v.sku or ''} {v.barcode or ''}"})
        variants = [v for v in state.variants if not v.deleted and (keep is None or keep(v))][:PAGE]
        return render_template(
            "shopify_sandbox/shop.html",
            sb=sb,
            shop=state,
            variants=variants,
            q=q,
            locations=state.live_locations(),
            orders=state.orders[-15:][::-1],
            message=request.args.get("message"),
            error=request.args.get("error"),
            token=None,
        )


def _back(shop: str, **params: str) -> Response:
    return redirect(url_for("shopify_demo.shop_page", shop=shop, q=request.form.get("q", ""), **params), code=303)


@bp.post("/shops/<shop>/stock")
def set_stock(shop: str) -> Response:
    sb = sandbox()
    form = request.form
    with sb.lock:
        state = _shop(sb, shop)
        try:
            variant = admin.find_variant(state, {"variant_id": form.get("variant_id")})
            location = admin.find_location(state, {"location_id": form.get("location_id")})
            admin.set_stock(sb, state, variant, location, available=int(form.get("available", "")))
        except (admin.AdminError, ValueError) as exc:
            return _back(shop, error=str(exc))
    return _back(
        shop, message=f"{variant.sku or variant.title} at {location.name}: available set to {form.get('available')}"
    )


@bp.post("/shops/<shop>/orders")
def place_order(shop: str) -> Response:
    sb = sandbox()
    form = request.form
    ref = form.get("variant", "").strip()
    line = {"variant_id": ref} if ref.isdigit() or ref.startswith("gid://") else {"sku": ref}
    line["quantity"] = form.get("quantity", "1")
    with sb.lock:
        state = _shop(sb, shop)
        try:
            order = admin.place_order(
                sb,
                state,
                [line],
                customer_id=form.get("customer_id") or None,
                financial_status=form.get("financial_status", "PENDING"),
            )
        except (admin.AdminError, ValueError) as exc:
            return _back(shop, error=str(exc))
    return _back(shop, message=f"Online order {order.name} placed")


@bp.post("/shops/<shop>/custom-app/token")
def custom_app_token(shop: str) -> str:
    """Install the shop's custom app and show its Admin API access token once, as Shopify's admin does."""
    sb = sandbox()
    with sb.lock:
        state = _shop(sb, shop)
        app = sb.custom_apps[shop]
        token = sb.auth.issue(shop, app["client_id"], split_scopes(app["scopes"]), "custom", None)
        return render_template(
            "shopify_sandbox/shop.html",
            sb=sb,
            shop=state,
            variants=[v for v in state.variants if not v.deleted][:PAGE],
            q="",
            locations=state.live_locations(),
            orders=state.orders[-15:][::-1],
            message="Custom app installed. Copy the token now: it is shown only once.",
            error=None,
            token=token.value,
        )


@bp.post("/shops/<shop>/uninstall")
def uninstall(shop: str) -> Response:
    """Uninstall an app as a merchant would: its credentials go, and it gets `app/uninstalled`."""
    sb = sandbox()
    with sb.lock:
        events.app_uninstalled(sb, _shop(sb, shop), request.form.get("client_id", ""))
    return redirect(url_for("shopify_demo.index"), code=303)


@bp.get("/shops/<shop>/launch/<client_id>")
def launch(shop: str, client_id: str) -> Response:
    """Open the app as the Shopify admin does: its app URL with shop, host, timestamp and an HMAC."""
    sb = sandbox()
    _shop(sb, shop)
    app = sb.auth.app(client_id)
    if app is None or not app.get("launch_url"):
        abort(404)
    params = {"shop": shop, "host": host_param(shop), "timestamp": str(int(sb.now()))}
    return redirect(signed_url(app["launch_url"], params, app["client_secret"]), code=302)
