"""FBR settings: which token a counter reports with, whether it reports at all, and the rules for changing them."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from ismartsync.errors import DomainError
from ismartsync.extensions import db
from ismartsync.models import AuditEntry
from ismartsync.services.audit import Actor
from ismartsync.services.fiscal import settings as fiscal_settings
from ismartsync.services.fiscal.settings import (
    counter_reports_to_fbr,
    fbr_status,
    normalise_pct_code,
    token_for,
    update_counter_fbr,
    update_fbr_settings,
)
from tests import factories

TOKEN = "1298b5eb-b252-3d97-8622-a4a69d5bf818"
OWN = "c0ffee00-aaaa-bbbb-cccc-0123456789ab"


@pytest.fixture
def registered(merchant):
    merchant.ntn = "1234567-8"
    db.session.flush()
    return merchant


def _audits(action: str) -> list[AuditEntry]:
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)))


def _ims_on(merchant, token: str | None = TOKEN) -> None:
    merchant.fiscal_backend = "ims_cloud"
    merchant.fbr_token = token
    db.session.flush()


def test_counter_reports_with_its_own_token_else_the_merchants(merchant, counter):
    assert token_for(merchant, counter) is None
    merchant.fbr_token = TOKEN
    assert token_for(merchant, counter) == TOKEN
    counter.fbr_token = OWN
    assert token_for(merchant, counter) == OWN


@pytest.mark.parametrize(
    "backend, enabled, pos_id, merchant_token, own_token, reports",
    [
        ("ims_cloud", True, 810001, TOKEN, None, True),
        ("ims_cloud", True, 810001, None, OWN, True),
        ("off", True, 810001, TOKEN, OWN, False),
        ("ims_cloud", False, 810001, TOKEN, None, False),
        ("ims_cloud", True, None, TOKEN, None, False),
        ("ims_cloud", True, 810001, None, None, False),
    ],
)
def test_counter_reports_only_with_backend_switch_posid_and_a_token(
    merchant, counter, backend, enabled, pos_id, merchant_token, own_token, reports
):
    merchant.fiscal_backend, merchant.fbr_token = backend, merchant_token
    counter.fbr_enabled, counter.fbr_pos_id, counter.fbr_token = enabled, pos_id, own_token
    assert counter_reports_to_fbr(merchant, counter) is reports
    assert fbr_status(merchant, counter).startswith("Reported") is reports


@pytest.mark.parametrize("typed, saved", [("9815.1000", "98151000"), (" 6204 4200 ", "62044200"), ("", "")])
def test_pct_code_typed_as_the_tariff_prints_it_is_saved_as_8_digits(typed, saved):
    assert normalise_pct_code(typed) == saved


def test_ims_on_needs_the_ntn_first(merchant, owner):
    with pytest.raises(DomainError) as refused:
        update_fbr_settings(
            db.session,
            Actor(owner),
            merchant,
            fiscal_backend="ims_cloud",
            fiscal_environment="sandbox",
            default_pct_code="",
        )
    assert (refused.value.field, refused.value.message) == (
        "fiscal_backend",
        "Add your NTN in the Business profile first.",
    )
    assert merchant.fiscal_backend == "off"


def test_saving_the_same_settings_again_changes_and_audits_nothing(registered, owner):
    values = {"fiscal_backend": "ims_cloud", "fiscal_environment": "sandbox", "default_pct_code": "62044200"}
    update_fbr_settings(db.session, Actor(owner), registered, **values, new_token=TOKEN)
    update_fbr_settings(db.session, Actor(owner), registered, **values, new_token=TOKEN)
    update_fbr_settings(db.session, Actor(owner), registered, **values)
    [entry] = _audits("settings.fbr")
    assert entry.after == {
        "fiscal_backend": "ims_cloud",
        "default_pct_code": "62044200",
        "token": "added",
    }
    assert entry.before == {"fiscal_backend": "off", "default_pct_code": "", "token": "none"}
    assert registered.fbr_token == TOKEN


def test_token_pasted_with_its_bearer_prefix_is_saved_without_it(registered, owner):
    update_fbr_settings(
        db.session,
        Actor(owner),
        registered,
        fiscal_backend="ims_cloud",
        fiscal_environment="sandbox",
        default_pct_code="62044200",
        new_token=f"Bearer {TOKEN}",
    )
    assert registered.fbr_token == TOKEN


def test_reporting_cannot_be_switched_on_without_a_default_pct_code(registered, owner):
    with pytest.raises(DomainError) as refused:
        update_fbr_settings(
            db.session,
            Actor(owner),
            registered,
            fiscal_backend="ims_cloud",
            fiscal_environment="sandbox",
            default_pct_code=" ",
            new_token=TOKEN,
        )
    assert refused.value.field == "default_pct_code"
    assert refused.value.message.startswith("Enter a default PCT code to report to FBR")
    assert (registered.fiscal_backend, registered.fbr_token) == ("off", None)


def test_merchant_token_a_counter_reports_with_cannot_be_removed(registered, owner, counter):
    def remove_business_token() -> None:
        update_fbr_settings(
            db.session,
            Actor(owner),
            registered,
            fiscal_backend="ims_cloud",
            fiscal_environment="sandbox",
            default_pct_code="62044200",
            remove_token=True,
        )

    _ims_on(registered)
    update_counter_fbr(db.session, Actor(owner), counter, enabled=True, pos_id=810001)
    with pytest.raises(DomainError) as refused:
        remove_business_token()
    assert refused.value.field == "fbr_token"
    assert "Counter 1 at Gulberg report with this token" in refused.value.message

    update_counter_fbr(db.session, Actor(owner), counter, enabled=True, pos_id=810001, new_token=OWN)
    remove_business_token()
    assert registered.fbr_token is None and counter_reports_to_fbr(registered, counter)


def test_posid_is_unique_among_the_merchants_counters_but_not_across_merchants(registered, owner, counter, outsider):
    _ims_on(registered)
    other_branch = factories.BranchFactory(merchant=registered, name="DHA", code="DHA")
    taken = factories.CounterFactory(branch=other_branch, name="Front desk", fbr_pos_id=810001)
    with pytest.raises(DomainError) as refused:
        update_counter_fbr(db.session, Actor(owner), counter, enabled=True, pos_id=810001)
    assert (refused.value.field, refused.value.message) == (
        "fbr_pos_id",
        "Front desk at DHA already uses POSID 810001.",
    )

    theirs = factories.CounterFactory(branch=factories.BranchFactory(merchant=outsider.merchant))
    update_counter_fbr(db.session, Actor(outsider), theirs, enabled=False, pos_id=810002)
    update_counter_fbr(db.session, Actor(owner), counter, enabled=True, pos_id=810002)
    assert (counter.fbr_pos_id, theirs.fbr_pos_id, taken.fbr_pos_id) == (810002, 810002, 810001)


def test_posid_taken_between_the_check_and_the_write_is_the_same_refusal(registered, owner, counter, monkeypatch):
    """Two saves at once: the database's unique constraint answers like the check does, not with a 500."""
    _ims_on(registered)
    factories.CounterFactory(branch=counter.branch, name="Counter 2", fbr_pos_id=810001)
    monkeypatch.setattr(fiscal_settings, "_check_counter_settings", lambda *args: None)
    with pytest.raises(DomainError) as refused:
        update_counter_fbr(db.session, Actor(owner), counter, enabled=True, pos_id=810001)
    assert refused.value.field == "fbr_pos_id"
    assert "already uses POSID 810001" in refused.value.message


