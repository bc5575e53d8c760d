"""Signed, expiring links for invitations and password resets.

A token carries the user id and a fingerprint of the current password hash, so it stops
working as soon as it has been used (or the password changed) without any stored state.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from ismartsync.errors import DomainError


def _serializer(purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=f"ismartsync.{purpose}")


def _fingerprint(password_hash: str | None) -> str:
    return hashlib.sha256((password_hash or "unset").encode()).hexdigest()[:16]


def make_token(purpose: str, user_id: int, password_hash: str | None) -> str:
    return _serializer(purpose).dumps([user_id, _fingerprint(password_hash)])


def read_token(purpose: str, token: str, max_age: timedelta) -> tuple[int, str]:
    """Return (user id, fingerprint); raise DomainError when the link is bad or old."""
    try:
        user_id, fingerprint = _serializer(purpose).loads(token, max_age=int(max_age.total_seconds()))
    except SignatureExpired as exc:
        raise DomainError("This link has expired. Ask for a new one.") from exc
    except (BadSignature, ValueError, TypeError) as exc:
        raise DomainError("This link is not valid.") from exc
    return int(user_id), str(fingerprint)


def token_matches(fingerprint: str, password_hash: str | None) -> bool:
    return fingerprint == _fingerprint(password_hash)
