"""Settings → FBR: the business's backend, environment, token and default PCT code, and each counter's switch."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import pytest
from sqlalchemy import select, text

from ismartsync.extensions import db
from ismartsync.models import AuditEntry, Counter, Merchant
from ismartsync.permissions import Effect, Permission
from ismartsync.services.audit import Actor
from ismartsync.services.roles import set_grant
from tests import factories
from tests.markup import element, field_text, is_fragment, text_of

TOKEN = "1298b5eb-b252-3d97-8622-a4a69d5bf818"
OWN = "c0ffee00-aaaa-bbbb-cccc-0123456789ab"
IMS = {"fiscal_backend": "ims_cloud", "fiscal_environment": "sandbox", "default_pct_code": "62044200"}


@pytest.fixture
def registered(merchant: Merchant) -> Merchant:
    merchant.ntn, merchant.strn, merchant.tax_office = "1234567-8", "3277876543210", "RTO Lahore"
    db.session.flush()
    return merchant


@pytest.fixture
def signed_in(browser, owner, registered):
    browser.sign_in(owner)
    return browser


@pytest.fixture
def ims_on(registered: Merchant) -> Merchant:
    registered.fiscal_backend, registered.fbr_token = "ims_cloud", TOKEN
    db.session.flush()
    return registered


@pytest.fixture
def logged() -> Iterator[list[str]]:
    """Every line our loggers write during the test (they do not propagate to pytest's capture)."""
    lines: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(f"{record.getMessage()} {getattr(record, 'fields', '')}")

    handler = Collect()
    loggers = [logging.getLogger(name) for name in ("ismartsync", "jobs", "werkzeug", "")]
    for logger in loggers:
        logger.addHandler(handler)
    yield lines
    for logger in loggers:
        logger.removeHandler(handler)


def _merchant(merchant: Merchant) -> Merchant:
    db.session.expire_all()
    return db.session.get(Merchant, merchant.id)


def _counter(counter: Counter) -> Counter:
    db.session.expire_all()
    return db.session.get(Counter, counter.id)


def _raw(table: str, row_id: int) -> str | None:
    return db.session.execute(text(f"SELECT fbr_token FROM {table} WHERE id = :id"), {"id": row_id}).scalar()


def _audits(action: str) -> list[AuditEntry]:
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)))


def _row(counter: Counter, **values: str) -> dict[str, str]:
    return {"fbr_enabled": "y", "fbr_pos_id": "810001", **values}


# The business part


def test_page_shows_the_seller_registration_read_only_and_every_counter_by_branch(signed_in, registered, counter):
    dha = factories.BranchFactory(merchant=registered, name="DHA", code="DHA")
    front = factories.CounterFactory(branch=dha, name="Front desk")
    page = signed_in.get("/settings/fbr").get_data(as_text=True)

    seller = text_of(page, "fbr-seller")
    assert "1234567-8" in seller and "3277876543210" in seller and "RTO Lahore" in seller
    assert 'href="/settings/business"' in element(page, "fbr-seller")
    assert 'name="ntn"' not in page
    counters = text_of(page, "fbr-counters")
    assert (
        counters.index("DHA") < counters.index("Front desk") < counters.index("Gulberg") < counters.index("Counter 1")
    )
    assert element(page, f"fbr-counter-{counter.id}") and element(page, f"fbr-counter-{front.id}")
    assert "Not reported: FBR is off for this counter" in text_of(page, f"fbr-status-{front.id}")
    assert "No token saved" in text_of(page, "fbr-token-state")
    assert '<a href="/settings/fbr" class="tab is-current">FBR</a>' in page


def test_owner_turns_ims_on_and_the_token_is_encrypted_at_rest_and_never_audited(signed_in, registered, owner, logged):
    response = signed_in.post("/settings/fbr", {**IMS, "fbr_token": TOKEN})

    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "FBR settings saved." in page and TOKEN not in page
    m = _merchant(registered)
    assert (m.fiscal_backend, m.fiscal_environment, m.default_pct_code, m.fbr_token) == (
        "ims_cloud",
        "sandbox",
        "62044200",
        TOKEN,
    )
    stored = _raw("merchants", registered.id)
    assert stored and TOKEN not in stored and stored.startswith("gAAAA")  # a Fernet token
    [entry] = _audits("settings.fbr")
    assert entry.actor_id == owner.id and entry.summary == "Updated the FBR settings (token added)"
    assert entry.after == {"fiscal_backend": "ims_cloud", "default_pct_code": "62044200", "token": "added"}
    assert TOKEN not in json.dumps([entry.summary, entry.before, entry.after])
    assert logged and not [line for line in logged if TOKEN in line]


