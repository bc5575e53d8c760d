"""Server-side sign-in sessions: found by the cookie's id only while alive, pushed forward sparingly, swept."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from ismartsync.extensions import db
from ismartsync.models import SignInSession
from ismartsync.models.base import utcnow
from ismartsync.services.sign_in_sessions import (
    end_session,
    find_session,
    keep_alive,
    purge_expired_sessions,
    start_session,
)

LIFETIME = timedelta(hours=12)


def test_a_session_is_found_by_its_id_until_it_expires_or_ends(owner):
    now = utcnow()
    token = start_session(db.session, owner, None, now, LIFETIME)
    assert find_session(db.session, token, now).user == owner
    assert find_session(db.session, token, now + LIFETIME) is None
    assert find_session(db.session, token + "x", now) is None and find_session(db.session, None, now) is None
    end_session(db.session, token)
    assert find_session(db.session, token, now) is None


def test_the_database_holds_only_a_hash_of_the_cookies_id(owner):
    token = start_session(db.session, owner, None, utcnow(), LIFETIME)
    assert token not in db.session.scalars(select(SignInSession.token_hash)).all()


def test_keep_alive_writes_at_most_every_five_minutes(owner):
    now = utcnow()
    record = find_session(db.session, start_session(db.session, owner, None, now, LIFETIME), now)
    assert not keep_alive(record, now + timedelta(minutes=4), LIFETIME)
    assert keep_alive(record, now + timedelta(minutes=6), LIFETIME)
    assert record.expires_at == now + timedelta(minutes=6) + LIFETIME


def test_purge_removes_only_expired_sessions(owner, cashier):
    now = utcnow()
    start_session(db.session, cashier, None, now - LIFETIME - timedelta(seconds=1), LIFETIME)
    live = start_session(db.session, owner, None, now, LIFETIME)
    assert purge_expired_sessions(db.session, now) == 1
    assert [s.user_id for s in db.session.scalars(select(SignInSession))] == [owner.id]
    assert find_session(db.session, live, now) is not None
