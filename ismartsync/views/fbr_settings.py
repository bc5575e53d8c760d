"""Settings → FBR: the business's FBR backend, environment, token and default PCT code, each counter's switch,
POSID and own token, and per branch the counter that reports its online orders."""

from __future__ import annotations

from flask import Blueprint, flash
from flask_login import current_user

from ismartsync.access import current_actor, permission_required, tenant_get_or_404
from ismartsync.errors import DomainError
from ismartsync.extensions import db
from ismartsync.fiscal import payment_modes
from ismartsync.forms import attach_error
from ismartsync.forms.settings import CounterFbrForm, FbrSettingsForm, OnlineCounterForm
from ismartsync.models import Branch, Counter
from ismartsync.permissions import Permission
from ismartsync.services.fiscal import online_counters
from ismartsync.services.fiscal import settings as fiscal_settings
from ismartsync.views.settings import can_edit, merchant_branches
from ismartsync.web.htmx import is_htmx, render

bp = Blueprint("fbr_settings", __name__, url_prefix="/settings/fbr")


def _counter_fbr_form(counter: Counter) -> CounterFbrForm:
    return CounterFbrForm(formdata=None, obj=counter).for_counter(counter.id)


def _online_form(branch: Branch, formdata: object = None) -> OnlineCounterForm:
    current = online_counters.online_counter_of(db.session, branch)
    form = OnlineCounterForm() if formdata else OnlineCounterForm(formdata=None)
    return form.for_branch(branch.id, online_counters.online_counter_choices(branch), current.id if current else None)


def _fbr_page(
    status: int = 200,
    *,
    fragment: str | None = None,
    form: FbrSettingsForm | None = None,
    counter_forms: dict[int, CounterFbrForm] | None = None,
    online_forms: dict[int, OnlineCounterForm] | None = None,
    **context: object,
) -> object:
    merchant = current_user.merchant
    branches = merchant_branches()
    forms = {c.id: _counter_fbr_form(c) for b in branches for c in b.counters} | (counter_forms or {})
    online = {b.id: _online_form(b) for b in branches} | (online_forms or {})
    return render(
        "settings/fbr.html",
        fragment,
        status,
        merchant=merchant,
        form=form or FbrSettingsForm(formdata=None, obj=merchant),
        branches=branches,
        counter_forms=forms,
        online_forms=online,
        online_note=lambda branch: online_counters.online_reporting_note(db.session, merchant, branch),
        reports=lambda counter: fiscal_settings.counter_reports_to_fbr(merchant, counter),
        status_of=lambda counter: fiscal_settings.fbr_status(merchant, counter),
        can_edit=can_edit(),
        payment_modes=payment_modes,
        **context,
    )


@bp.get("")
@permission_required(Permission.PAGE_SETTINGS)
def page() -> object:
    return _fbr_page()


@bp.post("")
@permission_required(Permission.PAGE_SETTINGS)
@permission_required(Permission.EDIT_SETTINGS)
def update() -> object:
    form = FbrSettingsForm()
    if form.validate_on_submit():
        try:
            fiscal_settings.update_fbr_settings(
                db.session,
                current_actor(),
                current_user.merchant,
                fiscal_backend=form.fiscal_backend.data,
                fiscal_environment=form.fiscal_environment.data,
                default_pct_code=form.default_pct_code.data or "",
                new_token=form.fbr_token.data,
                remove_token=form.remove_token.data,
            )
        except DomainError as exc:
            db.session.rollback()
            attach_error(form, exc)
        else:
            db.session.commit()
            flash("FBR settings saved.", "success")
            # The counters' status depends on the backend and the token: their chips follow out of band.
            return _fbr_page(fragment="settings/_fbr_form.html", refresh_statuses=is_htmx())
    return _fbr_page(422, fragment="settings/_fbr_form.html", form=form)


@bp.post("/counters/<int:counter_id>")
@permission_required(Permission.PAGE_SETTINGS)
@permission_required(Permission.EDIT_SETTINGS)
def update_counter(counter_id: int) -> object:
    counter = tenant_get_or_404(Counter, counter_id)
    form = CounterFbrForm().for_counter(counter.id)
    if form.validate_on_submit():
        try:
            fiscal_settings.update_counter_fbr(
                db.session,
                current_actor(),
                counter,
                enabled=form.fbr_enabled.data,
                pos_id=int(form.fbr_pos_id.data) if form.fbr_pos_id.data else None,
                new_token=form.fbr_token.data,
                remove_token=form.remove_token.data,
            )
        except DomainError as exc:
            db.session.rollback()
            attach_error(form, exc)
        else:
            db.session.commit()
            flash(f"FBR settings for {counter.name} at {counter.branch.name} saved.", "success")
            return _fbr_page(fragment="settings/_fbr_counter.html", counter=counter)
    return _fbr_page(422, fragment="settings/_fbr_counter.html", counter=counter, counter_forms={counter.id: form})


@bp.post("/branches/<int:branch_id>/online-counter")
@permission_required(Permission.PAGE_SETTINGS)
@permission_required(Permission.EDIT_SETTINGS)
def update_online_counter(branch_id: int) -> object:
    branch = tenant_get_or_404(Branch, branch_id)
    form = _online_form(branch, formdata=True)
    if form.validate_on_submit():
        try:
            chosen = int(form.counter_id.data) if form.counter_id.data else None
            online_counters.set_online_counter(db.session, current_actor(), branch, chosen)
        except DomainError as exc:
            db.session.rollback()
            attach_error(form, exc)
        else:
            db.session.commit()
            flash(f"Online orders at {branch.name}: saved.", "success")
            return _fbr_page(fragment="settings/_fbr_online.html", branch=branch)
    return _fbr_page(422, fragment="settings/_fbr_online.html", branch=branch, online_forms={branch.id: form})
