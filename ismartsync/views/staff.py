"""Staff: members, invitations and the roles × permissions matrix."""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, abort, current_app, flash, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import Session

from ismartsync.access import (
    current_actor,
    permission_required,
    tenant_get_many,
    tenant_get_or_404,
)
from ismartsync.errors import DomainError
from ismartsync.extensions import db
from ismartsync.forms import attach_error
from ismartsync.forms.staff import GrantForm, InviteForm, MemberForm, RoleForm
from ismartsync.models import Branch, Counter, Role, User
from ismartsync.permissions import ACTIONS, DEFAULT_ROLES, OWNER_ROLE_NAME, PAGES, Effect, Permission
from ismartsync.services import roles as role_service
from ismartsync.services import staff as staff_service
from ismartsync.services.audit import Actor
from ismartsync.web.htmx import hx_redirect_or, render

bp = Blueprint("staff", __name__)


def _roles() -> list[Role]:
    """Owner first, then the other default roles in their usual order, then custom roles by name."""
    roles = db.session.scalars(select(Role).where(Role.merchant_id == current_user.merchant_id))
    order = [OWNER_ROLE_NAME, *DEFAULT_ROLES]
    return sorted(roles, key=lambda r: (order.index(r.name) if r.is_default else len(order), r.name.lower()))


def _branches() -> list[Branch]:
    return list(
        db.session.scalars(select(Branch).where(Branch.merchant_id == current_user.merchant_id).order_by(Branch.name))
    )


def _fill_choices(form: MemberForm) -> None:
    form.role_id.choices = [(r.id, r.name) for r in _roles()]
    branches = _branches()
    form.branch_ids.choices = [(b.id, b.name) for b in branches]
    form.counter_ids.choices = [(c.id, f"{b.name} · {c.name}") for b in branches for c in b.counters]


def _access(form: MemberForm) -> dict[str, object]:
    return {
        "full_name": form.full_name.data,
        "role": tenant_get_or_404(Role, form.role_id.data),
        "branches": tenant_get_many(Branch, form.branch_ids.data or []),
        "counters": tenant_get_many(Counter, form.counter_ids.data or []),
        "all_branches": bool(form.all_branches.data),
    }


@bp.get("/staff")
@permission_required(Permission.PAGE_STAFF)
def members() -> object:
    users = db.session.scalars(
        select(User).where(User.merchant_id == current_user.merchant_id).order_by(User.active.desc(), User.full_name)
    ).all()
    return render("staff/members.html", None, users=users, can_manage=current_user.can(Permission.MANAGE_STAFF))


def _invite_url() -> str:
    return url_for("sign_in.accept_invite", token="TOKEN", _external=True).replace("TOKEN", "{token}")


