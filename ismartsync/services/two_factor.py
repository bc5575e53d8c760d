"""Optional TOTP two-factor sign-in for owners and managers."""

from __future__ import annotations

import hmac
from datetime import UTC, datetime

import pyotp
from sqlalchemy.orm import Session

from ismartsync.errors import DomainError, InvalidCredentials
from ismartsync.models import User
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


def start_two_factor(session: Session, user: User) -> str:
    """Give the member a new secret to scan; it only counts once confirmed with a code."""
    if not may_use_two_factor(user):
        raise DomainError("Two-factor sign-in is for owners and managers.")
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
    user = actor.user
    user.totp_enabled = False
    user.totp_secret = None
    session.flush()
    record_audit(
        session, actor, "security.two_factor_off", f"{user.full_name} turned off two-factor sign-in", target=user
    )
