"""Encryption of secrets at rest (Fernet, keys from the environment, rotation by key list)."""

from __future__ import annotations

import sqlalchemy as sa
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from sqlalchemy.types import TypeDecorator

_fernet: MultiFernet | None = None


def configure(keys: str) -> None:
    """Set the key ring: comma-separated Fernet keys, newest first."""
    global _fernet
    _fernet = MultiFernet([Fernet(k.strip().encode()) for k in keys.split(",") if k.strip()])


def _ring() -> MultiFernet:
    if _fernet is None:
        raise RuntimeError("encryption keys are not configured (ISMARTSYNC_ENCRYPTION_KEYS)")
    return _fernet


def encrypt(plaintext: str) -> str:
    return _ring().encrypt(plaintext.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return _ring().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise RuntimeError("a stored secret cannot be decrypted with the configured keys") from exc


class EncryptedText(TypeDecorator[str]):
    """A text column stored encrypted; Python sees the plaintext."""

    impl = sa.Text
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: sa.Dialect) -> str | None:
        return None if value is None else encrypt(value)

    def process_result_value(self, value: str | None, dialect: sa.Dialect) -> str | None:
        return None if value is None else decrypt(value)
