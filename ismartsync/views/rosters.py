"""Staff rosters: a branch's week grid (assign, copy last week, publish), its roster slots, who is on now, the
printable week and the calendar (ICS) files."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from flask import Blueprint, Response, abort, flash, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select
from wtforms import SelectChoice

from ismartsync.access import (
    check_branch_visible,
    current_actor,
    current_counter,
    permission_required,
    tenant_get_or_404,
)
from ismartsync.documents import ics
from ismartsync.errors import DomainError
from ismartsync.extensions import db
from ismartsync.forms import attach_error
from ismartsync.forms.rosters import AssignForm, SlotForm
from ismartsync.inputs import parse_day
from ismartsync.models import Branch, Role, RosterAssignment, RosterSlot, User
from ismartsync.models.base import utcnow
from ismartsync.permissions import Permission
from ismartsync.services import roster_publishing as publishing
from ismartsync.services import roster_slots
from ismartsync.services import rosters as service
from ismartsync.services.sales import branches_for
from ismartsync.web.htmx import hx_redirect_or, is_htmx, render

bp = Blueprint("rosters", __name__, url_prefix="/rosters")


def _visible(branch: Branch) -> Branch:
    """A branch the member may see; any other is a 404, like another tenant's."""
    check_branch_visible(branch.id)
    return branch


def _branch(branch_id: Any) -> Branch:
    return _visible(tenant_get_or_404(Branch, branch_id))


def _monday(raw: str) -> date:
    if (day := parse_day(raw)) is None:
        abort(404)  # not a date, or one so far off that the week's arithmetic would overflow
    return service.week_start(day)


def _this_monday() -> date:
    return service.week_start(service.local_today(db.session, current_user.merchant_id))


def _can_manage() -> bool:
    return current_user.can(Permission.MANAGE_ROSTER)


def _week_context(branch: Branch, monday: date, **extra: Any) -> dict[str, Any]:
    return {
        "branch": branch,
        "branches": branches_for(db.session, current_user),
        "roster": service.week_roster(db.session, branch, monday),
        "members": service.members_for(db.session, branch),
        "on_now": publishing.on_now(db.session, branch),
        "can_manage": _can_manage(),
        "today": service.local_today(db.session, current_user.merchant_id),
        "this_monday": _this_monday(),
        "cell_error": None,
        **extra,
    }


def _week_page(branch: Branch, monday: date, status: int = 200, **extra: Any) -> Any:
    return render("rosters/week.html", None, status, **_week_context(branch, monday, **extra))


@bp.get("")
@permission_required(Permission.PAGE_STAFF)
def index() -> object:
    """This week at the branch asked for (`?branch=`), else the paired tablet's, else the first one."""
    branches = branches_for(db.session, current_user)
    if raw := request.args.get("branch", ""):
        branch: Branch | None = _branch(raw)
    else:
        counter = current_counter()
        branch = next((b for b in branches if counter and b.id == counter.branch_id), branches[0] if branches else None)
    if branch is None:
        return render("rosters/week.html", None, branch=None, branches=[])
    monday = _monday(request.args["week"]) if request.args.get("week") else _this_monday()
    return _week_page(branch, monday)


@bp.get("/<int:branch_id>/<week>")
@permission_required(Permission.PAGE_STAFF)
def week(branch_id: int, week: str) -> object:
    return _week_page(_branch(branch_id), _monday(week))


@bp.get("/<int:branch_id>/<week>/print")
@permission_required(Permission.PAGE_STAFF)
def print_week(branch_id: int, week: str) -> object:
    branch = _branch(branch_id)
    roster = service.week_roster(db.session, branch, _monday(week))
    return render_template("rosters/print.html", branch=branch, roster=roster, printed_at=utcnow())


