"""A paired counter tablet: pairing, the PIN pad, switching cashier, locking, and unpairing."""

from __future__ import annotations

import pytest
from itsdangerous import URLSafeSerializer
from sqlalchemy import select

from ismartsync.access import DEVICE_COOKIE
from ismartsync.extensions import db
from ismartsync.models import Device, User
from tests import factories
from tests.markup import hrefs, text, text_of


def _device_cookie(browser):
    return browser.client.get_cookie(DEVICE_COOKIE, domain="localhost")


@pytest.fixture
def tablet(make_browser, manager, counter):
    """A browser a manager paired to the counter and then signed out of: it shows the PIN pad."""
    tablet = make_browser()
    tablet.sign_in(manager)
    response = tablet.post(f"/device/pair/{counter.id}", {"label": "Front tablet"})
    assert response.status_code == 303
    assert tablet.post("/sign-out").headers["Location"] == "/device/pin"
    return tablet


@pytest.fixture
def device(tablet, counter) -> Device:
    return db.session.scalar(select(Device).where(Device.counter_id == counter.id))


def _pin_in(tablet, user: User, pin: str = factories.PIN):
    return tablet.post(f"/device/pin/{user.id}", {"pin": pin})


def _greeting(browser) -> str:
    return text_of(browser.get("/").get_data(as_text=True), "main")


def test_pairing_sets_a_long_lived_http_only_device_cookie(make_browser, manager, counter):
    browser = make_browser()
    browser.sign_in(manager)
    response = browser.post(f"/device/pair/{counter.id}", {"label": "Front tablet"})
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith(DEVICE_COOKIE))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Max-Age=34560000" in cookie
    device = db.session.scalar(select(Device).where(Device.counter_id == counter.id))
    assert device.label == "Front tablet" and device.paired_by_id == manager.id
    assert "Gulberg · Counter 1" in text(browser.get("/").get_data(as_text=True))


def test_cashier_cannot_pair_a_tablet(browser, cashier, counter):
    browser.sign_in(cashier)
    assert browser.post(f"/device/pair/{counter.id}", {"label": "Mine"}).status_code == 403
    assert _device_cookie(browser) is None


def test_pin_pad_lists_only_members_who_work_at_this_counter(
    tablet, merchant, roles, branch, counter, cashier, outsider
):
    elsewhere = factories.BranchFactory(merchant=merchant, name="DHA", code="DHA")
    other_counter = factories.CounterFactory(branch=branch, name="Counter 2")
    cashier_role = roles["Cashier"]
    listed = {
        "branch member": cashier,
        "counter member": factories.UserFactory(
            merchant=merchant, role=cashier_role, branches=[branch], counters=[counter], full_name="Counter Member"
        ),
        "every branch": factories.UserFactory(
            merchant=merchant, role=roles["Accountant"], all_branches=True, full_name="All Branches"
        ),
        "owner": factories.UserFactory(merchant=merchant, role=roles["Owner"], full_name="The Owner"),
    }
    hidden = {
        "other branch": factories.UserFactory(
            merchant=merchant, role=cashier_role, branches=[elsewhere], full_name="DHA Cashier"
        ),
        "other counter": factories.UserFactory(
            merchant=merchant, role=cashier_role, branches=[branch], counters=[other_counter], full_name="Other Counter"
        ),
        "no PIN": factories.UserFactory(
            merchant=merchant, role=cashier_role, branches=[branch], pin_hash=None, full_name="No Pin"
        ),
        "deactivated": factories.UserFactory(
            merchant=merchant, role=cashier_role, branches=[branch], active=False, full_name="Gone Away"
        ),
        "other merchant": outsider,
    }
    page = tablet.get("/device/pin").get_data(as_text=True)
    tiles = text_of(page, "pin-pad")
    for who, user in listed.items():
        assert user.full_name in tiles, who
        assert f"/device/pin/{user.id}" in hrefs(page), who
    for who, user in hidden.items():
        assert user.full_name not in tiles, who


def test_pin_signs_the_cashier_in_bound_to_the_tablet_and_lands_at_the_counter(tablet, cashier):
    assert "Hello, Sana" not in tablet.get(f"/device/pin/{cashier.id}").get_data(as_text=True)
    response = _pin_in(tablet, cashier)
    assert response.status_code == 303 and response.headers["Location"] == "/counter"
    greeting = _greeting(tablet)
    assert "Hello, Sana" in greeting and "Gulberg · Counter 1" in greeting


def test_a_member_who_may_not_sell_lands_on_their_dashboard(tablet, merchant, roles, branch):
    accountant = factories.UserFactory(merchant=merchant, role=roles["Accountant"], branches=[branch])
    response = _pin_in(tablet, accountant)
    assert response.status_code == 303 and response.headers["Location"] == "/"


