"""Sign-up, sign-in (with optional two-factor), sign-out, password reset and invitations."""

from __future__ import annotations

from flask import (
    Blueprint,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user

from ismartsync.access import sign_in, sign_out
from ismartsync.errors import DomainError, Throttled
from ismartsync.extensions import db
from ismartsync.forms import attach_error
from ismartsync.forms.sign_in import (
    AcceptInviteForm,
    CodeForm,
    ForgotPasswordForm,
    SetPasswordForm,
    SignInForm,
    SignUpForm,
)
from ismartsync.inputs import safe_next
from ismartsync.models import User
from ismartsync.services import credentials, merchants, staff

bp = Blueprint("sign_in", __name__)


def _form_page(template: str, form: object, status: int = 200, **context: object) -> tuple[str, int]:
    return render_template(template, form=form, **context), status


def _next_url() -> str:
    return safe_next(request.args.get("next"), url_for("dashboard.index"))


@bp.route("/sign-up", methods=["GET", "POST"])
def sign_up() -> object:
    form = SignUpForm()
    if not form.validate_on_submit():
        return _form_page("sign_in/sign_up.html", form, 422 if form.is_submitted() else 200)
    try:
        staff.validate_password(form.password.data, form.email.data)
        owner = merchants.sign_up_owner(
            db.session,
            legal_name=form.legal_name.data,
            brand_name=form.brand_name.data,
            owner_name=form.owner_name.data,
            email=form.email.data,
            password=form.password.data,
        )
    except DomainError as exc:
        db.session.rollback()
        attach_error(form, exc)
        return _form_page("sign_in/sign_up.html", form, 422)
    db.session.commit()
    sign_in(owner)
    flash("Welcome! Your business is set up with a first branch and counter.", "success")
    return redirect(url_for("dashboard.index"), code=303)


@bp.route("/sign-in", methods=["GET", "POST"])
def sign_in_page() -> object:
    if current_user.is_authenticated:
        return redirect(url_for("dashboard.index"))
    form = SignInForm()
    if not form.validate_on_submit():
        return _form_page("sign_in/sign_in.html", form, 422 if form.is_submitted() else 200)
    try:
        user = credentials.authenticate_password(
            db.session, form.email.data, form.password.data, request.remote_addr or ""
        )
    except Throttled as exc:
        attach_error(form, exc)
        return _form_page("sign_in/sign_in.html", form, 429)
    except DomainError as exc:
        attach_error(form, exc)
        return _form_page("sign_in/sign_in.html", form, 401)
    if credentials.needs_second_factor(user):
        session.clear()
        session["pending_user_id"] = user.id
        session["pending_next"] = _next_url()
        return redirect(url_for("sign_in.second_factor"), code=303)
    credentials.record_sign_in(user)
    db.session.commit()
    sign_in(user)
    return redirect(_next_url(), code=303)


@bp.route("/sign-in/code", methods=["GET", "POST"])
def second_factor() -> object:
    user_id = session.get("pending_user_id")
    user = db.session.get(User, user_id) if user_id else None
    if user is None or not user.active:
        return redirect(url_for("sign_in.sign_in_page"))
    form = CodeForm()
    if not form.validate_on_submit():
        return _form_page("sign_in/second_factor.html", form, 422 if form.is_submitted() else 200)
    try:
        credentials.verify_totp(user, form.code.data, request.remote_addr or "")
    except DomainError as exc:
        attach_error(form, exc)
        return _form_page("sign_in/second_factor.html", form, 429 if isinstance(exc, Throttled) else 401)
    next_url = session.get("pending_next") or url_for("dashboard.index")
    credentials.record_sign_in(user)
    db.session.commit()
    sign_in(user)
    return redirect(next_url, code=303)


@bp.post("/sign-out")
def sign_out_now() -> object:
    on_device = g.get("device") is not None
    sign_out()
    return redirect(url_for("device.pin_pad" if on_device else "sign_in.sign_in_page"), code=303)


@bp.route("/password/forgot", methods=["GET", "POST"])
def forgot_password() -> object:
    form = ForgotPasswordForm()
    if not form.validate_on_submit():
        return _form_page("sign_in/forgot_password.html", form, 422 if form.is_submitted() else 200)
    reset_url = url_for("sign_in.reset_password", token="TOKEN", _external=True).replace("TOKEN", "{token}")
    staff.request_password_reset(db.session, form.email.data, reset_url)
    db.session.commit()
    return _form_page("sign_in/forgot_password.html", form, sent=True)


def _token_user(purpose: str, token: str) -> User:
    ttl = current_app.config["INVITE_TTL" if purpose == staff.INVITE else "RESET_TTL"]
    return staff.user_from_token(db.session, purpose, token, ttl)


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str) -> object:
    try:
        user = _token_user(staff.RESET, token)
    except DomainError as exc:
        return render_template("sign_in/link_problem.html", message=exc.message), 410
    form = SetPasswordForm()
    if not form.validate_on_submit():
        return _form_page("sign_in/reset_password.html", form, 422 if form.is_submitted() else 200, user=user)
    try:
        staff.reset_password(db.session, user, form.password.data)
    except DomainError as exc:
        attach_error(form, exc)
        return _form_page("sign_in/reset_password.html", form, 422, user=user)
    db.session.commit()
    flash("Password changed. Sign in with your new password.", "success")
    return redirect(url_for("sign_in.sign_in_page"), code=303)


@bp.route("/invite/<token>", methods=["GET", "POST"])
def accept_invite(token: str) -> object:
    try:
        user = _token_user(staff.INVITE, token)
    except DomainError as exc:
        return render_template("sign_in/link_problem.html", message=exc.message), 410
    form = AcceptInviteForm()
    if not form.validate_on_submit():
        return _form_page("sign_in/accept_invite.html", form, 422 if form.is_submitted() else 200, user=user)
    try:
        staff.accept_invite(db.session, user, form.password.data, form.pin.data or None)
    except DomainError as exc:
        db.session.rollback()
        attach_error(form, exc)
        return _form_page("sign_in/accept_invite.html", form, 422, user=user)
    db.session.commit()
    sign_in(user)
    flash(f"Welcome to {user.merchant.brand_name}, {user.first_name}.", "success")
    return redirect(url_for("dashboard.index"), code=303)
