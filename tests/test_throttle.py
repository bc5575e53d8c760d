"""Sign-in throttling: counted before the check (no race), keyed so a shop is not locked out, alive without Redis."""

from __future__ import annotations

import socket
import threading
from collections import Counter as Tally
from collections.abc import Callable, Iterator

import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher
from flask import Flask
from sqlalchemy.orm import Session

from ismartsync import throttle
from ismartsync.errors import InvalidCredentials, Throttled
from ismartsync.models import Branch, Counter, Merchant, User
from ismartsync.services.credentials import authenticate_password, authenticate_pin
from ismartsync.services.roles import create_default_roles
from tests import factories

PARALLEL = 40
ATTACKER = "203.0.113.50"


def _seed_member(engine: sa.Engine) -> tuple[int, int, int]:
    """A committed cashier whose password and PIN are hashed at production cost, as in a real shop."""
    production = PasswordHasher()
    with Session(engine) as session, session.begin():
        merchant = Merchant(legal_name="Race Ltd", brand_name="Race")
        branch = Branch(merchant=merchant, name="Race branch", code="RACE")
        counter = Counter(merchant=merchant, branch=branch, name="Race counter")
        roles = create_default_roles(session, merchant)
        cashier = User(
            merchant=merchant,
            email="racer@example.pk",
            full_name="Race Cashier",
            role=roles["Cashier"],
            all_branches=True,
            password_hash=production.hash(factories.PASSWORD),
            pin_hash=PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1).hash(factories.PIN),
        )
        session.add_all([merchant, branch, counter, cashier])
        session.flush()
        return merchant.id, counter.id, cashier.id