@bp.route("/staff/invite", methods=["GET", "POST"])
@permission_required(Permission.PAGE_STAFF)
@permission_required(Permission.MANAGE_STAFF)
def invite() -> object:
    form = InviteForm()
    _fill_choices(form)
    if request.method == "GET":
        cashier = next((r for r in _roles() if r.name == "Cashier"), None)
        form.role_id.data = cashier.id if cashier else None
        return render("staff/invite.html", "staff/_invite_form.html", form=form)
    if form.validate_on_submit():
        try:
            user = staff_service.invite_member(
                db.session, current_actor(), email=form.email.data, accept_url=_invite_url(), **_access(form)
            )
        except DomainError as exc:
            db.session.rollback()
            attach_error(form, exc)
        else:
            db.session.commit()
            hours = int(current_app.config["INVITE_TTL"].total_seconds() // 3600)
            flash(f"Invitation sent to {user.email}. The link works for {hours} hours.", "success")
            return hx_redirect_or(url_for("staff.members"))
    return render("staff/invite.html", "staff/_invite_form.html", 422, form=form)


@bp.get("/staff/<int:user_id>")
@permission_required(Permission.PAGE_STAFF)
def member(user_id: int) -> object:
    user = tenant_get_or_404(User, user_id)
    form = MemberForm(obj=user, branch_ids=[b.id for b in user.branches], counter_ids=[c.id for c in user.counters])
    _fill_choices(form)
    can_manage = current_user.can(Permission.MANAGE_STAFF)
    return render("staff/member.html", "staff/_member_form.html", form=form, member=user, can_manage=can_manage)


@bp.post("/staff/<int:user_id>")
@permission_required(Permission.PAGE_STAFF)
@permission_required(Permission.MANAGE_STAFF)
def update_member(user_id: int) -> object:
    user = tenant_get_or_404(User, user_id)
    form = MemberForm()
    _fill_choices(form)
    if form.validate_on_submit():
        try:
            staff_service.update_member(db.session, current_actor(), user, **_access(form))
        except DomainError as exc:
            db.session.rollback()
            attach_error(form, exc)
        else:
            db.session.commit()
            flash(f"{user.full_name} saved.", "success")
            return render("staff/member.html", "staff/_member_form.html", form=form, member=user, can_manage=True)
    return render("staff/member.html", "staff/_member_form.html", 422, form=form, member=user, can_manage=True)


@bp.post("/staff/<int:user_id>/deactivate")
@permission_required(Permission.MANAGE_STAFF)
def deactivate(user_id: int) -> object:
    return _status_change(user_id, staff_service.deactivate_member, "{} is deactivated and signed out.")


@bp.post("/staff/<int:user_id>/reactivate")
@permission_required(Permission.MANAGE_STAFF)
def reactivate(user_id: int) -> object:
    return _status_change(user_id, staff_service.reactivate_member, "{} can sign in again.")


@bp.post("/staff/<int:user_id>/resend-invite")
@permission_required(Permission.MANAGE_STAFF)
def resend_invite(user_id: int) -> object:
    def resend(session: Session, actor: Actor, user: User) -> None:
        staff_service.send_invite(session, actor, user, _invite_url())

    return _status_change(user_id, resend, "A new invitation went to {}.", use_email=True)


def _status_change(
    user_id: int, operation: Callable[[Session, Actor, User], None], message: str, use_email: bool = False
) -> object:
    user = tenant_get_or_404(User, user_id)
    try:
        operation(db.session, current_actor(), user)
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
    else:
        db.session.commit()
        flash(message.format(user.email if use_email else user.full_name), "success")
    return hx_redirect_or(url_for("staff.member", user_id=user.id))


# Roles × permissions


def _matrix_context(**extra: object) -> dict[str, object]:
    return {
        "roles": _roles(),
        "pages": PAGES,
        "actions": ACTIONS,
        "Effect": Effect,
        "can_manage": current_user.can(Permission.MANAGE_ROLES),
        **extra,
    }


@bp.get("/roles")
@permission_required(Permission.PAGE_STAFF)
def roles() -> object:
    form = RoleForm()
    form.copy_from.choices = [(0, "Nothing (all blocked)")] + [(r.id, r.name) for r in _roles() if not r.is_owner]
    return render("staff/roles.html", None, **_matrix_context(form=form))


@bp.post("/roles")
@permission_required(Permission.MANAGE_ROLES)
def create_role() -> object:
    form = RoleForm()
    form.copy_from.choices = [(0, "Nothing")] + [(r.id, r.name) for r in _roles() if not r.is_owner]
    if form.validate_on_submit():
        source = tenant_get_or_404(Role, form.copy_from.data) if form.copy_from.data else None
        try:
            role_service.create_role(db.session, current_actor(), form.name.data, form.description.data or "", source)
        except DomainError as exc:
            db.session.rollback()
            attach_error(form, exc)
        else:
            db.session.commit()
            flash(f"Role {form.name.data} added.", "success")
            return hx_redirect_or(url_for("staff.roles"))
    return render("staff/roles.html", "staff/_role_new.html", 422, **_matrix_context(form=form))


@bp.post("/roles/<int:role_id>/grants")
@permission_required(Permission.MANAGE_ROLES)
def set_grant(role_id: int) -> object:
    """One cell of the matrix; htmx swaps that cell, a plain form reloads the page."""
    role = tenant_get_or_404(Role, role_id)
    form = GrantForm()
    try:
        permission = Permission(form.permission.data)
    except ValueError:
        abort(422)
    error = None
    if form.validate_on_submit():
        try:
            role_service.set_grant(db.session, current_actor(), role, permission, Effect(form.effect.data))
        except DomainError as exc:
            db.session.rollback()
            error = exc.message
        else:
            db.session.commit()
    else:
        error = "Choose Allowed, Blocked or Needs approval."
    if error is None and not request.htmx:
        return hx_redirect_or(url_for("staff.roles"))
    return render(
        "staff/roles.html",
        "staff/_grant_cell.html",
        422 if error else 200,
        # A plain form gets the whole matrix back: the message shows in the one cell that was refused.
        **_matrix_context(
            role=role, permission=permission, error=error, error_role_id=role.id, error_permission=permission
        ),
    )


@bp.post("/roles/<int:role_id>/delete")
@permission_required(Permission.MANAGE_ROLES)
def delete_role(role_id: int) -> object:
    role = tenant_get_or_404(Role, role_id)
    try:
        role_service.delete_role(db.session, current_actor(), role)
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
    else:
        db.session.commit()
        flash("Role removed.", "success")
    return hx_redirect_or(url_for("staff.roles"))