def test_saved_token_is_never_shown_and_a_blank_field_keeps_it(signed_in, ims_on):
    page = signed_in.get("/settings/fbr").get_data(as_text=True)
    assert TOKEN not in page
    assert "A token is saved" in text_of(page, "fbr-token-state")
    assert 'value=""' in element(page, "field-fbr_token")

    assert signed_in.post("/settings/fbr", {**IMS, "fiscal_environment": "production"}).status_code == 200
    m = _merchant(ims_on)
    assert (m.fbr_token, m.fiscal_environment) == (TOKEN, "production")
    [entry] = _audits("settings.fbr")
    assert "token" not in entry.after


def test_new_token_replaces_and_the_checkbox_removes_the_saved_one(signed_in, ims_on):
    signed_in.post("/settings/fbr", {**IMS, "fbr_token": OWN})
    assert _merchant(ims_on).fbr_token == OWN
    signed_in.post("/settings/fbr", {**IMS, "remove_token": "y"})
    assert _merchant(ims_on).fbr_token is None and _raw("merchants", ims_on.id) is None
    changed, removed = _audits("settings.fbr")
    assert (changed.after["token"], removed.after) == ("changed", {"token": "removed"})
    page = signed_in.get("/settings/fbr").get_data(as_text=True)
    assert "No token saved" in text_of(page, "fbr-token-state") and 'name="remove_token"' not in page


def test_pct_code_typed_with_a_dot_is_saved_as_8_digits(signed_in, registered):
    signed_in.post("/settings/fbr", {**IMS, "default_pct_code": "9815.1000"})
    assert _merchant(registered).default_pct_code == "98151000"
    signed_in.post("/settings/fbr", {**IMS, "fiscal_backend": "off", "default_pct_code": ""})
    assert _merchant(registered).default_pct_code == ""


@pytest.mark.parametrize(
    "change, field, message",
    [
        ({"default_pct_code": "6204420"}, "default_pct_code", "A PCT code is 8 digits, e.g. 62044200 (no dot)."),
        ({"default_pct_code": "6204.42.001"}, "default_pct_code", "A PCT code is 8 digits"),
        ({"default_pct_code": "ABCDEFGH"}, "default_pct_code", "A PCT code is 8 digits"),
        ({"default_pct_code": ""}, "default_pct_code", "Enter a default PCT code to report to FBR"),
        ({"fiscal_backend": "ims_local"}, "fiscal_backend", "Not a valid choice"),
        ({"fiscal_environment": "staging"}, "fiscal_environment", "Not a valid choice"),
        ({"fbr_token": "two words"}, "fbr_token", "no spaces"),
        ({"fbr_token": TOKEN, "remove_token": "y"}, "fbr_token", "Type a new token or remove the saved one, not both."),
    ],
)
def test_bad_business_input_is_refused_beside_the_field(signed_in, registered, change, field, message):
    response = signed_in.post("/settings/fbr", {**IMS, **change})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert message in field_text(html, field)
    assert TOKEN not in html  # a refused token is not echoed back either
    m = _merchant(registered)
    assert (m.fiscal_backend, m.default_pct_code, m.fbr_token) == ("off", "", None)
    assert _audits("settings.fbr") == []


def test_ims_cannot_be_switched_on_without_an_ntn(browser, owner, merchant):
    browser.sign_in(owner)
    response = browser.post("/settings/fbr", {**IMS, "fbr_token": TOKEN})
    assert response.status_code == 422
    assert "Add your NTN in the Business profile first." in field_text(
        response.get_data(as_text=True), "fiscal_backend"
    )
    assert _merchant(merchant).fiscal_backend == "off"
    assert browser.post("/settings/fbr", {**IMS, "fiscal_backend": "off"}).status_code == 200


def test_merchant_token_counters_report_with_cannot_be_removed(signed_in, ims_on, counter):
    counter.fbr_enabled, counter.fbr_pos_id = True, 810001
    db.session.flush()
    response = signed_in.post("/settings/fbr", {**IMS, "remove_token": "y"})
    assert response.status_code == 422
    assert "Counter 1 at Gulberg report with this token" in field_text(response.get_data(as_text=True), "fbr_token")
    assert _merchant(ims_on).fbr_token == TOKEN


