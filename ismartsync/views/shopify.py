"""Settings → Shopify: the connection status, the three ways to connect a store, the OAuth install and disconnect."""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user
from flask_wtf import FlaskForm

from ismartsync.access import current_actor, permission_required
from ismartsync.errors import DomainError
from ismartsync.extensions import db, login_manager
from ismartsync.forms import attach_error
from ismartsync.forms.shopify import AdminTokenForm, OAuthConnectForm, OwnAppForm, connect_forms
from ismartsync.models.shopify import AuthMethod
from ismartsync.permissions import Effect, Permission
from ismartsync.pipelines import webhook_subscriptions
from ismartsync.services.shopify_store import connection as connections
from ismartsync.shopify import oauth
from ismartsync.shopify.version import API_VERSION
from ismartsync.web.headers import CSP
from ismartsync.web.htmx import hx_redirect_or, render

bp = Blueprint("shopify", __name__, url_prefix="/shopify")

PENDING_KEY = "shopify_oauth"  # {state, shop, at}: the install this browser started
PENDING_TTL_SECONDS = 30 * 60


def _app() -> oauth.ShopifyApp:
    return oauth.ShopifyApp.from_config(current_app.config)


def _can_edit() -> bool:
    return current_user.effect(Permission.EDIT_SETTINGS) is not Effect.BLOCKED


def _shopify_origin() -> str:
    """Where the OAuth form may post on to: every myshopify.com shop, or the sandbox's fixed origin."""
    parts = urlsplit(_app().api_base.replace("{shop}", "shop.myshopify.com"))
    if parts.hostname and parts.hostname.endswith("myshopify.com"):
        return f"{parts.scheme}://*.myshopify.com"
    return f"{parts.scheme}://{parts.netloc}"


def _page(status: int = 200, fragment: str | None = None, **forms: FlaskForm) -> Any:
    body, status, headers = render(
        "shopify/connection.html",
        fragment,
        status,
        connection=connections.connection_of(db.session, current_user.merchant_id),
        can_edit=_can_edit(),
        api_version=API_VERSION,
        **{**connect_forms(), **forms},
    )
    # A plain "Connect" form is answered with a redirect to Shopify, which `form-action 'self'` would block.
    csp = CSP.replace("form-action 'self'", f"form-action 'self' {_shopify_origin()}")
    return body, status, {**headers, "Content-Security-Policy": csp}


def _failure(message: str, status: int = 400) -> tuple[str, int]:
    return render_template("shopify/oauth_error.html", message=message), status


@bp.get("")
@permission_required(Permission.PAGE_SETTINGS)
def connection() -> Any:
    return _page()


def _begin_install(shop: str) -> Response:
    """Remember a fresh state nonce for this browser and send it to Shopify's approval page."""
    state = oauth.new_state()
    session[PENDING_KEY] = {"state": state, "shop": shop, "at": int(time.time())}
    redirect_uri = current_app.config["BASE_URL"].rstrip("/") + url_for("shopify.oauth_callback")
    return hx_redirect_or(oauth.authorize_url(_app(), shop, redirect_uri=redirect_uri, state=state))


@bp.post("/connect")
@permission_required(Permission.PAGE_SETTINGS)
@permission_required(Permission.EDIT_SETTINGS)
def start_oauth() -> Any:
    form = OAuthConnectForm(prefix="oauth")
    if form.validate_on_submit():
        if _app().client_id and _app().client_secret:
            return _begin_install(form.shop.data)
        form.form_errors.append(
            "iSmartSync's Shopify app is not set up on this server (ISMARTSYNC_SHOPIFY_CLIENT_ID and "
            "ISMARTSYNC_SHOPIFY_CLIENT_SECRET). Use your own app or an admin token instead."
        )
    return _page(422, "shopify/_connect_oauth.html", oauth_form=form)


