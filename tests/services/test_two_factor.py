"""Two-factor sign-in: who may use it, confirming it, and its secret kept encrypted at rest."""

from __future__ import annotations

import pyotp
import pytest
import sqlalchemy as sa

from ismartsync.errors import DomainError, InvalidCredentials
from ismartsync.extensions import db
from ismartsync.services.audit import Actor
from ismartsync.services.two_factor import confirm_two_factor, start_two_factor


def test_only_owners_and_approvers_may_use_two_factor(owner, manager, cashier):
    assert start_two_factor(db.session, owner)
    assert start_two_factor(db.session, manager)
    with pytest.raises(DomainError, match="for owners and managers"):
        start_two_factor(db.session, cashier)


def test_two_factor_counts_only_once_confirmed(owner):
    secret = start_two_factor(db.session, owner)
    assert not owner.totp_enabled
    with pytest.raises(InvalidCredentials):
        confirm_two_factor(db.session, Actor(owner), "000000" if pyotp.TOTP(secret).now() != "000000" else "111111")
    confirm_two_factor(db.session, Actor(owner), pyotp.TOTP(secret).now())
    assert owner.totp_enabled


def test_two_factor_secret_is_stored_encrypted(owner):
    secret = start_two_factor(db.session, owner)
    stored = db.session.scalar(sa.text("SELECT totp_secret FROM users WHERE id = :id"), {"id": owner.id})
    assert stored and secret not in stored
    db.session.expire(owner)
    assert owner.totp_secret == secret
