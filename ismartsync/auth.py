"""Who is at the screen: sessions, the paired-device cookie, screen lock and permission checks."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import Flask, Response, abort, current_app, g, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select

from ismartsync.errors import DomainError, Throttled
from ismartsync.extensions import db, login_manager
from ismartsync.inputs import parse_id
from ismartsync.models import Counter, Device, User
from ismartsync.models.base import utcnow
from ismartsync.permissions import Effect, Permission
from ismartsync.services.audit import Actor
from ismartsync.services.auth import approval_candidates, approve_with_pin
from ismartsync.services.devices import device_secret_matches
from ismartsync.web import hx_redirect_or, note_signed_in, render

DEVICE_COOKIE = "ismartsync_device"
DEVICE_COOKIE_MAX_AGE = 400 * 24 * 3600  # browsers cap cookies at 400 days
# What a locked screen may still reach.
UNLOCKED_ENDPOINTS = {
    "device.locked",
    "device.unlock",
    "device.pin_pad",
    "device.pin_entry",
    "auth.sign_out_now",
    "static",
    "health.healthz",
}

M = TypeVar("M")


@login_manager.user_loader
def _load_user(user_id: str) -> User | None:
    ident, _, version = user_id.partition(".")
    if not ident.isdigit() or not version.isdigit():
        return None
    user = db.session.get(User, int(ident))
    if user is None or not user.active or user.session_version != int(version):
        return None
    return user


@login_manager.unauthorized_handler
def _unauthorized() -> Response:
    """Paired tablets go to their PIN pad; everyone else to the sign-in page."""
    if g.get("device") is not None:
        return hx_redirect_or(url_for("device.pin_pad"))
    wanted = request.full_path.rstrip("?") if request.method == "GET" and not request.htmx else None
    return hx_redirect_or(url_for("auth.sign_in_page", next=wanted))


def _device_serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="ismartsync.device")


def set_device_cookie(response: Response, device: Device, secret: str) -> None:
    response.set_cookie(
        DEVICE_COOKIE,
        _device_serializer().dumps([device.id, secret]),
        max_age=DEVICE_COOKIE_MAX_AGE,
        httponly=True,
        samesite="Lax",
        secure=current_app.config["DEVICE_COOKIE_SECURE"],
    )


def clear_device_cookie(response: Response) -> None:
    response.delete_cookie(
        DEVICE_COOKIE, httponly=True, samesite="Lax", secure=current_app.config["DEVICE_COOKIE_SECURE"]
    )


def _load_device() -> Device | None:
    raw = request.cookies.get(DEVICE_COOKIE)
    if not raw:
        return None
    try:
        device_id, secret = _device_serializer().loads(raw)
    except (BadSignature, ValueError, TypeError):
        return None
    device = db.session.get(Device, int(device_id))
    if device is None or not device.is_active or not device_secret_matches(device, str(secret)):
        return None
    now = utcnow()
    if device.last_seen_at is None or (now - device.last_seen_at).total_seconds() > 300:
        device.last_seen_at = now
        db.session.commit()
    return device


def sign_in(user: User, *, device: Device | None = None) -> None:
    """Start a session; a PIN session belongs to the device it was opened on."""
    session.clear()
    login_user(user)
    session.permanent = True
    if device is not None:
        session["device_id"] = device.id
    note_signed_in()


def sign_out() -> None:
    logout_user()
    session.clear()
    note_signed_in()


def _before_request() -> Response | None:
    if request.endpoint == "static":
        return None
    g.device = _load_device()
    if current_user.is_authenticated:
        bound = session.get("device_id")
        if bound is not None and (g.device is None or g.device.id != bound):
            sign_out()  # the device was unpaired, or the cookie was lost
        elif g.device is not None and g.device.merchant_id != current_user.merchant_id:
            g.device = None  # never mix one tenant's device with another tenant's session
        elif session.get("locked") and request.endpoint not in UNLOCKED_ENDPOINTS:
            return hx_redirect_or(url_for("device.locked"))
    note_signed_in()
    return None


def current_counter() -> Counter | None:
    """The counter this request's paired tablet belongs to (None on an unpaired browser)."""
    device = g.get("device")
    return device.counter if device else None


def current_actor() -> Actor:
    """The signed-in member as the services see them, with place and approver."""
    device = g.get("device")
    return Actor(
        user=current_user._get_current_object(),  # type: ignore[attr-defined]
        ip_address=request.remote_addr or "",
        branch_id=device.counter.branch_id if device else None,
        counter_id=device.counter_id if device else None,
        approver=g.get("approver"),
    )


def tenant_get_or_404(model: type[M], ident: Any) -> M:
    """Load a row of the signed-in member's merchant by id; any other tenant's id is a 404."""
    ident = parse_id(ident)  # beyond the id column's range (or not a number): no such row
    if ident is None:
        abort(404)
    row = db.session.scalar(
        select(model).where(model.id == ident, model.merchant_id == current_user.merchant_id)  # type: ignore[attr-defined]
    )
    if row is None:
        abort(404)
    return row


def tenant_get_many(model: type[M], idents: list[Any]) -> list[M]:
    """Rows of the signed-in member's merchant by id; a foreign id is a 404."""
    return [tenant_get_or_404(model, i) for i in dict.fromkeys(idents)]


def _approval_prompt(permission: Permission, error: DomainError | None = None) -> Any:
    counter = current_counter()
    carried = [
        (k, v)
        for k, v in request.form.items(multi=True)
        if k not in {"csrf_token", "approver_id", "approver_pin", "approval_target"}
    ]
    status = 429 if isinstance(error, Throttled) else (422 if error else 403)
    body, status, headers = render(
        "approvals/approval.html",
        "approvals/_approval.html",
        status,
        permission=permission,
        approvers=approval_candidates(db.session, current_user.merchant_id, permission, counter),
        carried=carried,
        action_url=request.url,
        target=request.form.get("approval_target") or request.headers.get("HX-Target") or "",
        error=error,
    )
    headers = {**headers, "X-Approval-Required": permission.value}
    if request.headers.get("HX-Request") == "true":
        headers.update({"HX-Retarget": "#dialog", "HX-Reswap": "innerHTML"})
    return body, status, headers


def authorize(permission: Permission) -> Any | None:
    """None when the member may go ahead (after a supervisor's PIN, if the role needs one); else the response to send.

    For actions whose permission depends on the values (a discount beyond the cashier's limit), so the view asks.
    """
    effect = current_user.effect(permission)
    if effect is Effect.ALLOWED:
        return None
    if effect is Effect.BLOCKED:
        abort(403)
    if request.method != "POST" or "approver_id" not in request.form:
        return _approval_prompt(permission)
    approver_id = parse_id(request.form.get("approver_id", ""))
    if approver_id is None:
        return _approval_prompt(permission, DomainError("Choose who approves.", field="approver_id"))
    try:
        g.approver = approve_with_pin(
            db.session,
            current_actor(),
            permission,
            approver_id,
            request.form.get("approver_pin", ""),
            current_counter(),
        )
    except DomainError as exc:
        return _approval_prompt(permission, exc)
    return None


def permission_required(permission: Permission) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Allow, refuse (403), or ask for a supervisor's PIN first, as the member's role says."""

    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        @login_required
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            refusal = authorize(permission)
            return refusal if refusal is not None else view(*args, **kwargs)

        wrapped.permission = permission  # type: ignore[attr-defined]
        return wrapped

    return decorator


def init_app(app: Flask) -> None:
    login_manager.session_protection = "basic"
    app.before_request(_before_request)