def test_wrong_pin_is_refused(tablet, cashier):
    response = _pin_in(tablet, cashier, "9999")
    assert response.status_code == 401
    assert "Wrong PIN" in text_of(response.get_data(as_text=True), "pin-entry")
    assert tablet.get("/").headers["Location"] == "/device/pin"


def test_switching_user_by_pin_changes_who_is_signed_in(tablet, merchant, roles, branch, cashier):
    usman = factories.UserFactory(merchant=merchant, role=roles["Cashier"], branches=[branch], full_name="Usman Tariq")
    _pin_in(tablet, cashier)
    assert _pin_in(tablet, usman).status_code == 303
    greeting = _greeting(tablet)
    assert "Hello, Usman" in greeting and "Switched to Usman Tariq." in greeting


def test_member_of_another_merchant_cannot_pin_in(tablet, outsider):
    assert tablet.get(f"/device/pin/{outsider.id}").status_code == 404
    assert _pin_in(tablet, outsider).status_code == 404
    assert tablet.get("/").headers["Location"] == "/device/pin"


def test_member_of_another_branch_cannot_pin_in(tablet, merchant, roles):
    elsewhere = factories.BranchFactory(merchant=merchant, name="DHA", code="DHA")
    stranger = factories.UserFactory(merchant=merchant, role=roles["Cashier"], branches=[elsewhere])
    assert _pin_in(tablet, stranger).status_code == 404


def test_pin_is_throttled_per_member(tablet, cashier, manager):
    for _ in range(5):
        assert _pin_in(tablet, cashier, "9999").status_code == 401
    response = _pin_in(tablet, cashier)
    assert response.status_code == 429
    assert "Too many wrong attempts. Try again in 5 minutes." in text_of(response.get_data(as_text=True), "pin-entry")
    assert _pin_in(tablet, manager).status_code == 303  # another member at the same tablet is not slowed down


def test_browser_without_a_paired_device_has_no_pin_pad(browser, cashier):
    assert browser.get("/device/pin").headers["Location"] == "/sign-in"
    assert browser.post(f"/device/pin/{cashier.id}", {"pin": factories.PIN}).headers["Location"] == "/sign-in"


# Lock


@pytest.fixture
def locked(tablet, cashier):
    _pin_in(tablet, cashier)
    response = tablet.post("/device/lock")
    assert response.headers["Location"] == "/device/locked"
    return tablet


def test_locked_tablet_sends_every_page_to_the_lock_screen(locked):
    for path in ["/", "/account", "/settings/business", "/staff"]:
        assert locked.get(path).headers["Location"] == "/device/locked", path
    htmx = locked.get("/account", headers={"HX-Request": "true"})
    assert htmx.status_code == 204 and htmx.headers["HX-Redirect"] == "/device/locked"
    screen = text_of(locked.get("/device/locked").get_data(as_text=True), "locked")
    assert "Sana Iqbal" in screen and "Type your PIN to unlock." in screen


def test_locked_tablet_refuses_posts_too(locked, branch):
    token = locked.csrf("/device/locked")
    response = locked.post("/account/pin", {"pin": "4826", "csrf_token": token})
    assert response.headers["Location"] == "/device/locked"


def test_unlock_with_the_wrong_pin_stays_locked(locked):
    response = locked.post("/device/unlock", {"pin": "9999"})
    assert response.status_code == 401
    assert "Wrong PIN" in text_of(response.get_data(as_text=True), "locked")
    assert locked.get("/").headers["Location"] == "/device/locked"


def test_unlock_is_throttled_after_repeated_wrong_pins(locked):
    for _ in range(5):
        locked.post("/device/unlock", {"pin": "9999"})
    response = locked.post("/device/unlock", {"pin": factories.PIN})
    assert response.status_code == 429
    assert "Too many wrong attempts" in text_of(response.get_data(as_text=True), "locked")
    assert locked.get("/").headers["Location"] == "/device/locked"


def test_unlock_with_the_right_pin_reopens_the_session(locked):
    assert locked.post("/device/unlock", {"pin": factories.PIN}).headers["Location"] == "/"
    assert "Hello, Sana" in _greeting(locked)


def test_locked_tablet_can_switch_to_another_member(locked, manager):
    assert _pin_in(locked, manager).status_code == 303
    assert "Hello, Bilal" in _greeting(locked)


def test_locked_tablet_can_be_signed_out(locked):
    response = locked.post("/sign-out")
    assert response.headers["Location"] == "/device/pin"
    assert locked.get("/").headers["Location"] == "/device/pin"
    assert locked.get("/device/locked").headers["Location"] == "/device/pin"


def _copy_of(tablet, make_browser):
    """Another browser holding copies of the tablet's cookies, as someone who copied them would."""
    copy = make_browser()
    for name in ("session", DEVICE_COOKIE):
        copy.client.set_cookie(name, tablet.client.get_cookie(name, domain="localhost").value, domain="localhost")
    return copy


