"""The member's own account: setting a PIN, and turning two-factor sign-in on and using it."""

from __future__ import annotations

import time

import pyotp
import pytest

from ismartsync.extensions import db
from ismartsync.models import AuditEntry, User
from ismartsync.passwords import verify_pin
from tests import factories
from tests.markup import element, field_text, text, text_of


def _fresh(user: User) -> User:
    db.session.expire_all()
    return db.session.get(User, user.id)


def test_member_sets_a_new_pin(browser, cashier):
    browser.sign_in(cashier)
    response = browser.post("/account/pin", {"pin": "4826", "password": factories.PASSWORD})
    assert response.status_code == 303
    assert verify_pin(_fresh(cashier).pin_hash, "4826")


@pytest.mark.parametrize(
    "pin, message",
    [
        ("12ab", "A PIN is 4 to 6 digits."),
        ("123", "A PIN is 4 to 6 digits."),
        ("1234567", "A PIN is 4 to 6 digits."),
        ("۲۵۸۰", "A PIN is 4 to 6 digits."),  # Urdu digits: the counter keypad could never type them
        ("", "Enter your PIN."),
        ("1111", "Pick a PIN that is harder to guess."),
        ("1234", "Pick a PIN that is harder to guess."),
        ("9876", "Pick a PIN that is harder to guess."),
    ],
)
def test_bad_pin_shows_the_message_beside_the_field_and_keeps_the_old_one(browser, cashier, pin, message):
    browser.sign_in(cashier)
    response = browser.post("/account/pin", {"pin": pin, "password": factories.PASSWORD})
    assert response.status_code == 422
    assert message in field_text(response.get_data(as_text=True), "pin")
    assert verify_pin(_fresh(cashier).pin_hash, factories.PIN)


def _turn_on_two_factor(browser, user: User) -> pyotp.TOTP:
    assert browser.post("/account/two-factor/start").status_code == 303
    page = browser.get("/account").get_data(as_text=True)
    secret = _fresh(user).totp_secret
    assert secret and secret in text_of(page, "two-factor")  # the key to type when the QR cannot be scanned
    totp = pyotp.TOTP(secret)
    assert browser.post("/account/two-factor/confirm", {"code": totp.now()}).status_code == 303
    return totp


def _wrong_code(totp: pyotp.TOTP) -> str:
    return f"{(int(totp.now()) + 500_000) % 1_000_000:06d}"


def test_owner_turns_on_two_factor_with_a_code_from_the_app(browser, owner):
    browser.sign_in(owner)
    _turn_on_two_factor(browser, owner)
    assert _fresh(owner).totp_enabled
    assert "On" in text_of(browser.get("/account").get_data(as_text=True), "two-factor")
    assert db.session.query(AuditEntry).filter_by(action="security.two_factor_on", actor_id=owner.id).count() == 1


def test_two_factor_stays_off_when_the_confirmation_code_is_wrong(browser, owner):
    browser.sign_in(owner)
    browser.post("/account/two-factor/start")
    totp = pyotp.TOTP(_fresh(owner).totp_secret)
    response = browser.post("/account/two-factor/confirm", {"code": _wrong_code(totp)})
    assert response.status_code == 422
    assert "That code is not right" in field_text(response.get_data(as_text=True), "code")
    assert not _fresh(owner).totp_enabled


@pytest.fixture
def with_two_factor(browser, owner) -> pyotp.TOTP:
    browser.sign_in(owner)
    totp = _turn_on_two_factor(browser, owner)
    browser.post("/sign-out")
    return totp


def _next_code(totp: pyotp.TOTP) -> str:
    """The code of the next 30-second step: the current one was used to turn two-factor on."""
    return totp.at(time.time() + totp.interval)


def test_sign_in_with_two_factor_asks_for_the_code_before_letting_in(browser, owner, with_two_factor):
    response = browser.post("/sign-in", {"email": owner.email, "password": factories.PASSWORD})
    assert response.headers["Location"] == "/sign-in/code"
    assert browser.get("/").status_code == 303  # the password alone does not sign in
    response = browser.post("/sign-in/code", {"code": _next_code(with_two_factor)})
    assert response.status_code == 303
    assert "Hello," in browser.get("/").get_data(as_text=True)


