"""Checking who someone is: password, PIN, two-factor code and supervisor approval."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from ismartsync import throttle
from ismartsync.errors import DomainError, InvalidCredentials
from ismartsync.models import Counter, User
from ismartsync.models.base import utcnow
from ismartsync.passwords import verify_password, verify_pin
from ismartsync.permissions import Effect, Permission
from ismartsync.services.audit import Actor, record_audit
from ismartsync.services.two_factor import accept_code


def authenticate_password(session: Session, email: str, password: str, address: str) -> User:
    """The active member with this email and password; failures are throttled."""
    email = email.strip().lower()
    attempt = throttle.attempt("login", email, address)
    user = session.scalar(select(User).where(User.email == email))
    if not verify_password(user.password_hash if user else None, password) or user is None or not user.active:
        raise InvalidCredentials("Email or password is not right.", field="password")
    throttle.succeeded(attempt)
    return user


def needs_second_factor(user: User) -> bool:
    return user.totp_enabled and user.totp_secret is not None


def confirm_identity(user: User, password: str, code: str, address: str) -> None:
    """Check the member's password, and a current code when two-factor is on, before a change to how they sign in
    (their PIN, turning two-factor off): a session left open on a shared screen is not enough. Throttled as sign-in."""
    attempt = throttle.attempt("login", user.email, address)
    if not verify_password(user.password_hash, password):
        raise InvalidCredentials("That password is not right.", field="password")
    if needs_second_factor(user) and not accept_code(user, code):
        raise InvalidCredentials("That code is not right. Use the newest code from your app.", field="code")
    throttle.succeeded(attempt)


def verify_totp(user: User, code: str, address: str) -> None:
    attempt = throttle.attempt("totp", str(user.id), address)
    if not accept_code(user, code):
        raise InvalidCredentials("That code is not right. Use the newest code from your app.", field="code")
    throttle.succeeded(attempt)


def record_sign_in(user: User) -> None:
    user.last_sign_in_at = utcnow()


def _members_with_pin(session: Session, merchant_id: int) -> list[User]:
    query = (
        select(User)
        .where(User.merchant_id == merchant_id, User.active.is_(True), User.pin_hash.is_not(None))
        .options(selectinload(User.branches), selectinload(User.counters))
        .order_by(User.full_name)
    )
    return list(session.scalars(query))


def pin_users(session: Session, counter: Counter) -> list[User]:
    """Members who can sign in with a PIN at this counter, for the PIN pad."""
    return [u for u in _members_with_pin(session, counter.merchant_id) if u.works_at(counter)]


def authenticate_pin(session: Session, counter: Counter, user_id: int, pin: str, address: str) -> User:
    """The member who may work at `counter` and whose PIN this is; failures are throttled."""
    attempt = throttle.attempt("pin", str(user_id), address)
    user = session.get(User, user_id)
    valid = (
        user is not None
        and user.merchant_id == counter.merchant_id
        and user.active
        and user.works_at(counter)
        and verify_pin(user.pin_hash, pin)
    )
    if not valid:
        raise InvalidCredentials("Wrong PIN. Try again.", field="pin")
    throttle.succeeded(attempt)
    return user  # type: ignore[return-value]


def approval_candidates(
    session: Session, merchant_id: int, permission: Permission, counter: Counter | None
) -> list[User]:
    """Members who could approve `permission` here with their PIN."""
    return [
        u
        for u in _members_with_pin(session, merchant_id)
        if u.can(permission) and u.can(Permission.APPROVE) and (counter is None or u.works_at(counter))
    ]


def approve_with_pin(
    session: Session,
    actor: Actor,
    permission: Permission,
    approver_id: int,
    pin: str,
    counter: Counter | None,
    *,
    needed: bool = False,
) -> User:
    """Check a supervisor's PIN for `permission` and log the approval; return the approver.

    `needed`: the action needs approval by a rule of the merchant's (a refund over the owner's limit), not only when
    the member's role says so.
    """
    effect = actor.user.effect(permission)
    if effect is Effect.BLOCKED or (effect is not Effect.NEEDS_APPROVAL and not needed):
        raise DomainError("This action does not need approval.")
    attempt = throttle.attempt("pin", str(approver_id), actor.ip_address)
    candidates = {u.id: u for u in approval_candidates(session, actor.merchant_id, permission, counter)}
    approver = candidates.get(approver_id)
    if approver is None or approver.id == actor.user.id or not verify_pin(approver.pin_hash, pin):
        raise InvalidCredentials("Approval refused: wrong approver or PIN.", field="approver_pin")
    throttle.succeeded(attempt)
    record_audit(
        session,
        Actor(actor.user, actor.ip_address, actor.branch_id, actor.counter_id, approver=approver),
        "approval",
        f"{approver.full_name} approved “{permission.info.label}” for {actor.user.full_name}",
        after={"permission": permission.value},
    )
    return approver