def test_business_form_over_htmx_answers_its_fragment_and_refreshes_the_counter_statuses(
    signed_in, registered, counter
):
    counter.fbr_enabled, counter.fbr_pos_id = True, 810001
    db.session.flush()
    saved = signed_in.post("/settings/fbr", {**IMS, "fbr_token": TOKEN}, htmx=True)
    assert saved.status_code == 200 and "HX-Request" in saved.headers["Vary"]
    html = saved.get_data(as_text=True)
    assert is_fragment(html) and html.lstrip().startswith('<form method="post" action="/settings/fbr"')
    status = element(html, f"fbr-status-{counter.id}")
    assert 'hx-swap-oob="true"' in status and "Reported to FBR (sandbox)" in text_of(html, f"fbr-status-{counter.id}")
    assert TOKEN not in html

    refused = signed_in.post("/settings/fbr", {**IMS, "default_pct_code": "1"}, htmx=True)
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    assert is_fragment(html) and "A PCT code is 8 digits" in field_text(html, "default_pct_code")
    assert element(html, f"fbr-status-{counter.id}") is None


# The counters


def test_owner_switches_a_counter_on_with_its_posid_and_the_business_token(signed_in, ims_on, counter, owner):
    response = signed_in.post(f"/settings/fbr/counters/{counter.id}", _row(counter), htmx=True)

    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert is_fragment(html) and html.lstrip().startswith(
        f'<form method="post" action="/settings/fbr/counters/{counter.id}"'
    )
    assert element(html, f"fbr-counter-{counter.id}") is not None
    assert "Reported to FBR (sandbox)" in text_of(html, f"fbr-status-{counter.id}")
    assert "FBR settings for Counter 1 at Gulberg saved." in text_of(html, "flashes")
    c = _counter(counter)
    assert (c.fbr_enabled, c.fbr_pos_id, c.fbr_token) == (True, 810001, None)
    [entry] = _audits("counter.fbr")
    assert (entry.actor_id, entry.branch_id, entry.target_id) == (owner.id, counter.branch_id, counter.id)
    assert entry.after == {"fbr_enabled": True, "fbr_pos_id": 810001}


def test_counter_form_works_without_javascript(signed_in, ims_on, counter):
    saved = signed_in.post(f"/settings/fbr/counters/{counter.id}", _row(counter))
    assert saved.status_code == 200
    page = saved.get_data(as_text=True)
    assert "<html" in page and element(page, "fbr-form") is not None
    assert 'value="810001"' in element(page, f"field-counter-{counter.id}-fbr_pos_id")

    refused = signed_in.post(f"/settings/fbr/counters/{counter.id}", _row(counter, fbr_pos_id="abc"))
    assert refused.status_code == 422
    page = refused.get_data(as_text=True)
    assert "<html" in page
    assert "A POSID is a number of 1 to 18 digits." in field_text(page, f"counter-{counter.id}-fbr_pos_id")


def test_counter_own_token_is_encrypted_kept_when_blank_and_removed_by_its_checkbox(signed_in, ims_on, counter):
    signed_in.post(f"/settings/fbr/counters/{counter.id}", _row(counter, fbr_token=OWN))
    assert _counter(counter).fbr_token == OWN
    stored = _raw("counters", counter.id)
    assert stored and OWN not in stored

    page = signed_in.get("/settings/fbr").get_data(as_text=True)
    assert OWN not in page and "Its own token is saved" in element(page, f"fbr-counter-{counter.id}")
    signed_in.post(f"/settings/fbr/counters/{counter.id}", _row(counter))
    assert _counter(counter).fbr_token == OWN
    signed_in.post(f"/settings/fbr/counters/{counter.id}", _row(counter, remove_token="y"))
    assert _counter(counter).fbr_token is None

    entries = _audits("counter.fbr")
    assert [e.after.get("token") for e in entries] == ["added", "removed"]
    assert OWN not in json.dumps([[e.summary, e.before, e.after] for e in entries])


def test_saving_the_same_row_twice_is_harmless(signed_in, ims_on, counter):
    for _ in range(2):
        assert signed_in.post(f"/settings/fbr/counters/{counter.id}", _row(counter), htmx=True).status_code == 200
    assert len(_audits("counter.fbr")) == 1
    assert _counter(counter).fbr_pos_id == 810001


@pytest.mark.parametrize(
    "values, field, message",
    [
        ({"fbr_pos_id": "abc"}, "fbr_pos_id", "A POSID is a number of 1 to 18 digits."),
        ({"fbr_pos_id": "1" * 19}, "fbr_pos_id", "A POSID is a number of 1 to 18 digits."),
        ({"fbr_pos_id": "-5"}, "fbr_pos_id", "A POSID is a number of 1 to 18 digits."),
        ({"fbr_pos_id": "000"}, "fbr_pos_id", "A POSID is a number from 1 to 18 digits, above 0."),
        ({"fbr_pos_id": ""}, "fbr_pos_id", "Enter the POSID FBR gave this counter to switch reporting on."),
        ({"fbr_token": "x y"}, "fbr_token", "no spaces"),
    ],
)
def test_bad_counter_input_is_refused_beside_the_field(signed_in, ims_on, counter, values, field, message):
    response = signed_in.post(f"/settings/fbr/counters/{counter.id}", _row(counter, **values), htmx=True)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert is_fragment(html) and element(html, f"fbr-counter-{counter.id}") is not None
    assert message in field_text(html, f"counter-{counter.id}-{field}")
    c = _counter(counter)
    assert (c.fbr_enabled, c.fbr_pos_id) == (False, None)
    assert _audits("counter.fbr") == []