def test_a_two_factor_code_works_only_once(browser, owner, with_two_factor):
    browser.post("/sign-in", {"email": owner.email, "password": factories.PASSWORD})
    response = browser.post("/sign-in/code", {"code": with_two_factor.now()})  # already used to turn it on
    assert response.status_code == 401
    assert browser.get("/").status_code == 303


def test_wrong_two_factor_code_is_refused(browser, owner, with_two_factor):
    browser.post("/sign-in", {"email": owner.email, "password": factories.PASSWORD})
    response = browser.post("/sign-in/code", {"code": _wrong_code(with_two_factor)})
    assert response.status_code == 401
    assert "That code is not right" in field_text(response.get_data(as_text=True), "code")
    assert browser.get("/").status_code == 303


def test_two_factor_code_page_needs_the_password_first(browser):
    assert browser.get("/sign-in/code").headers["Location"] == "/sign-in"


def test_two_factor_codes_are_throttled(browser, owner, with_two_factor):
    browser.post("/sign-in", {"email": owner.email, "password": factories.PASSWORD})
    for _ in range(5):
        browser.post("/sign-in/code", {"code": _wrong_code(with_two_factor)})
    response = browser.post("/sign-in/code", {"code": _next_code(with_two_factor)})
    assert response.status_code == 429
    assert "Too many wrong attempts" in text(response.get_data(as_text=True))


@pytest.fixture
def owner_with_two_factor(browser, owner) -> pyotp.TOTP:
    """The owner, still signed in from turning two-factor on (which used the current code)."""
    browser.sign_in(owner)
    return _turn_on_two_factor(browser, owner)


def test_owner_turns_two_factor_off(browser, owner, owner_with_two_factor):
    off = {"password": factories.PASSWORD, "code": _next_code(owner_with_two_factor)}
    assert browser.post("/account/two-factor/off", off).status_code == 303
    assert not _fresh(owner).totp_enabled and _fresh(owner).totp_secret is None
    browser.post("/sign-out")
    assert browser.post("/sign-in", {"email": owner.email, "password": factories.PASSWORD}).headers["Location"] == "/"


def test_cashier_cannot_turn_on_two_factor(browser, cashier):
    browser.sign_in(cashier)
    assert element(browser.get("/account").get_data(as_text=True), "two-factor") is None
    response = browser.post("/account/two-factor/start")
    assert response.status_code == 303
    assert "Two-factor sign-in is for owners and managers." in text(browser.get("/account").get_data(as_text=True))
    assert _fresh(cashier).totp_secret is None


# Changing how one signs in asks who it is, and never from a PIN session


def test_changing_the_pin_needs_the_password(browser, cashier):
    browser.sign_in(cashier)
    for password, message in [("", "Enter your password."), ("not-the-password", "That password is not right.")]:
        response = browser.post("/account/pin", {"pin": "4826", "password": password})
        assert response.status_code == 422
        assert message in field_text(response.get_data(as_text=True), "password")
    assert verify_pin(_fresh(cashier).pin_hash, factories.PIN)


def test_wrong_passwords_on_the_account_page_are_throttled(browser, cashier):
    browser.sign_in(cashier)
    for _ in range(5):
        browser.post("/account/pin", {"pin": "4826", "password": "not-the-password"})
    response = browser.post("/account/pin", {"pin": "4826", "password": factories.PASSWORD})
    assert response.status_code == 429
    assert "Too many wrong attempts" in text_of(response.get_data(as_text=True), "pin-form")
    assert verify_pin(_fresh(cashier).pin_hash, factories.PIN)


def test_changing_the_pin_with_two_factor_on_needs_a_current_code_too(browser, owner, owner_with_two_factor):
    no_code = browser.post("/account/pin", {"pin": "4826", "password": factories.PASSWORD})
    assert no_code.status_code == 422
    assert "That code is not right" in field_text(no_code.get_data(as_text=True), "code")
    done = {"pin": "4826", "password": factories.PASSWORD, "code": _next_code(owner_with_two_factor)}
    assert browser.post("/account/pin", done).status_code == 303
    assert verify_pin(_fresh(owner).pin_hash, "4826")