@bp.get("/install")
def install() -> Any:
    """The app URL Shopify opens (install or "Open app"): signed by Shopify, for a signed-in owner."""
    try:
        shop = oauth.verify_query(request.args.to_dict(), _app().secrets)
    except oauth.OAuthError as exc:
        return _failure(exc.message)
    if not current_user.is_authenticated:
        return login_manager.unauthorized()  # sign in, then come back here (the link stays valid for a day)
    if (
        not current_user.can(Permission.PAGE_SETTINGS)
        or current_user.effect(Permission.EDIT_SETTINGS) is not Effect.ALLOWED
    ):
        abort(403)
    existing = connections.connection_of(db.session, current_user.merchant_id)
    if existing and existing.is_connected and existing.shop_domain == shop and existing.auth_method == AuthMethod.OAUTH:
        return redirect(url_for("shopify.connection"), code=303)
    return _begin_install(shop)


def _check_pending(pending: Any, state: str | None, shop: str) -> None:
    if not isinstance(pending, dict) or not state or pending.get("state") != state:
        raise oauth.OAuthError("This install was not started from this browser, or was already finished. Start again.")
    if time.time() - int(pending.get("at", 0)) > PENDING_TTL_SECONDS:
        raise oauth.OAuthError("This install took too long. Start again.")
    if pending.get("shop") != shop:
        raise oauth.OAuthError(f"Shopify answered for {shop}, not for {pending.get('shop')}. Start again.")


@bp.get("/callback")
@permission_required(Permission.PAGE_SETTINGS)
def oauth_callback() -> Any:
    """Shopify sends the merchant back here with a code; only the browser that started the install may use it."""
    if current_user.effect(Permission.EDIT_SETTINGS) is Effect.BLOCKED:
        abort(403)
    pending = session.pop(PENDING_KEY, None)  # one use, whatever happens next
    try:
        shop = oauth.verify_query(request.args.to_dict(), _app().secrets)
        _check_pending(pending, request.args.get("state"), shop)
        connections.connect_with_oauth(
            db.session, current_actor(), _app(), shop=shop, code=request.args.get("code", "")
        )
    except DomainError as exc:
        db.session.rollback()
        return _failure(exc.message)
    db.session.commit()
    flash(f"Connected to {shop}.", "success")
    return redirect(url_for("shopify.connection"), code=303)


def _connect(form: FlaskForm, fragment: str, key: str, connect: Any) -> Any:
    if form.validate_on_submit():
        try:
            connection = connect(form)
        except DomainError as exc:
            db.session.rollback()
            attach_error(form, exc)
        else:
            db.session.commit()
            flash(f"Connected to {connection.shop_domain}.", "success")
            return hx_redirect_or(url_for("shopify.connection"))
    return _page(422, fragment, **{key: form})


@bp.post("/client-credentials")
@permission_required(Permission.PAGE_SETTINGS)
@permission_required(Permission.EDIT_SETTINGS)
def connect_own_app() -> Any:
    return _connect(
        OwnAppForm(prefix="own"),
        "shopify/_connect_own.html",
        "own_form",
        lambda f: connections.connect_with_client_credentials(
            db.session,
            current_actor(),
            _app(),
            shop=f.shop.data,
            client_id=f.client_id.data,
            client_secret=f.client_secret.data,
        ),
    )


@bp.post("/token")
@permission_required(Permission.PAGE_SETTINGS)
@permission_required(Permission.EDIT_SETTINGS)
def connect_token() -> Any:
    return _connect(
        AdminTokenForm(prefix="paste"),
        "shopify/_connect_token.html",
        "token_form",
        lambda f: connections.connect_with_admin_token(
            db.session,
            current_actor(),
            _app(),
            shop=f.shop.data,
            token=f.access_token.data,
            api_secret_key=f.api_secret_key.data or "",
        ),
    )


@bp.post("/disconnect")
@permission_required(Permission.PAGE_SETTINGS)
@permission_required(Permission.EDIT_SETTINGS)
def disconnect() -> Any:
    connection = connections.connection_of(db.session, current_user.merchant_id)
    if connection is not None and connection.is_connected:
        # Best effort, while the token still works: what Shopify does not confirm stays recorded as left there.
        removed, left = webhook_subscriptions.remove_subscriptions(db.session, connection)
        connections.disconnect(
            db.session, current_actor(), connection, subscriptions_removed=removed, subscriptions_left=left
        )
        db.session.commit()
        flash(f"Disconnected {connection.shop_domain}. Imported products and stock stay.", "success")
    return hx_redirect_or(url_for("shopify.connection"))
