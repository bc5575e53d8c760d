"""Staff members: invitations, passwords, PINs, roles, branch access and deactivation."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from ismartsync.errors import DomainError
from ismartsync.models import Branch, Counter, Role, User
from ismartsync.models.base import utcnow
from ismartsync.passwords import hash_password, hash_pin
from ismartsync.permissions import Effect, Permission
from ismartsync.services.audit import Actor, record_audit
from ismartsync.services.email import queue_email
from ismartsync.services.merchants import email_taken
from ismartsync.tokens import make_token, read_token, token_matches

INVITE = "invite"
RESET = "reset"


def _access_snapshot(user: User) -> dict[str, object]:
    return {
        "role": user.role.name,
        "all_branches": user.all_branches,
        "branches": [b.code for b in user.branches],
        "counters": [c.id for c in user.counters],
        "active": user.active,
    }


def _check_can_assign(actor: Actor, role: Role) -> None:
    """Nobody hands out powers they do not hold themselves (owners hold them all)."""
    if actor.user.role.is_owner:
        return
    if role.is_owner:
        raise DomainError("Only an owner can make someone an owner.", field="role_id")
    beyond = [p for p in Permission if role.effect(p) is not Effect.BLOCKED and not actor.user.can(p)]
    if beyond:
        names = ", ".join(p.info.label for p in beyond[:3])
        raise DomainError(f"This role can do things you cannot ({names}). Ask an owner.", field="role_id")


def invite_member(
    session: Session,
    actor: Actor,
    *,
    email: str,
    full_name: str,
    role: Role,
    branches: Sequence[Branch],
    counters: Sequence[Counter] = (),
    all_branches: bool = False,
    accept_url: str,
) -> User:
    """Create the member without a password and email them a link to set one.

    `accept_url` is the accept page's address with `{token}` where the token goes.
    """
    if email_taken(session, email):
        raise DomainError("Someone with this email is already a member.", field="email")
    _check_can_assign(actor, role)
    user = User(
        merchant_id=actor.merchant_id,
        email=email.strip().lower(),
        full_name=full_name.strip(),
        role=role,
        all_branches=all_branches,
        branches=list(branches),
        counters=list(counters),
        invited_at=utcnow(),
    )
    session.add(user)
    session.flush()
    send_invite(session, actor, user, accept_url)
    record_audit(
        session,
        actor,
        "staff.invite",
        f"Invited {user.full_name} as {role.name}",
        target=user,
        after=_access_snapshot(user),
    )
    return user


def send_invite(session: Session, actor: Actor, user: User, accept_url: str) -> None:
    if user.has_accepted_invite:
        raise DomainError("This member has already set a password.")
    user.invited_at = utcnow()
    token = make_token(INVITE, user.id, user.password_hash)
    queue_email(
        session,
        user.email,
        f"You are invited to {actor.user.merchant.brand_name} on iSmartSync",
        "invite",
        actor.merchant_id,
        user=user,
        inviter=actor.user,
        link=accept_url.replace("{token}", token),
    )


def user_from_token(session: Session, purpose: str, token: str, max_age: timedelta) -> User:
    user_id, fingerprint = read_token(purpose, token, max_age)
    user = session.get(User, user_id)
    if user is None or not user.active or not token_matches(fingerprint, user.password_hash):
        raise DomainError("This link has already been used or is no longer valid.")
    return user


def validate_password(password: str, user_email: str = "") -> None:
    if len(password) < 10:
        raise DomainError("Use at least 10 characters.", field="password")
    if password.lower() == user_email.lower():
        raise DomainError("Your password cannot be your email.", field="password")


def validate_pin(pin: str) -> None:
    # ASCII only: Urdu or full-width digits pass isdigit() but never match what the counter keypad types.
    if not (pin.isascii() and pin.isdigit() and 4 <= len(pin) <= 6):
        raise DomainError("A PIN is 4 to 6 digits.", field="pin")
    if len(set(pin)) == 1 or pin in "0123456789" or pin in "9876543210":
        raise DomainError("Pick a PIN that is harder to guess.", field="pin")


def set_password(session: Session, user: User, password: str) -> None:
    validate_password(password, user.email)
    user.password_hash = hash_password(password)
    user.session_version += 1
    session.flush()


def set_pin(session: Session, user: User, pin: str) -> None:
    validate_pin(pin)
    user.pin_hash = hash_pin(pin)
    session.flush()


def accept_invite(session: Session, user: User, password: str, pin: str | None) -> None:
    set_password(session, user, password)
    if pin:
        set_pin(session, user, pin)
    record_audit(session, Actor(user), "staff.accept_invite", f"{user.full_name} joined", target=user)


def reset_password(session: Session, user: User, password: str) -> None:
    """Set a new password from a reset link; every other session of the member ends."""
    set_password(session, user, password)
    record_audit(session, Actor(user), "security.password_reset", f"{user.full_name} reset their password", target=user)


def request_password_reset(session: Session, email: str, reset_url: str) -> None:
    """Email a reset link if the address belongs to an active member; say nothing either way."""
    user = session.scalar(select(User).where(User.email == email.strip().lower(), User.active.is_(True)))
    if user is None or not user.has_accepted_invite:
        return
    token = make_token(RESET, user.id, user.password_hash)
    queue_email(
        session,
        user.email,
        "Reset your iSmartSync password",
        "reset",
        user.merchant_id,
        user=user,
        link=reset_url.replace("{token}", token),
    )


def update_member(
    session: Session,
    actor: Actor,
    user: User,
    *,
    full_name: str,
    role: Role,
    branches: Sequence[Branch],
    counters: Sequence[Counter],
    all_branches: bool,
) -> None:
    if user.role.is_owner and not role.is_owner and not actor.user.role.is_owner:
        raise DomainError("Only an owner can change an owner's role.", field="role_id")
    _check_can_assign(actor, role)
    if user.id == actor.user.id and user.role.is_owner and not role.is_owner:
        raise DomainError("You cannot remove your own Owner role.", field="role_id")
    before = _access_snapshot(user)
    user.full_name = full_name.strip()
    user.role = role
    user.all_branches = all_branches
    user.branches = list(branches)
    user.counters = [c for c in counters if c.branch in user.branches or all_branches]
    session.flush()
    record_audit(
        session,
        actor,
        "staff.update",
        f"Updated {user.full_name}",
        target=user,
        before=before,
        after=_access_snapshot(user),
    )


def deactivate_member(session: Session, actor: Actor, user: User) -> None:
    """Sign the member out everywhere and stop them signing in; their history stays."""
    if user.id == actor.user.id:
        raise DomainError("You cannot deactivate yourself.")
    if user.role.is_owner and not actor.user.role.is_owner:
        raise DomainError("Only an owner can deactivate an owner.")
    user.active = False
    user.deactivated_at = utcnow()
    user.session_version += 1
    session.flush()
    record_audit(
        session,
        actor,
        "staff.deactivate",
        f"Deactivated {user.full_name}",
        target=user,
        before={"active": True},
        after={"active": False},
    )


def reactivate_member(session: Session, actor: Actor, user: User) -> None:
    user.active = True
    user.deactivated_at = None
    session.flush()
    record_audit(
        session,
        actor,
        "staff.reactivate",
        f"Reactivated {user.full_name}",
        target=user,
        before={"active": False},
        after={"active": True},
    )
