"""Sign-in sessions on the server: start one, find it from the cookie's id, lock, unlock, end, sweep expired ones."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, joinedload

from ismartsync.models import Device, SignInSession, User

# A session in use is pushed forward at most this often, so a busy counter does not write on every request.
EXTEND_EVERY = timedelta(minutes=5)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(session: Session, user: User, device: Device | None, now: datetime, lifetime: timedelta) -> str:
    """Open a session for `user` (a PIN session when on a paired `device`); return the id for the cookie."""
    token = secrets.token_urlsafe(32)
    session.add(
        SignInSession(
            merchant_id=user.merchant_id,
            token_hash=_hash(token),
            user_id=user.id,
            device_id=device.id if device else None,
            created_at=now,
            expires_at=now + lifetime,
        )
    )
    session.flush()
    return token


def find_session(session: Session, token: str | None, now: datetime) -> SignInSession | None:
    """The live session the cookie's id names; None once it was ended, swept or has expired."""
    if not token:
        return None
    found = session.scalar(
        select(SignInSession).where(SignInSession.token_hash == _hash(token)).options(joinedload(SignInSession.user))
    )
    return found if found is not None and found.expires_at > now else None


def keep_alive(record: SignInSession, now: datetime, lifetime: timedelta) -> bool:
    """Push the expiry forward while the session is in use; True when the row changed (the caller commits)."""
    if now + lifetime - record.expires_at < EXTEND_EVERY:
        return False
    record.expires_at = now + lifetime
    return True


def lock_session(session: Session, record: SignInSession, now: datetime) -> None:
    """Lock the screen: until the member's PIN, this session reaches only the lock screen, whatever the cookie says."""
    record.locked_at = record.locked_at or now
    session.flush()


def unlock_session(session: Session, record: SignInSession) -> None:
    record.locked_at = None
    session.flush()


def end_session(session: Session, token: str | None) -> None:
    """Sign out this browser or tablet only: copies of its cookie are dead, the member's other sessions go on."""
    if token:
        session.execute(delete(SignInSession).where(SignInSession.token_hash == _hash(token)))


def purge_expired_sessions(session: Session, now: datetime) -> int:
    """Delete sessions past their expiry; return how many."""
    return session.execute(delete(SignInSession).where(SignInSession.expires_at <= now)).rowcount or 0
