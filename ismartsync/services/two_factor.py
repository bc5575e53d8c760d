"""TOTP two-factor sign-in for owners and managers: optional, or required by the business (an owner's setting)."""

from __future__ import annotations

import hmac
from datetime import UTC, datetime

import pyotp
from sqlalchemy.orm import Session

from ismartsync.errors import DomainError, InvalidCredentials, NotAllowed
from ismartsync.models import Merchant, User
from ismartsync.permissions import Permission
from ismartsync.services.audit import Actor, record_audit


def accept_code(user: User, code: str) -> bool:
    """Check a TOTP code (one step of clock drift either way); each code works once, so a seen code is no use."""
    if not user.totp_secret:
        return False
    code = code.strip().replace(" ", "")
    totp = pyotp.TOTP(user.totp_secret)
    now = totp.timecode(datetime.now(UTC))
    for step in (now - 1, now, now + 1):
        if step > (user.totp_last_step or -1) and hmac.compare_digest(totp.generate_otp(step), code):
            user.totp_last_step = step
            return True
    return False


def may_use_two_factor(user: User) -> bool:
    return user.role.is_owner or user.can(Permission.APPROVE)


def two_factor_missing(user: User) -> bool:
    """The business requires two-factor of owners and managers, and this one has not set it up yet."""
    return user.merchant.require_two_factor and may_use_two_factor(user) and not user.totp_enabled


def require_two_factor(session: Session, actor: Actor, merchant: Merchant, required: bool) -> None:
    """An owner's call: owners and managers must (or need not) sign in with two-factor."""
    if not actor.user.role.is_owner:
        raise NotAllowed("Only an owner can change this.")
    if merchant.require_two_factor == required:
        return
    merchant.require_two_factor = required
    session.flush()
    record_audit(
        session,
        actor,
        "security.two_factor_required" if required else "security.two_factor_optional",
        "Required two-factor sign-in for owners and managers" if required else "Made two-factor sign-in optional",
        target=merchant,
        before={"require_two_factor": not required},
        after={"require_two_factor": required},
    )


def start_two_factor(session: Session, user: User) -> str:
    """Give the member a new secret to scan; it only counts once confirmed with a code."""
    if not may_use_two_factor(user):
        raise DomainError("Two-factor sign-in is for owners and managers.")
    if user.totp_enabled:  # a new secret would turn it off with no check: that goes through disable_two_factor
        raise DomainError("Two-factor sign-in is already on.")
    user.totp_secret = pyotp.random_base32()
    user.totp_enabled = False
    user.totp_last_step = None
    session.flush()
    return user.totp_secret


def provisioning_uri(user: User) -> str:
    return pyotp.TOTP(user.totp_secret or "").provisioning_uri(name=user.email, issuer_name="iSmartSync")


def confirm_two_factor(session: Session, actor: Actor, code: str) -> None:
    user = actor.user
    if not accept_code(user, code):
        raise InvalidCredentials(
            "That code is not right. Check the time on your phone and try the newest code.", field="code"
        )
    user.totp_enabled = True
    session.flush()
    record_audit(
        session, actor, "security.two_factor_on", f"{user.full_name} turned on two-factor sign-in", target=user
    )


def disable_two_factor(session: Session, actor: Actor) -> None:
    """Turn two-factor off; the view checks the password and a current code first (`confirm_identity`)."""
    user = actor.user
    if user.merchant.require_two_factor and may_use_two_factor(user):
        raise DomainError("Your business requires two-factor sign-in for owners and managers.", field="password")
    user.totp_enabled = False
    user.totp_secret = None
    session.flush()
    record_audit(
        session, actor, "security.two_factor_off", f"{user.full_name} turned off two-factor sign-in", target=user
    )
