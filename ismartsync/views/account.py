"""The signed-in member's own account: PIN and two-factor sign-in."""

from __future__ import annotations

import segno
from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user, login_required

from ismartsync.auth import current_actor
from ismartsync.errors import DomainError
from ismartsync.extensions import db
from ismartsync.forms import attach_error
from ismartsync.forms.auth import CodeForm, PinForm
from ismartsync.services import staff, two_factor

bp = Blueprint("account", __name__, url_prefix="/account")


def _page(status: int = 200, **context: object) -> tuple[str, int]:
    context.setdefault("pin_form", PinForm(formdata=None))
    context.setdefault("code_form", CodeForm(formdata=None))
    qr = None
    if current_user.totp_secret and not current_user.totp_enabled:
        qr = segno.make(two_factor.provisioning_uri(current_user), error="m").svg_data_uri(scale=5)
    return render_template(
        "account/index.html", qr=qr, may_2fa=two_factor.may_use_two_factor(current_user), **context
    ), status


@bp.get("")
@login_required
def index() -> object:
    return _page()


@bp.post("/pin")
@login_required
def set_pin() -> object:
    form = PinForm()
    if form.validate_on_submit():
        try:
            staff.set_pin(db.session, current_user, form.pin.data)
        except DomainError as exc:
            attach_error(form, exc)
        else:
            db.session.commit()
            flash("PIN saved. Use it on paired counter tablets.", "success")
            return redirect(url_for("account.index"), code=303)
    return _page(422, pin_form=form)


@bp.post("/two-factor/start")
@login_required
def start_two_factor() -> object:
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
    two_factor.disable_two_factor(db.session, current_actor())
    db.session.commit()
    flash("Two-factor sign-in is off.", "info")
    return redirect(url_for("account.index"), code=303)