def _calendar_response(name: str, events: list[ics.Event], filename: str) -> Response:
    body = ics.calendar(name, events, utcnow())
    return Response(
        body.encode("utf-8"),
        content_type=ics.CONTENT_TYPE,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@bp.get("/<int:branch_id>/<week>.ics")
@permission_required(Permission.PAGE_STAFF)
def week_calendar(branch_id: int, week: str) -> Response:
    branch, monday = _branch(branch_id), _monday(week)
    events = publishing.calendar_events(publishing.week_assignments(db.session, branch, monday), with_names=True)
    return _calendar_response(
        f"{branch.name} roster, week of {monday:%d %b %Y}", events, f"roster-{branch.code}-{monday}.ics"
    )


@bp.get("/me.ics")
@login_required
def my_calendar() -> Response:
    """The signed-in member's published assignments, this week and the next seven: every member may have their own."""
    events = publishing.calendar_events(publishing.upcoming_of(db.session, current_user), with_names=False)
    return _calendar_response(f"My roster at {current_user.merchant.brand_name}", events, "my-roster.ics")


# The week grid


def _cell_response(branch: Branch, slot: RosterSlot, day: date, error: str | None = None) -> Any:
    """The changed cell (and the week's status, out of band) for htmx; the week page otherwise."""
    monday = service.week_start(day)
    status = 422 if error else 200
    if is_htmx():
        context = _week_context(branch, monday, cell_error=(slot.id, day, error) if error else None)
        cell = context["roster"].cell(slot, day)
        return render("rosters/week.html", "rosters/_cell_update.html", status, cell=cell, **context)
    if error:
        return _week_page(branch, monday, 422, cell_error=(slot.id, day, error))
    return hx_redirect_or(url_for("rosters.week", branch_id=branch.id, week=monday.isoformat()))


@bp.post("/<int:branch_id>/assignments")
@permission_required(Permission.PAGE_STAFF)
@permission_required(Permission.MANAGE_ROSTER)
def assign(branch_id: int) -> object:
    branch = _branch(branch_id)
    form = AssignForm()
    day = parse_day(request.form.get("work_date", ""))
    if form.slot_id.data is None or day is None:
        if form.slot_id.raw_data and form.work_date.raw_data:
            abort(404)  # not a number, or not a date the roster has (a far-off year would overflow): no such cell
        abort(400)
    slot = tenant_get_or_404(RosterSlot, form.slot_id.data)
    if slot.branch_id != branch.id:
        abort(404)
    user = tenant_get_or_404(User, form.user_id.data) if form.user_id.data else None
    if user is None or not form.validate_on_submit():
        return _cell_response(branch, slot, day, next(iter(form.user_id.errors), "Choose a member."))
    try:
        service.assign_member(db.session, current_actor(), slot, day, user)
    except DomainError as exc:
        db.session.rollback()
        return _cell_response(branch, slot, day, exc.message)
    db.session.commit()
    if not is_htmx():
        flash(f"{user.full_name} is on {slot.name}, {day:%a %d %b}.", "success")
    return _cell_response(branch, slot, day)


@bp.post("/assignments/<int:assignment_id>/remove")
@permission_required(Permission.PAGE_STAFF)
@permission_required(Permission.MANAGE_ROSTER)
def unassign(assignment_id: int) -> object:
    assignment = tenant_get_or_404(RosterAssignment, assignment_id)
    branch = _visible(assignment.branch)
    slot, day, name = assignment.slot, assignment.work_date, assignment.user.full_name
    service.unassign_member(db.session, current_actor(), assignment)
    db.session.commit()
    if slot is None:  # a removed slot's old row: nothing to redraw in place
        return hx_redirect_or(url_for("rosters.week", branch_id=branch.id, week=day.isoformat()))
    if not is_htmx():
        flash(f"{name} is off {slot.name}, {day:%a %d %b}.", "success")
    return _cell_response(branch, slot, day)


@bp.post("/<int:branch_id>/<week>/copy")
@permission_required(Permission.PAGE_STAFF)
@permission_required(Permission.MANAGE_ROSTER)
def copy_week(branch_id: int, week: str) -> object:
    branch, monday = _branch(branch_id), _monday(week)
    try:
        result = service.copy_previous_week(db.session, current_actor(), branch, monday)
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
    else:
        db.session.commit()
        message = f"Copied {result.copied} assignment{'s' if result.copied != 1 else ''} from last week."
        if result.already_there:
            message += f" {result.already_there} were already there."
        flash(message, "success")
        for reason in result.skipped:
            flash(f"Not copied: {reason}", "error")
    return hx_redirect_or(url_for("rosters.week", branch_id=branch.id, week=monday.isoformat()))


@bp.post("/<int:branch_id>/<week>/publish")
@permission_required(Permission.PAGE_STAFF)
@permission_required(Permission.MANAGE_ROSTER)
def publish(branch_id: int, week: str) -> object:
    branch, monday = _branch(branch_id), _monday(week)
    calendar_url = url_for("rosters.my_calendar", _external=True)
    try:
        result = publishing.publish_week(db.session, current_actor(), branch, monday, calendar_url)
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
    else:
        db.session.commit()
        if result.unchanged:
            flash("This week is already published and nothing has changed since.", "info")
        else:
            count = len(result.notified)
            flash(f"Published. {count} member{'s were' if count != 1 else ' was'} emailed their roster.", "success")
    return hx_redirect_or(url_for("rosters.week", branch_id=branch.id, week=monday.isoformat()))


# Roster slots


def _slot_form(form: SlotForm) -> SlotForm:
    roles = db.session.scalars(select(Role).where(Role.merchant_id == current_user.merchant_id).order_by(Role.name))
    form.coverage_role_id.choices = [
        SelectChoice(0, "Every member"),
        *(SelectChoice(r.id, f"Only {r.name}s") for r in roles),
    ]
    return form


def _values(form: SlotForm) -> roster_slots.SlotValues:
    role_id = form.coverage_role_id.data
    return roster_slots.SlotValues(
        name=form.name.data or "",
        start_time=form.start_time.data,
        end_time=form.end_time.data,
        days=form.days_mask,
        coverage_target=form.coverage_target.data,
        coverage_role=tenant_get_or_404(Role, role_id) if role_id else None,
    )


def _slots_page(branch: Branch, form: SlotForm | None = None, status: int = 200) -> Any:
    if form is None:
        form = _slot_form(SlotForm(formdata=None, days=list(range(7))))
    return render(
        "rosters/slots.html",
        "rosters/_slot_new.html",
        status,
        branch=branch,
        form=form,
        slots=service.slots_of(db.session, branch),
        can_manage=_can_manage(),
        this_monday=_this_monday(),
    )


@bp.get("/<int:branch_id>/slots")
@permission_required(Permission.PAGE_STAFF)
def slots(branch_id: int) -> object:
    return _slots_page(_branch(branch_id))


@bp.post("/<int:branch_id>/slots")
@permission_required(Permission.PAGE_STAFF)
@permission_required(Permission.MANAGE_ROSTER)
def create_slot(branch_id: int) -> object:
    branch = _branch(branch_id)
    form = _slot_form(SlotForm())
    if form.validate_on_submit():
        try:
            slot = roster_slots.create_slot(db.session, current_actor(), branch, _values(form))
        except DomainError as exc:
            db.session.rollback()
            attach_error(form, exc)
        else:
            db.session.commit()
            flash(f"Added the {slot.name} slot ({slot.hours_label}).", "success")
            return hx_redirect_or(url_for("rosters.slots", branch_id=branch.id))
    return _slots_page(branch, form, 422)


@bp.post("/<int:branch_id>/slots/usual")
@permission_required(Permission.PAGE_STAFF)
@permission_required(Permission.MANAGE_ROSTER)
def add_usual(branch_id: int) -> object:
    branch = _branch(branch_id)
    added = roster_slots.add_usual_slots(db.session, current_actor(), branch)
    db.session.commit()
    if added:
        flash(f"Added {', '.join(t.name for t in added)}. Change their times if yours differ.", "success")
    else:
        flash(f"{branch.name} already has the usual slots.", "info")
    return hx_redirect_or(url_for("rosters.slots", branch_id=branch.id))


def _own_slot(slot_id: int) -> RosterSlot:
    slot = tenant_get_or_404(RosterSlot, slot_id)
    _visible(slot.branch)
    return slot


def _slot_page(slot: RosterSlot, form: SlotForm, status: int = 200) -> Any:
    return render(
        "rosters/slot.html",
        "rosters/_slot_form.html",
        status,
        slot=slot,
        branch=slot.branch,
        form=form,
        can_manage=_can_manage(),
    )


@bp.get("/slots/<int:slot_id>")
@permission_required(Permission.PAGE_STAFF)
def slot(slot_id: int) -> object:
    found = _own_slot(slot_id)
    days = [n for n in range(7) if found.days & (1 << n)]
    form = SlotForm(obj=found, formdata=None, days=days, coverage_role_id=found.coverage_role_id or 0)
    return _slot_page(found, _slot_form(form))


@bp.post("/slots/<int:slot_id>")
@permission_required(Permission.PAGE_STAFF)
@permission_required(Permission.MANAGE_ROSTER)
def update_slot(slot_id: int) -> object:
    found = _own_slot(slot_id)
    form = _slot_form(SlotForm())
    if form.validate_on_submit():
        try:
            roster_slots.update_slot(db.session, current_actor(), found, _values(form))
        except DomainError as exc:
            db.session.rollback()
            attach_error(form, exc)
        else:
            db.session.commit()
            flash(f"{found.name} saved.", "success")
            return hx_redirect_or(url_for("rosters.slots", branch_id=found.branch_id))
    return _slot_page(found, form, 422)


@bp.post("/slots/<int:slot_id>/delete")
@permission_required(Permission.PAGE_STAFF)
@permission_required(Permission.MANAGE_ROSTER)
def delete_slot(slot_id: int) -> object:
    found = _own_slot(slot_id)
    branch_id, name = found.branch_id, found.name
    try:
        roster_slots.delete_slot(db.session, current_actor(), found)
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return hx_redirect_or(url_for("rosters.slot", slot_id=slot_id))
    db.session.commit()
    flash(f"Removed the {name} slot.", "success")
    return hx_redirect_or(url_for("rosters.slots", branch_id=branch_id))


# The dashboard's card


@bp.app_template_global()
def rosters_on_now() -> list[tuple[Branch, list[publishing.OnNow]]]:
    """Who is on now at each branch the member sees (the paired tablet's branch only), for the dashboard card."""
    if not (current_user.is_authenticated and current_user.can(Permission.PAGE_STAFF)):
        return []
    branches = branches_for(db.session, current_user)
    counter = current_counter()
    if counter is not None:
        branches = [b for b in branches if b.id == counter.branch_id]
    now = utcnow()
    return [(b, publishing.on_now(db.session, b, now)) for b in branches if b.active]


def week_url(branch: Branch, monday: date, days: int = 0) -> str:
    return url_for("rosters.week", branch_id=branch.id, week=(monday + timedelta(days=days)).isoformat())


bp.add_app_template_global(week_url, "roster_week_url")