@pytest.mark.parametrize(
    "change, field, message",
    [
        ({"pos_id": None}, "fbr_pos_id", "Enter the POSID FBR gave this counter"),
        ({"pos_id": 0}, "fbr_pos_id", "A POSID is a number from 1 to 18 digits"),
        ({"pos_id": 10**18}, "fbr_pos_id", "A POSID is a number from 1 to 18 digits"),
        ({"new_token": "has spaces in it"}, "fbr_token", "no spaces"),
        ({"new_token": OWN, "remove_token": True}, "fbr_token", "not both"),
    ],
)
def test_counter_settings_refused_beside_their_field(registered, owner, counter, change, field, message):
    _ims_on(registered)
    with pytest.raises(DomainError) as refused:
        update_counter_fbr(db.session, Actor(owner), counter, **{"enabled": True, "pos_id": 810001, **change})
    assert refused.value.field == field and message in refused.value.message
    assert _audits("counter.fbr") == []


def test_switching_a_counter_on_needs_a_token_somewhere(registered, owner, counter):
    with pytest.raises(DomainError) as refused:
        update_counter_fbr(db.session, Actor(owner), counter, enabled=True, pos_id=810001)
    assert refused.value.field == "fbr_token"
    update_counter_fbr(db.session, Actor(owner), counter, enabled=False, pos_id=810001)  # prepared, but off
    assert counter.fbr_pos_id == 810001 and not counter.fbr_enabled


def test_counter_change_is_audited_at_its_branch_with_token_events_only(registered, owner, counter):
    _ims_on(registered)
    update_counter_fbr(db.session, Actor(owner), counter, enabled=True, pos_id=810001, new_token=OWN)
    update_counter_fbr(db.session, Actor(owner), counter, enabled=True, pos_id=810001, new_token=OWN)  # again
    update_counter_fbr(db.session, Actor(owner), counter, enabled=True, pos_id=810001, remove_token=True)
    first, removed = _audits("counter.fbr")
    assert first.branch_id == counter.branch_id and first.target_id == counter.id
    assert first.after == {"fbr_enabled": True, "fbr_pos_id": 810001, "token": "added"}
    assert first.summary == "Updated FBR for Counter 1 at Gulberg (token added)"
    assert (removed.before, removed.after) == ({"token": "saved"}, {"token": "removed"})
    assert OWN not in repr([(e.summary, e.before, e.after) for e in (first, removed)])