@pytest.mark.parametrize(
    "sent, field, message",
    [
        ({}, "password", "Enter your password."),
        ({"password": "not-the-password", "code": "CODE"}, "password", "That password is not right."),
        ({"password": factories.PASSWORD}, "code", "That code is not right"),
        ({"password": factories.PASSWORD, "code": "WRONG"}, "code", "That code is not right"),
    ],
)
def test_turning_two_factor_off_needs_the_password_and_a_current_code(
    browser, owner, owner_with_two_factor, sent, field, message
):
    code = _next_code(owner_with_two_factor)
    sent = {k: {"CODE": code, "WRONG": _wrong_code(owner_with_two_factor)}.get(v, v) for k, v in sent.items()}
    response = browser.post("/account/two-factor/off", sent)
    assert response.status_code == 422
    assert message in field_text(response.get_data(as_text=True), f"off-{field}")
    assert _fresh(owner).totp_enabled


def test_setting_two_factor_up_again_does_not_turn_it_off(browser, owner, owner_with_two_factor):
    secret = _fresh(owner).totp_secret
    browser.post("/account/two-factor/start")
    assert "Two-factor sign-in is already on." in text(browser.get("/account").get_data(as_text=True))
    assert _fresh(owner).totp_enabled and _fresh(owner).totp_secret == secret


def test_a_pin_session_can_change_neither_the_pin_nor_two_factor(paired_tablet, owner, owner_with_two_factor):
    assert paired_tablet.post(f"/device/pin/{owner.id}", {"pin": factories.PIN}).status_code == 303
    page = paired_tablet.get("/account").get_data(as_text=True)
    assert "sign in with your email and password" in text_of(page, "pin-session-note")
    assert element(page, "pin-form") is None and element(page, "two-factor") is None
    code = _next_code(owner_with_two_factor)
    for path, data in [
        ("/account/pin", {"pin": "4826", "password": factories.PASSWORD, "code": code}),
        ("/account/two-factor/off", {"password": factories.PASSWORD, "code": code}),
        ("/account/two-factor/start", {}),
        ("/account/two-factor/confirm", {"code": code}),
    ]:
        assert paired_tablet.post(path, data).status_code == 403, path
    assert _fresh(owner).totp_enabled and verify_pin(_fresh(owner).pin_hash, factories.PIN)


# The business may require two-factor of owners and managers


def _require_two_factor(browser, required: bool = True):
    return browser.post("/settings/security", {"require_two_factor": "y"} if required else {})


def test_an_owner_requires_two_factor_and_a_manager_without_it_is_sent_to_set_it_up(
    browser, make_browser, owner, manager, cashier
):
    browser.sign_in(owner)
    assert _require_two_factor(browser).headers["Location"] == "/settings/business"
    assert _fresh(owner).merchant.require_two_factor
    assert db.session.query(AuditEntry).filter_by(action="security.two_factor_required").count() == 1
    assert browser.get("/").headers["Location"] == "/account"  # the owner too, having no two-factor yet

    office = make_browser()
    office.sign_in(manager)
    for path in ["/", "/staff", "/settings/business"]:
        assert office.get(path).headers["Location"] == "/account", path
    page = office.get("/account").get_data(as_text=True)
    assert "requires two-factor sign-in" in text_of(page, "two-factor-required")
    _turn_on_two_factor(office, manager)
    assert office.get("/").status_code == 200

    counter_staff = make_browser()
    counter_staff.sign_in(cashier)  # cashiers have no two-factor to set up
    assert counter_staff.get("/").status_code == 200


def test_a_required_two_factor_cannot_be_turned_off(browser, owner, owner_with_two_factor):
    _require_two_factor(browser)
    off = {"password": factories.PASSWORD, "code": _next_code(owner_with_two_factor)}
    response = browser.post("/account/two-factor/off", off)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Your business requires it for owners and managers." in text_of(html, "two-factor")
    assert element(html, "two-factor-off") is None
    assert _fresh(owner).totp_enabled


def test_only_an_owner_may_require_two_factor(browser, manager):
    browser.sign_in(manager)
    assert _require_two_factor(browser).status_code == 403
    assert element(browser.get("/settings/business").get_data(as_text=True), "security-form") is None
    assert not _fresh(manager).merchant.require_two_factor


def test_a_managers_pin_session_is_not_sent_to_set_up_two_factor(browser, owner, paired_tablet, manager):
    browser.sign_in(owner)
    _require_two_factor(browser)
    assert paired_tablet.post(f"/device/pin/{manager.id}", {"pin": factories.PIN}).status_code == 303
    assert paired_tablet.get("/").status_code == 200
