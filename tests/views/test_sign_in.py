"""Sign-up, sign-in and its throttling, sign-out, password reset and accepting an invitation."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from ismartsync.extensions import db
from ismartsync.models import Branch, Counter, OutgoingEmail, SignInSession, User
from ismartsync.passwords import verify_pin
from ismartsync.services.audit import Actor
from ismartsync.services.staff import invite_member
from tests import factories
from tests.markup import field_text, link_path, text, text_of

NEW_OWNER = {
    "legal_name": "Chenab Traders (Private) Limited",
    "brand_name": "Chenab",
    "owner_name": "Ali Raza",
    "email": "ali@chenab.pk",
    "password": "a-long-password",
}


def _user(email: str) -> User | None:
    db.session.expire_all()
    return db.session.scalar(select(User).where(User.email == email))


def test_sign_up_creates_the_business_and_signs_the_owner_in(browser):
    response = browser.post("/sign-up", NEW_OWNER)
    assert response.status_code == 303
    owner = _user("ali@chenab.pk")
    assert owner.role.is_owner and owner.all_branches
    branches = db.session.scalars(select(Branch).where(Branch.merchant_id == owner.merchant_id)).all()
    counters = db.session.scalars(select(Counter).where(Counter.merchant_id == owner.merchant_id)).all()
    assert [(b.name, b.code) for b in branches] == [("Main branch", "MAIN")]
    assert [c.name for c in counters] == ["Counter 1"]
    assert "Hello, Ali" in browser.get("/").get_data(as_text=True)


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("email", "not-an-email", "Invalid email address"),
        ("password", "short", "Use at least 10 characters."),
        ("legal_name", "", "This field is required."),
        ("password", "ali@chenab.pk", "Your password cannot be your email."),
    ],
)
def test_sign_up_with_bad_input_shows_the_message_beside_the_field(browser, field, value, message):
    response = browser.post("/sign-up", {**NEW_OWNER, field: value})
    assert response.status_code == 422
    assert message in field_text(response.get_data(as_text=True), field)
    assert _user("ali@chenab.pk") is None


def test_sign_up_with_a_members_email_is_refused(browser, owner):
    response = browser.post("/sign-up", {**NEW_OWNER, "email": owner.email.upper()})
    assert response.status_code == 422
    assert "already exists" in field_text(response.get_data(as_text=True), "email")


def _sign_in(browser, email: str, password: str = factories.PASSWORD):
    return browser.post("/sign-in", {"email": email, "password": password})


def test_sign_in_opens_the_dashboard_and_records_the_time(browser, owner):
    response = _sign_in(browser, owner.email.upper())
    assert response.status_code == 303 and response.headers["Location"] == "/"
    assert _user(owner.email).last_sign_in_at is not None


@pytest.mark.parametrize("who", ["wrong password", "unknown email", "deactivated", "invited, not joined"])
def test_sign_in_refusal_says_the_same_thing_whoever_it_is(who, browser, merchant, owner):
    email, password = owner.email, factories.PASSWORD
    if who == "wrong password":
        password = "not-the-password"
    elif who == "unknown email":
        email = "nobody@example.pk"
    elif who == "deactivated":
        email = factories.UserFactory(merchant=merchant, active=False).email
    else:
        email = factories.UserFactory(merchant=merchant, password_hash=None).email
    response = _sign_in(browser, email, password)
    assert response.status_code == 401
    assert "Email or password is not right." in field_text(response.get_data(as_text=True), "password")
    assert browser.get("/").status_code == 303


def test_sign_in_with_a_malformed_email_shows_the_message_beside_the_field(browser):
    response = _sign_in(browser, "not-an-email")
    assert response.status_code == 422
    assert "Invalid email address" in field_text(response.get_data(as_text=True), "email")


@pytest.mark.parametrize(
    "target",
    ["//evil.example/phish", "https://evil.example/", "javascript:alert(1)", "/%09/evil.example", "/%5Cevil.example"],
)
def test_sign_in_never_redirects_off_site(browser, owner, target):
    response = browser.post(f"/sign-in?next={target}", {"email": owner.email, "password": factories.PASSWORD})
    assert response.headers["Location"] == "/"


def test_sign_out_ends_the_session(browser, owner):
    browser.sign_in(owner)
    response = browser.post("/sign-out")
    assert response.headers["Location"] == "/sign-in"
    assert browser.get("/").status_code == 303


def _session_cookie(browser) -> str:
    return browser.client.get_cookie("session", domain="localhost").value


def _with_cookie(make_browser, value: str):
    copy = make_browser()
    copy.client.set_cookie("session", value, domain="localhost")
    return copy


def test_a_copy_of_the_cookie_taken_before_sign_out_opens_nothing(browser, make_browser, owner):
    browser.sign_in(owner)
    copied = _session_cookie(browser)
    assert _with_cookie(make_browser, copied).get("/staff").status_code == 200
    browser.post("/sign-out")
    stolen = _with_cookie(make_browser, copied)
    response = stolen.get("/staff")
    assert response.status_code == 303 and response.headers["Location"] == "/sign-in?next=/staff"


def test_signing_out_on_one_screen_leaves_the_members_other_screens_signed_in(make_browser, cashier):
    first, second = make_browser(), make_browser()
    first.sign_in(cashier)
    second.sign_in(cashier)
    first.post("/sign-out")
    assert first.get("/").status_code == 303
    assert "Hello, Sana" in second.get("/").get_data(as_text=True)


def _age_sessions_of(user, hours: int) -> None:
    db.session.expire_all()
    for row in db.session.scalars(select(SignInSession).where(SignInSession.user_id == user.id)):
        row.expires_at -= timedelta(hours=hours)
    db.session.commit()


def test_a_session_past_its_lifetime_opens_nothing(browser, owner):
    browser.sign_in(owner)
    _age_sessions_of(owner, 13)  # PERMANENT_SESSION_LIFETIME is 12 hours
    assert browser.get("/").status_code == 303


def test_a_session_in_use_is_kept_alive(browser, owner):
    browser.sign_in(owner)
    _age_sessions_of(owner, 11)
    assert browser.get("/").status_code == 200  # pushed forward again: another 12 hours from now
    _age_sessions_of(owner, 11)
    assert browser.get("/").status_code == 200


def test_signing_in_sweeps_away_expired_sessions(make_browser, owner, cashier):
    make_browser().sign_in(cashier)
    _age_sessions_of(cashier, 13)
    make_browser().sign_in(owner)
    db.session.expire_all()
    assert db.session.scalars(select(SignInSession.user_id)).all() == [owner.id]


# Throttling


def test_sign_in_is_throttled_after_five_wrong_passwords_even_with_the_right_one(browser, owner):
    for _ in range(5):
        assert _sign_in(browser, owner.email, "wrong-password").status_code == 401
    response = _sign_in(browser, owner.email)
    assert response.status_code == 429
    assert "Too many wrong attempts. Try again in 15 minutes." in text_of(
        response.get_data(as_text=True), "sign-in-form"
    )
    assert browser.get("/").status_code == 303


def test_throttling_one_account_leaves_others_at_the_same_address_alone(browser, owner, manager):
    for _ in range(6):
        _sign_in(browser, owner.email, "wrong-password")
    assert _sign_in(browser, manager.email).status_code == 303


def test_throttling_counts_an_email_in_any_letter_case_as_one_account(browser, owner):
    for variant in [owner.email, owner.email.upper(), owner.email.title(), owner.email, owner.email.upper()]:
        _sign_in(browser, variant, "wrong-password")
    assert _sign_in(browser, owner.email).status_code == 429


def test_address_is_throttled_across_accounts(app, monkeypatch, browser, merchant, manager):
    monkeypatch.setitem(app.config, "LOGIN_ADDRESS_LIMIT", "3/15minutes")
    for n in range(3):
        _sign_in(browser, f"guess{n}@example.pk", "wrong-password")
    response = _sign_in(browser, manager.email)
    assert response.status_code == 429
    other_address = browser.client.post(
        "/sign-in",
        data={"email": manager.email, "password": factories.PASSWORD, "csrf_token": browser.csrf()},
        environ_base={"REMOTE_ADDR": "10.0.0.7"},
    )
    assert other_address.status_code == 303


def test_successful_sign_in_clears_the_accounts_failures(browser, owner):
    for _ in range(4):
        _sign_in(browser, owner.email, "wrong-password")
    assert _sign_in(browser, owner.email).status_code == 303
    browser.post("/sign-out")
    for _ in range(4):
        assert _sign_in(browser, owner.email, "wrong-password").status_code == 401
    assert _sign_in(browser, owner.email).status_code == 303


# Password reset


def _forgot(browser, email: str) -> str:
    response = browser.post("/password/forgot", {"email": email})
    assert response.status_code == 200
    return text(response.get_data(as_text=True))


def _emails_to(address: str) -> list[OutgoingEmail]:
    db.session.expire_all()
    return list(db.session.scalars(select(OutgoingEmail).where(OutgoingEmail.to_address == address)))


def test_forgot_password_says_the_same_for_members_and_strangers(browser, owner):
    for_member = _forgot(browser, owner.email)
    for_stranger = _forgot(browser, "stranger@example.pk")
    assert "If that email belongs to a member, a reset link is on its way." in for_member
    assert for_member.replace(owner.email, "") == for_stranger.replace("stranger@example.pk", "")
    assert len(_emails_to(owner.email)) == 1
    assert _emails_to("stranger@example.pk") == []


@pytest.fixture
def reset_path(browser, owner) -> str:
    _forgot(browser, owner.email)
    [email] = _emails_to(owner.email)
    return link_path(email.body_text, "/password/reset/")


def test_reset_link_sets_a_new_password_once(browser, owner, reset_path):
    assert browser.get(reset_path).status_code == 200
    response = browser.post(reset_path, {"password": "a-brand-new-password"})
    assert response.status_code == 303 and response.headers["Location"] == "/sign-in"
    assert _sign_in(browser, owner.email).status_code == 401
    assert _sign_in(browser, owner.email, "a-brand-new-password").status_code == 303
    used = browser.get(reset_path)
    assert used.status_code == 410
    assert "already been used" in text_of(used.get_data(as_text=True), "main")


def test_password_reset_signs_the_member_out_everywhere(browser, make_browser, owner, reset_path):
    elsewhere = make_browser()
    elsewhere.sign_in(owner)
    browser.post(reset_path, {"password": "a-brand-new-password"})
    assert elsewhere.get("/").status_code == 303


def test_expired_reset_link_answers_gone(app, monkeypatch, browser, reset_path):
    monkeypatch.setitem(app.config, "RESET_TTL", timedelta(seconds=-1))
    response = browser.get(reset_path)
    assert response.status_code == 410
    assert "This link has expired" in text_of(response.get_data(as_text=True), "main")


def test_tampered_reset_link_answers_gone(browser, reset_path):
    assert browser.get(reset_path[:-3] + "xyz").status_code == 410


def test_reset_link_does_not_accept_an_invitation(browser, reset_path):
    token = reset_path.rsplit("/", 1)[1]
    assert browser.get(f"/invite/{token}").status_code == 410


def test_reset_with_a_short_password_shows_the_message_beside_the_field(browser, reset_path):
    response = browser.post(reset_path, {"password": "short"})
    assert response.status_code == 422
    assert "Use at least 10 characters." in field_text(response.get_data(as_text=True), "password")


# Accepting an invitation


@pytest.fixture
def invitee(owner, roles, branch) -> User:
    return invite_member(
        db.session,
        Actor(owner),
        email="zara@example.pk",
        full_name="Zara Malik",
        role=roles["Cashier"],
        branches=[branch],
        accept_url="http://localhost/invite/{token}",
    )


@pytest.fixture
def invite_path(invitee) -> str:
    [email] = _emails_to(invitee.email)
    return link_path(email.body_text, "/invite/")


def test_invitation_link_sets_password_and_pin_and_signs_the_member_in(browser, invitee, invite_path):
    page = browser.get(invite_path).get_data(as_text=True)
    assert "You are joining as Cashier" in text(page)
    response = browser.post(invite_path, {"password": "zaras-own-password", "pin": "4826"})
    assert response.status_code == 303
    assert "Hello, Zara" in browser.get("/").get_data(as_text=True)
    assert verify_pin(_user(invitee.email).pin_hash, "4826")


def test_invitation_link_works_only_once(browser, make_browser, invite_path):
    browser.post(invite_path, {"password": "zaras-own-password"})
    again = make_browser().post(invite_path, {"password": "someone-elses-password"})
    assert again.status_code == 410
    assert "already been used" in text_of(again.get_data(as_text=True), "main")


def test_expired_invitation_link_answers_gone(app, monkeypatch, browser, invite_path):
    monkeypatch.setitem(app.config, "INVITE_TTL", timedelta(seconds=-1))
    response = browser.get(invite_path)
    assert response.status_code == 410
    assert "This link has expired" in text_of(response.get_data(as_text=True), "main")


def test_invitation_of_a_deactivated_member_no_longer_works(browser, invitee, invite_path):
    invitee.active = False
    db.session.flush()
    assert browser.get(invite_path).status_code == 410


@pytest.mark.parametrize(
    "pin, message", [("12ab", "A PIN is 4 to 6 digits."), ("1111", "Pick a PIN that is harder to guess.")]
)
def test_invitation_with_a_bad_pin_shows_the_message_beside_the_field(browser, invitee, invite_path, pin, message):
    response = browser.post(invite_path, {"password": "zaras-own-password", "pin": pin})
    assert response.status_code == 422
    assert message in field_text(response.get_data(as_text=True), "pin")
    assert not _user(invitee.email).has_accepted_invite
