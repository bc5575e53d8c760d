"""The paired counter device: pairing, the PIN pad, switching cashier and locking the screen."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    flash,
    g,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required

from ismartsync.access import (
    clear_device_cookie,
    current_actor,
    current_sign_in,
    permission_required,
    set_device_cookie,
    sign_in,
    tenant_get_or_404,
)
from ismartsync.errors import DomainError, Throttled
from ismartsync.extensions import db
from ismartsync.forms import attach_error
from ismartsync.forms.settings import PairDeviceForm
from ismartsync.forms.sign_in import PinForm
from ismartsync.models import Counter, Device, User
from ismartsync.models.base import utcnow
from ismartsync.permissions import Permission
from ismartsync.services import credentials
from ismartsync.services.devices import pair_device, revoke_device
from ismartsync.services.sign_in_sessions import lock_session, unlock_session
from ismartsync.web.htmx import hx_redirect_or

bp = Blueprint("device", __name__, url_prefix="/device")


def _paired_device() -> Device:
    device = g.get("device")
    if device is None:
        abort(redirect(url_for("sign_in.sign_in_page")))
    return device


@bp.get("/pin")
def pin_pad() -> object:
    """Tiles of the members who work at this counter; tap your name, then type your PIN."""
    device = _paired_device()
    users = credentials.pin_users(db.session, device.counter)
    return render_template("device/pin_pad.html", users=users, counter=device.counter)


def _pin_user(user_id: int) -> User:
    device = _paired_device()
    user = db.session.get(User, user_id)
    if user is None or user.merchant_id != device.merchant_id or not user.active or not user.works_at(device.counter):
        abort(404)
    return user


@bp.route("/pin/<int:user_id>", methods=["GET", "POST"])
def pin_entry(user_id: int) -> object:
    device = _paired_device()
    user = _pin_user(user_id)
    form = PinForm()
    template = "device/pin_entry.html"
    if not form.validate_on_submit():
        return render_template(
            template, form=form, user=user, counter=device.counter
        ), 422 if form.is_submitted() else 200
    try:
        credentials.authenticate_pin(db.session, device.counter, user.id, form.pin.data, request.remote_addr or "")
    except DomainError as exc:
        attach_error(form, exc)
        status = 429 if isinstance(exc, Throttled) else 401
        return render_template(template, form=form, user=user, counter=device.counter), status
    switched = current_user.is_authenticated and current_user.id != user.id
    credentials.record_sign_in(user)
    db.session.commit()
    sign_in(user, device=device)
    if switched:
        flash(f"Switched to {user.full_name}.", "info")
    # A counter tablet is for selling: whoever may sell lands at the counter, anyone else on their dashboard.
    landing = "counter.index" if user.can(Permission.PAGE_POS) else "dashboard.index"
    return redirect(url_for(landing), code=303)


@bp.post("/lock")
@login_required
def lock() -> object:
    _paired_device()
    lock_session(db.session, current_sign_in(), utcnow())  # on the server: a copy of the cookie stays locked too
    db.session.commit()
    return hx_redirect_or(url_for("device.locked"))


@bp.get("/locked")
@login_required
def locked() -> object:
    device = _paired_device()
    if not current_sign_in().is_locked:
        return redirect(url_for("dashboard.index"))
    return render_template("device/locked.html", form=PinForm(), user=current_user, counter=device.counter)


@bp.post("/unlock")
@login_required
def unlock() -> object:
    device = _paired_device()
    form = PinForm()
    context = {"form": form, "user": current_user, "counter": device.counter}
    if not form.validate_on_submit():
        return render_template("device/locked.html", **context), 422
    try:
        credentials.authenticate_pin(
            db.session, device.counter, current_user.id, form.pin.data, request.remote_addr or ""
        )
    except DomainError as exc:
        attach_error(form, exc)
        return render_template("device/locked.html", **context), 429 if isinstance(exc, Throttled) else 401
    unlock_session(db.session, current_sign_in())
    db.session.commit()
    return redirect(url_for("dashboard.index"), code=303)


@bp.post("/pair/<int:counter_id>")
@permission_required(Permission.PAIR_DEVICE)
def pair(counter_id: int) -> object:
    counter = tenant_get_or_404(Counter, counter_id)
    form = PairDeviceForm()
    if not form.validate_on_submit():
        flash("Give the tablet a shorter name.", "error")
        return redirect(url_for("settings.branch", branch_id=counter.branch_id), code=303)
    try:
        device, secret = pair_device(
            db.session, current_actor(), counter, form.label.data or "Tablet", request.user_agent.string or ""
        )
    except DomainError as exc:
        flash(exc.message, "error")
        return redirect(url_for("settings.branch", branch_id=counter.branch_id), code=303)
    db.session.commit()
    flash(f"This browser is now “{device.label}” at {counter.label}. Cashiers sign in here with their PIN.", "success")
    response = make_response(redirect(url_for("dashboard.index"), code=303))
    set_device_cookie(response, device, secret)
    return response


@bp.post("/<int:device_id>/revoke")
@permission_required(Permission.PAIR_DEVICE)
def revoke(device_id: int) -> object:
    device = tenant_get_or_404(Device, device_id)
    revoke_device(db.session, current_actor(), device)
    db.session.commit()
    flash(f"“{device.label}” is unpaired; it can no longer open PIN sessions.", "success")
    response = make_response(redirect(url_for("settings.branch", branch_id=device.counter.branch_id), code=303))
    if g.get("device") is not None and g.device.id == device.id:
        clear_device_cookie(response)
    return response