def _all_at_once(app: Flask, engine: sa.Engine, guess: Callable[[Session], object]) -> Tally:
    """Send `PARALLEL` wrong guesses at the same moment, each from its own thread, connection and app context."""
    outcomes: Tally = Tally()
    start = threading.Barrier(PARALLEL)

    def one() -> None:
        start.wait()
        with app.app_context(), Session(engine) as session:
            try:
                guess(session)
            except Throttled:
                outcomes["throttled"] += 1
            except InvalidCredentials:
                outcomes["checked"] += 1

    threads = [threading.Thread(target=one) for _ in range(PARALLEL)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return outcomes


@pytest.fixture
def committed_member(database_url) -> Iterator[tuple[sa.Engine, int, int]]:
    if not database_url.startswith("postgresql"):
        pytest.skip("needs ISMARTSYNC_TEST_DATABASE_URL: the guesses run on their own connections")
    engine = sa.create_engine(database_url, pool_size=PARALLEL, max_overflow=0)
    merchant_id, counter_id, cashier_id = _seed_member(engine)
    try:
        yield engine, counter_id, cashier_id
    finally:
        with engine.begin() as conn:
            conn.execute(sa.text("DELETE FROM merchants WHERE id = :id"), {"id": merchant_id})
        engine.dispose()


@pytest.mark.committing
def test_parallel_wrong_passwords_check_at_most_the_limit(app, committed_member):
    engine, _, _ = committed_member
    outcomes = _all_at_once(
        app, engine, lambda s: authenticate_password(s, "racer@example.pk", "wrong-password", ATTACKER)
    )
    assert outcomes == {"checked": 5, "throttled": PARALLEL - 5}  # LOGIN_LIMIT 5/15minutes


@pytest.mark.committing
def test_parallel_wrong_pins_check_at_most_the_limit(app, committed_member):
    engine, counter_id, cashier_id = committed_member
    outcomes = _all_at_once(
        app, engine, lambda s: authenticate_pin(s, s.get(Counter, counter_id), cashier_id, "9999", ATTACKER)
    )
    assert outcomes == {"checked": 5, "throttled": PARALLEL - 5}  # PIN_LIMIT 5/5minutes


# Keyed so that one attacker cannot lock a shop out


def _sign_in(browser, email: str, password: str, address: str = "127.0.0.1"):
    return browser.client.post(
        "/sign-in",
        data={"email": email, "password": password, "csrf_token": browser.csrf()},
        environ_base={"REMOTE_ADDR": address},
    )


def test_guessing_at_many_accounts_does_not_lock_out_the_others_behind_the_same_address(browser, merchant, manager):
    shop = "198.51.100.20"  # the shop's one NAT address
    for n in range(12):  # 60 wrong passwords: twice the old per-address limit
        for _ in range(5):
            assert _sign_in(browser, f"guess{n}@example.pk", "wrong-password", shop).status_code == 401
    assert _sign_in(browser, "guess0@example.pk", "wrong-password", shop).status_code == 429
    assert _sign_in(browser, manager.email, factories.PASSWORD, shop).status_code == 303


def test_an_account_locked_at_one_address_still_signs_in_at_another(browser, make_browser, owner):
    for _ in range(5):
        _sign_in(browser, owner.email, "wrong-password", ATTACKER)
    assert _sign_in(browser, owner.email, factories.PASSWORD, ATTACKER).status_code == 429
    assert _sign_in(make_browser(), owner.email, factories.PASSWORD, "198.51.100.20").status_code == 303


def test_an_account_is_limited_from_every_address_together(app, monkeypatch, browser, make_browser, owner):
    monkeypatch.setitem(app.config, "LOGIN_ACCOUNT_LIMIT", "8/hour")
    for n in range(8):
        assert _sign_in(browser, owner.email, "wrong-password", f"203.0.113.{n}").status_code == 401
    assert _sign_in(make_browser(), owner.email, factories.PASSWORD, "198.51.100.20").status_code == 429


def test_the_address_ceiling_still_stops_a_spray(app, monkeypatch, browser, manager):
    monkeypatch.setitem(app.config, "LOGIN_ADDRESS_LIMIT", "20/15minutes")
    for n in range(20):
        _sign_in(browser, f"guess{n}@example.pk", "wrong-password", ATTACKER)
    assert _sign_in(browser, manager.email, factories.PASSWORD, ATTACKER).status_code == 429
    assert _sign_in(browser, manager.email, factories.PASSWORD, "198.51.100.20").status_code == 303


def test_right_answers_do_not_use_up_the_address_ceiling(app, monkeypatch, make_browser, manager):
    monkeypatch.setitem(app.config, "LOGIN_ADDRESS_LIMIT", "3/15minutes")
    for _ in range(6):
        assert _sign_in(make_browser(), manager.email, factories.PASSWORD).status_code == 303


# Redis unreachable


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]  # nothing listens there once the probe is closed


@pytest.fixture
def redis_unreachable(app: Flask) -> Iterator[None]:
    """Throttle counts pointed at a Redis that refuses connections, as when Redis is down."""
    saved = app.config["RATELIMIT_STORAGE_URI"]
    app.config["RATELIMIT_STORAGE_URI"] = f"redis://127.0.0.1:{_closed_port()}/0"
    throttle.init_app(app)
    try:
        yield
    finally:
        app.config["RATELIMIT_STORAGE_URI"] = saved
        throttle.init_app(app)


def test_pin_sign_in_works_while_redis_is_unreachable(redis_unreachable, paired_tablet, cashier):
    response = paired_tablet.post(f"/device/pin/{cashier.id}", {"pin": factories.PIN})
    assert response.status_code == 303
    assert "Hello, Sana" in paired_tablet.get("/").get_data(as_text=True)


def test_password_sign_in_works_and_is_still_throttled_while_redis_is_unreachable(redis_unreachable, browser, owner):
    for _ in range(5):
        assert _sign_in(browser, owner.email, "wrong-password").status_code == 401
    assert _sign_in(browser, owner.email, factories.PASSWORD).status_code == 429  # counted in the process
    assert _sign_in(browser, "someone@example.pk", "wrong-password").status_code == 401