def test_posid_another_counter_uses_is_refused_with_its_name(signed_in, ims_on, counter):
    dha = factories.BranchFactory(merchant=ims_on, name="DHA", code="DHA")
    factories.CounterFactory(branch=dha, name="Front desk", fbr_pos_id=810001)
    response = signed_in.post(f"/settings/fbr/counters/{counter.id}", _row(counter))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Front desk at DHA already uses POSID 810001." in field_text(html, f"counter-{counter.id}-fbr_pos_id")
    assert _counter(counter).fbr_pos_id is None


def test_counter_cannot_be_switched_on_without_any_token(signed_in, registered, counter):
    response = signed_in.post(f"/settings/fbr/counters/{counter.id}", _row(counter))
    assert response.status_code == 422
    assert "Add a token to switch reporting on" in field_text(
        response.get_data(as_text=True), f"counter-{counter.id}-fbr_token"
    )
    assert signed_in.post(f"/settings/fbr/counters/{counter.id}", _row(counter, fbr_token=OWN)).status_code == 200
    assert _counter(counter).fbr_enabled


def test_another_merchants_counter_is_not_found(signed_in, theirs_counter):
    response = signed_in.post(f"/settings/fbr/counters/{theirs_counter.id}", _row(theirs_counter, fbr_token=OWN))
    assert response.status_code == 404
    assert _counter(theirs_counter).fbr_pos_id is None and _counter(theirs_counter).fbr_token is None


@pytest.fixture
def theirs_counter(other_merchant):
    return factories.CounterFactory(branch=factories.BranchFactory(merchant=other_merchant), name="Their counter")


# Who may


def test_member_who_may_only_view_settings_sees_locked_forms_and_cannot_save(
    browser, owner, roles, cashier, ims_on, counter
):
    set_grant(db.session, Actor(owner), roles["Cashier"], Permission.PAGE_SETTINGS, Effect.ALLOWED)
    browser.sign_in(cashier)
    page = browser.get("/settings/fbr").get_data(as_text=True)
    assert "<fieldset disabled" in element(page, "fbr-form")
    assert "<fieldset disabled" in element(page, f"fbr-counter-{counter.id}")
    assert TOKEN not in page
    assert browser.post("/settings/fbr", {**IMS, "fiscal_backend": "off"}).status_code == 403
    assert browser.post(f"/settings/fbr/counters/{counter.id}", _row(counter)).status_code == 403
    assert _merchant(ims_on).fiscal_backend == "ims_cloud" and _counter(counter).fbr_pos_id is None


@pytest.mark.parametrize("role_name", ["Accountant", "Cashier", "Inventory"])
def test_roles_without_the_settings_page_cannot_open_or_change_fbr(browser, merchant, roles, counter, role_name):
    member = factories.UserFactory(merchant=merchant, role=roles[role_name], all_branches=True)
    browser.sign_in(member)
    assert browser.get("/settings/fbr").status_code == 403
    assert browser.post("/settings/fbr", IMS).status_code == 403
    assert browser.post(f"/settings/fbr/counters/{counter.id}", _row(counter, fbr_token=OWN)).status_code == 403
    assert _counter(counter).fbr_token is None


def test_counter_change_needing_approval_is_saved_once_a_supervisor_approves(
    browser, owner, roles, manager, cashier, ims_on, counter
):
    set_grant(db.session, Actor(owner), roles["Cashier"], Permission.PAGE_SETTINGS, Effect.ALLOWED)
    set_grant(db.session, Actor(owner), roles["Cashier"], Permission.EDIT_SETTINGS, Effect.NEEDS_APPROVAL)
    browser.sign_in(cashier)
    path = f"/settings/fbr/counters/{counter.id}"

    asked = browser.post(path, _row(counter), htmx=True)
    assert asked.status_code == 403 and asked.headers["X-Approval-Required"] == Permission.EDIT_SETTINGS.value
    assert _counter(counter).fbr_pos_id is None

    approval = {"approver_id": str(manager.id), "approver_pin": factories.PIN}
    assert browser.post(path, {**_row(counter), **approval}, htmx=True).status_code == 200
    assert _counter(counter).fbr_enabled
    [entry] = _audits("counter.fbr")
    assert entry.actor_id == cashier.id and entry.approver_id == manager.id
