"""The signed-in member's own account: PIN and two-factor sign-in.

Changing how one signs in asks for the password (and a current code when two-factor is on), and never from a PIN
session: four digits typed on a shared tablet must not be enough to change a PIN or turn two-factor off.
"""

from __future__ import annotations

from collections.abc import Callable

import segno
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from ismartsync.access import current_actor, current_sign_in
from ismartsync.errors import DomainError, Throttled
from ismartsync.extensions import db
from ismartsync.forms import attach_error
from ismartsync.forms.sign_in import ChangePinForm, CodeForm, ConfirmIdentityForm
from ismartsync.services import staff, two_factor
from ismartsync.services.credentials import confirm_identity

bp = Blueprint("account", __name__, url_prefix="/account")


def _off_form(**kwargs: object) -> ConfirmIdentityForm:
    """The form that turns two-factor off; its fields have ids of their own, as the PIN form on the page asks too."""
    form = ConfirmIdentityForm(**kwargs)
    for f in form:
        f.id = f"off-{f.name}"
        f.label.field_id = f.id
    return form


def _page(status: int = 200, **context: object) -> tuple[str, int]:
    context.setdefault("pin_form", ChangePinForm(formdata=None))
    context.setdefault("code_form", CodeForm(formdata=None))
    context.setdefault("off_form", _off_form(formdata=None))
    qr = None
    if current_user.totp_secret and not current_user.totp_enabled:
        qr = segno.make(two_factor.provisioning_uri(current_user), error="m").svg_data_uri(scale=5)
    return render_template(
        "account/index.html",
        qr=qr,
        may_2fa=two_factor.may_use_two_factor(current_user),
        must_2fa=two_factor.two_factor_missing(current_user),
        pin_session=current_sign_in().is_pin_session,
        **context,
    ), status


def _password_session_only() -> None:
    """A PIN session (a shared tablet) cannot change how the member signs in."""
    if current_sign_in().is_pin_session:
        abort(403)


@bp.get("")
@login_required
def index() -> object:
    return _page()


def _changed_after_confirming(
    form: ConfirmIdentityForm, change: Callable[[], None], done: str, page_key: str
) -> object:
    """Check who it is (password, and code), then make the change; the form again with the message otherwise."""
    status = 422
    if form.validate_on_submit():
        try:
            confirm_identity(current_user, form.password.data, form.code.data or "", request.remote_addr or "")
            change()
        except DomainError as exc:
            db.session.rollback()
            attach_error(form, exc)
            status = 429 if isinstance(exc, Throttled) else 422
        else:
            db.session.commit()
            flash(done, "success")
            return redirect(url_for("account.index"), code=303)
    return _page(status, **{page_key: form})


@bp.post("/pin")
@login_required
def set_pin() -> object:
    _password_session_only()
    form = ChangePinForm()
    return _changed_after_confirming(
        form,
        lambda: staff.set_pin(db.session, current_user, form.pin.data),
        "PIN saved. Use it on paired counter tablets.",
        "pin_form",
    )


@bp.post("/two-factor/start")
@login_required
def start_two_factor() -> object:
    _password_session_only()
    try:
        two_factor.start_two_factor(db.session, current_user)
    except DomainError as exc:
        flash(exc.message, "error")
        return redirect(url_for("account.index"), code=303)
    db.session.commit()
    return redirect(url_for("account.index"), code=303)


@bp.post("/two-factor/confirm")
@login_required
def confirm_two_factor() -> object:
    _password_session_only()
    form = CodeForm()
    if form.validate_on_submit():
        try:
            two_factor.confirm_two_factor(db.session, current_actor(), form.code.data)
        except DomainError as exc:
            attach_error(form, exc)
        else:
            db.session.commit()
            flash("Two-factor sign-in is on.", "success")
            return redirect(url_for("account.index"), code=303)
    return _page(422, code_form=form)


@bp.post("/two-factor/off")
@login_required
def disable_two_factor() -> object:
    _password_session_only()
    return _changed_after_confirming(
        _off_form(),
        lambda: two_factor.disable_two_factor(db.session, current_actor()),
        "Two-factor sign-in is off.",
        "off_form",
    )
