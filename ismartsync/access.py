"""Who is at the screen: sessions, the paired-device cookie, screen lock and permission checks.

A session is a row on the server (`SignInSession`) named by a random id in the signed session cookie: signing out
deletes the row and locking marks it, so a copy of the cookie taken before is dead or stays locked.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import Flask, Response, abort, current_app, g, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select

from ismartsync.approvals import pending, wording
from ismartsync.errors import DomainError, Throttled
from ismartsync.extensions import db, login_manager
from ismartsync.inputs import parse_id
from ismartsync.models import Counter, Device, SignInSession, User
from ismartsync.models.base import utcnow
from ismartsync.permissions import Effect, Permission
from ismartsync.services.audit import Actor
from ismartsync.services.credentials import approval_candidates, approve_with_pin
from ismartsync.services.devices import device_secret_matches
from ismartsync.services.sales import branches_for
from ismartsync.services.sign_in_sessions import (
    end_session,
    find_session,
    keep_alive,
    purge_expired_sessions,
    start_session,
)
from ismartsync.services.two_factor import two_factor_missing
from ismartsync.web.htmx import hx_redirect_or, render
from ismartsync.web.logging import note_signed_in

SESSION_ID = "sid"  # the key of the server-side session's id in Flask's session cookie
DEVICE_COOKIE = "ismartsync_device"
DEVICE_COOKIE_MAX_AGE = 400 * 24 * 3600  # browsers cap cookies at 400 days
# What a locked screen may still reach.
UNLOCKED_ENDPOINTS = {
    "device.locked",
    "device.unlock",
    "device.pin_pad",
    "device.pin_entry",
    "sign_in.sign_out_now",
    "static",
    "health.healthz",
}
# What an owner or manager who must set up two-factor (the business requires it) may reach until they have.
TWO_FACTOR_SETUP_ENDPOINTS = {
    "account.index",
    "account.start_two_factor",
    "account.confirm_two_factor",
    "sign_in.sign_out_now",
    "static",
    "health.healthz",
}

M = TypeVar("M")


@login_manager.user_loader
def _load_user(user_id: str) -> User | None:
    ident, _, version = user_id.partition(".")
    if not ident.isdigit() or not version.isdigit():
        return None
    record = find_session(db.session, session.get(SESSION_ID), utcnow())
    if record is None or record.user_id != int(ident):
        return None  # signed out (on this screen or by a sweep) or expired: the cookie alone opens nothing
    user = record.user
    if not user.active or user.session_version != int(version):
        return None  # a password change, reset or deactivation ends every session of the member
    g.sign_in_session = record
    return user


@login_manager.unauthorized_handler
def _unauthorized() -> Response:
    """Paired tablets go to their PIN pad; everyone else to the sign-in page."""
    if g.get("device") is not None:
        return hx_redirect_or(url_for("device.pin_pad"))
    wanted = request.full_path.rstrip("?") if request.method == "GET" and not request.htmx else None
    return hx_redirect_or(url_for("sign_in.sign_in_page", next=wanted))


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


def current_sign_in() -> SignInSession | None:
    """The server-side session of this request's signed-in member."""
    return g.get("sign_in_session") if current_user.is_authenticated else None


def sign_in(user: User, *, device: Device | None = None) -> None:
    """Start a session (ending the one this screen had); a PIN session belongs to the device it was opened on."""
    now = utcnow()
    end_session(db.session, session.get(SESSION_ID))
    purge_expired_sessions(db.session, now)
    token = start_session(db.session, user, device, now, current_app.permanent_session_lifetime)
    db.session.commit()
    session.clear()
    login_user(user)
    session.permanent = True
    session[SESSION_ID] = token
    note_signed_in()


def sign_out() -> None:
    """End this screen's session on the server; the member's sessions on other screens go on."""
    end_session(db.session, session.get(SESSION_ID))
    db.session.commit()
    logout_user()
    session.clear()
    g.pop("sign_in_session", None)
    note_signed_in()