def test_a_copy_of_the_cookies_taken_before_locking_stays_locked(tablet, cashier, make_browser):
    _pin_in(tablet, cashier)
    copy = _copy_of(tablet, make_browser)
    tablet.post("/device/lock")
    for path in ["/", "/account", "/counter"]:
        assert copy.get(path).headers["Location"] == "/device/locked", path


def test_a_copy_of_the_cookies_taken_before_sign_out_opens_nothing(tablet, cashier, make_browser):
    _pin_in(tablet, cashier)
    copy = _copy_of(tablet, make_browser)
    tablet.post("/sign-out")
    assert copy.get("/").headers["Location"] == "/device/pin"


def test_switching_member_ends_the_previous_members_session(tablet, manager, cashier, make_browser):
    _pin_in(tablet, cashier)
    copy = _copy_of(tablet, make_browser)
    _pin_in(tablet, manager)
    assert copy.get("/").headers["Location"] == "/device/pin"
    assert "Hello, Bilal" in _greeting(tablet)


def test_locking_one_tablet_leaves_the_members_other_tablet_alone(tablet, cashier, make_browser, manager, counter):
    other = make_browser()
    other.sign_in(manager)
    other.post(f"/device/pair/{factories.CounterFactory(branch=counter.branch, name='Counter 2').id}", {"label": "Two"})
    other.post("/sign-out")
    _pin_in(tablet, cashier)
    _pin_in(other, cashier)
    tablet.post("/device/lock")
    assert other.get("/").status_code == 200
    tablet.post("/sign-out")
    assert "Hello, Sana" in _greeting(other)


def test_lock_needs_a_paired_device(browser, manager):
    browser.sign_in(manager)
    browser.post("/device/lock")
    assert browser.get("/").status_code == 200


# Unpairing and tampering


def test_unpairing_signs_the_tablets_pin_session_out(tablet, device, cashier, make_browser, manager):
    _pin_in(tablet, cashier)
    office = make_browser()
    office.sign_in(manager)
    response = office.post(f"/device/{device.id}/revoke")
    assert response.status_code == 303
    db.session.expire_all()
    assert not db.session.get(Device, device.id).is_active
    assert tablet.get("/").headers["Location"] == "/sign-in?next=/"
    assert tablet.get("/device/pin").headers["Location"] == "/sign-in"


def test_unpairing_from_the_tablet_itself_removes_its_cookie(tablet, device, manager):
    tablet.sign_in(manager)
    tablet.post(f"/device/{device.id}/revoke")
    assert _device_cookie(tablet) is None


def test_tampered_device_cookie_is_ignored(tablet):
    value = _device_cookie(tablet).value
    tablet.client.set_cookie(DEVICE_COOKIE, value[:-4] + "AAAA", domain="localhost")
    assert tablet.get("/device/pin").headers["Location"] == "/sign-in"


def test_device_cookie_with_a_valid_signature_but_wrong_secret_is_ignored(app, tablet, device):
    forged = URLSafeSerializer(app.config["SECRET_KEY"], salt="ismartsync.device").dumps([device.id, "guessed"])
    tablet.client.set_cookie(DEVICE_COOKIE, forged, domain="localhost")
    assert tablet.get("/device/pin").headers["Location"] == "/sign-in"


def test_pin_session_ends_when_the_device_cookie_is_lost(tablet, cashier):
    _pin_in(tablet, cashier)
    tablet.client.delete_cookie(DEVICE_COOKIE, domain="localhost")
    assert tablet.get("/").headers["Location"] == "/sign-in?next=/"


def test_pin_pad_of_an_unpaired_counter_is_gone_for_everyone(tablet, device, make_browser, manager, cashier):
    office = make_browser()
    office.sign_in(manager)
    office.post(f"/device/{device.id}/revoke")
    assert _pin_in(tablet, cashier).headers["Location"] == "/sign-in"


def test_switched_off_counter_cannot_be_paired(browser, manager, counter):
    counter.active = False
    db.session.flush()
    browser.sign_in(manager)
    response = browser.post(f"/device/pair/{counter.id}", {"label": "Front tablet"})
    assert response.headers["Location"] == f"/settings/branches/{counter.branch_id}"
    assert _device_cookie(browser) is None
    assert "This counter is switched off." in text(browser.get(response.headers["Location"]).get_data(as_text=True))


def test_pin_entry_rejects_a_pin_that_is_not_digits(tablet, cashier):
    response = _pin_in(tablet, cashier, "12ab")
    assert response.status_code == 422
    assert "A PIN is 4 to 6 digits." in text_of(response.get_data(as_text=True), "pin-entry")


def test_counter_label_shows_on_the_pin_pad(tablet):
    assert "Gulberg · Counter 1" in text_of(tablet.get("/device/pin").get_data(as_text=True), "pin-pad")