def _before_request() -> Response | None:
    if request.endpoint == "static":
        return None
    g.device = _load_device()
    if current_user.is_authenticated:
        record: SignInSession = g.sign_in_session
        if keep_alive(record, utcnow(), current_app.permanent_session_lifetime):
            db.session.commit()
        bound = record.device_id
        if bound is not None and (g.device is None or g.device.id != bound):
            sign_out()  # the device was unpaired, or the cookie was lost
        elif g.device is not None and g.device.merchant_id != current_user.merchant_id:
            g.device = None  # never mix one tenant's device with another tenant's session
        elif record.is_locked and request.endpoint not in UNLOCKED_ENDPOINTS:
            return hx_redirect_or(url_for("device.locked"))
        elif (
            not record.is_pin_session
            and two_factor_missing(current_user)
            and request.endpoint not in TWO_FACTOR_SETUP_ENDPOINTS
        ):
            return hx_redirect_or(url_for("account.index"))  # the page says why, and sets it up
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


def check_branch_visible(branch_id: int | None) -> None:
    """404 unless the signed-in member may see the records of that branch (sales, registers, shifts, rosters, FBR
    reports): a branch they do not work at answers like another tenant's id. The rule is `branches_for`."""
    if branch_id is None or branch_id not in {b.id for b in branches_for(db.session, current_user)}:
        abort(404)


def tenant_get_many(model: type[M], idents: list[Any]) -> list[M]:
    """Rows of the signed-in member's merchant by id; a foreign id is a 404."""
    return [tenant_get_or_404(model, i) for i in dict.fromkeys(idents)]


def _approval_prompt(permission: Permission, error: DomainError | None = None, what: str | None = None) -> Any:
    """The supervisor's dialog: what is to be approved, who may approve it, their PIN.

    The member's form waits on the server under a one-time key (`approvals.pending`): the dialog carries the key,
    never the fields, so nothing typed (an FBR token) is echoed into the page.
    """
    counter = current_counter()
    status = 429 if isinstance(error, Throttled) else (422 if error else 403)
    return _dialog(
        status,
        permission=permission,
        what=what or wording.describe(permission),
        approvers=approval_candidates(db.session, current_user.merchant_id, permission, counter),
        approval_key=pending.keep_form() if request.method == "POST" else None,
        action_url=request.url,
        target=request.form.get("approval_target") or request.headers.get("HX-Target") or "",
        error=error,
        headers={"X-Approval-Required": permission.value},
    )


def _dialog(status: int, headers: dict[str, str], **context: Any) -> Any:
    body, status, base = render("approvals/approval.html", "approvals/_approval.html", status, **context)
    headers = {**base, **headers}
    if request.headers.get("HX-Request") == "true":
        headers.update({"HX-Retarget": "#dialog", "HX-Reswap": "innerHTML"})
    return body, status, headers


def _restore_approval_form() -> Any | None:
    """An approval's dialog brings back the form it was asked for; a spent or stale key does nothing and says so."""
    if pending.restore_form() is not False:
        return None
    return _dialog(422, {}, expired=True, minutes=pending.PENDING_SECONDS // 60)


def authorize(permission: Permission, what: str | None = None, *, needed: bool = False) -> Any | None:
    """None when the member may go ahead (after a supervisor's PIN, if the role needs one); else the response to send.

    For actions whose permission depends on the values (a discount beyond the cashier's limit), so the view asks;
    `what` says what is being approved when the request alone does not (`approvals.wording` says it otherwise).
    `needed`: a rule of the merchant's asks for a supervisor even when the role allows the action (a refund over the
    owner's limit); the view decides it (`services.returns.policy.needs_supervisor`).
    """
    effect = current_user.effect(permission)
    if effect is Effect.ALLOWED and not needed:
        return None
    if effect is Effect.BLOCKED:
        abort(403)
    if request.method != "POST" or "approver_id" not in request.form:
        return _approval_prompt(permission, what=what)
    approver_id = parse_id(request.form.get("approver_id", ""))
    if approver_id is None:
        return _approval_prompt(permission, DomainError("Choose who approves.", field="approver_id"), what)
    try:
        g.approver = approve_with_pin(
            db.session,
            current_actor(),
            permission,
            approver_id,
            request.form.get("approver_pin", ""),
            current_counter(),
            needed=needed,
        )
    except DomainError as exc:
        return _approval_prompt(permission, exc, what)
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
    app.before_request(_restore_approval_form)
