"""Staff members: inviting, editing access, deactivating and reactivating."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from ismartsync.extensions import db
from ismartsync.models import OutgoingEmail, User
from tests import factories
from tests.markup import element, field_text, is_fragment, text, text_of


def _user(email: str) -> User | None:
    db.session.expire_all()
    return db.session.scalar(select(User).where(User.email == email))


def _fresh(user: User) -> User:
    db.session.expire_all()
    return db.session.get(User, user.id)


@pytest.fixture
def invite_form(roles, branch) -> dict[str, object]:
    return {
        "full_name": "Zara Malik",
        "email": "Zara@Example.pk",
        "role_id": str(roles["Cashier"].id),
        "branch_ids": [str(branch.id)],
    }


@pytest.fixture
def signed_in(browser, owner):
    browser.sign_in(owner)
    return browser


def test_invite_creates_the_member_and_emails_a_link(signed_in, invite_form, branch):
    response = signed_in.post("/staff/invite", invite_form)
    assert response.status_code == 303 and response.headers["Location"] == "/staff"
    zara = _user("zara@example.pk")
    assert zara.role.name == "Cashier" and [b.id for b in zara.branches] == [branch.id]
    assert not zara.has_accepted_invite
    [email] = db.session.scalars(select(OutgoingEmail).where(OutgoingEmail.to_address == "zara@example.pk"))
    assert "http://localhost/invite/" in email.body_text
    members = signed_in.get("/staff").get_data(as_text=True)
    assert "Invitation sent to zara@example.pk. The link works for 72 hours." in text(members)
    assert "Zara Malik" in text_of(members, "main") and "Invited" in text_of(members, "main")


def test_invite_over_htmx_redirects_the_page(signed_in, invite_form):
    response = signed_in.post("/staff/invite", invite_form, htmx=True)
    assert response.status_code == 204 and response.headers["HX-Redirect"] == "/staff"


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("email", "zara-at-example", "Invalid email address"),
        ("full_name", "", "This field is required."),
        ("branch_ids", [], "Choose at least one branch, or every branch."),
    ],
)
@pytest.mark.parametrize("htmx", [False, True], ids=["page", "htmx"])
def test_bad_invite_shows_the_message_beside_the_field(signed_in, invite_form, field, value, message, htmx):
    response = signed_in.post("/staff/invite", {**invite_form, field: value}, htmx=htmx)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert message in field_text(html, field)
    assert is_fragment(html) is htmx and element(html, "invite-form") is not None
    assert _user("zara@example.pk") is None


def test_invite_of_someone_already_a_member_is_refused(signed_in, invite_form, cashier):
    response = signed_in.post("/staff/invite", {**invite_form, "email": cashier.email.upper()})
    assert response.status_code == 422
    assert "already a member" in field_text(response.get_data(as_text=True), "email")


def test_invite_to_every_branch_needs_no_branch_ticked(signed_in, invite_form):
    assert signed_in.post("/staff/invite", {**invite_form, "branch_ids": [], "all_branches": "y"}).status_code == 303
    assert _user("zara@example.pk").all_branches


def test_manager_cannot_invite_an_owner(browser, manager, invite_form, roles):
    browser.sign_in(manager)
    response = browser.post("/staff/invite", {**invite_form, "role_id": str(roles["Owner"].id)})
    assert response.status_code == 422
    assert "Only an owner can make someone an owner." in field_text(response.get_data(as_text=True), "role_id")
    assert _user("zara@example.pk") is None


def test_cashier_cannot_invite(browser, cashier, invite_form):
    browser.sign_in(cashier)
    assert browser.post("/staff/invite", invite_form).status_code == 403
    assert _user("zara@example.pk") is None


def test_resending_an_invitation_sends_a_new_link(signed_in, merchant, roles):
    invited = factories.UserFactory(merchant=merchant, password_hash=None, email="late@example.pk")
    response = signed_in.post(f"/staff/{invited.id}/resend-invite")
    assert response.headers["Location"] == f"/staff/{invited.id}"
    assert db.session.query(OutgoingEmail).filter_by(to_address="late@example.pk").count() == 1


def test_no_invitation_is_resent_to_a_member_who_joined(signed_in, cashier):
    signed_in.post(f"/staff/{cashier.id}/resend-invite")
    assert db.session.query(OutgoingEmail).filter_by(to_address=cashier.email).count() == 0
    page = signed_in.get(f"/staff/{cashier.id}").get_data(as_text=True)
    assert "This member has already set a password." in text_of(page, "flashes")


# Editing a member


def test_owner_changes_a_members_role_and_branches(signed_in, merchant, roles, cashier):
    dha = factories.BranchFactory(merchant=merchant, name="DHA", code="DHA")
    data = {"full_name": "Sana Iqbal", "role_id": str(roles["Manager"].id), "branch_ids": [str(dha.id)]}
    response = signed_in.post(f"/staff/{cashier.id}", data)
    assert response.status_code == 200
    sana = _fresh(cashier)
    assert sana.role.name == "Manager" and [b.code for b in sana.branches] == ["DHA"]


def test_counters_outside_the_members_branches_are_dropped(signed_in, merchant, roles, branch, counter, cashier):
    elsewhere = factories.CounterFactory(branch=factories.BranchFactory(merchant=merchant, code="DHA"))
    data = {
        "full_name": "Sana Iqbal",
        "role_id": str(roles["Cashier"].id),
        "branch_ids": [str(branch.id)],
        "counter_ids": [str(counter.id), str(elsewhere.id)],
    }
    signed_in.post(f"/staff/{cashier.id}", data)
    assert [c.id for c in _fresh(cashier).counters] == [counter.id]


def test_bad_member_edit_over_htmx_returns_only_the_form(signed_in, roles, cashier):
    data = {"full_name": "", "role_id": str(roles["Cashier"].id), "all_branches": "y"}
    response = signed_in.post(f"/staff/{cashier.id}", data, htmx=True)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert is_fragment(html) and "This field is required." in field_text(html, "full_name")


def test_owner_cannot_drop_their_own_owner_role(signed_in, owner, roles):
    data = {"full_name": owner.full_name, "role_id": str(roles["Manager"].id), "all_branches": "y"}
    response = signed_in.post(f"/staff/{owner.id}", data)
    assert response.status_code == 422
    assert "You cannot remove your own Owner role." in field_text(response.get_data(as_text=True), "role_id")
    assert _fresh(owner).role.is_owner


def test_accountant_sees_no_staff_pages(browser, merchant, roles, cashier):
    accountant = factories.UserFactory(merchant=merchant, role=roles["Accountant"], all_branches=True)
    browser.sign_in(accountant)
    assert browser.get(f"/staff/{cashier.id}").status_code == 403


# Deactivation


def test_deactivated_member_is_signed_out_and_cannot_sign_in(signed_in, make_browser, manager):
    elsewhere = make_browser()
    elsewhere.sign_in(manager)
    assert elsewhere.get("/staff").status_code == 200
    response = signed_in.post(f"/staff/{manager.id}/deactivate")
    assert response.headers["Location"] == f"/staff/{manager.id}"
    assert "Bilal Ahmed is deactivated and signed out." in text(signed_in.get("/staff").get_data(as_text=True))
    assert elsewhere.get("/staff").headers["Location"].startswith("/sign-in")
    refused = elsewhere.post("/sign-in", {"email": manager.email, "password": factories.PASSWORD})
    assert refused.status_code == 401


def test_deactivated_member_leaves_the_pin_pad(signed_in, make_browser, manager, counter, cashier):
    tablet = make_browser()
    tablet.sign_in(manager)
    tablet.post(f"/device/pair/{counter.id}", {"label": "Front"})
    tablet.post("/sign-out")
    tablet.post(f"/device/pin/{cashier.id}", {"pin": factories.PIN})
    signed_in.post(f"/staff/{cashier.id}/deactivate")
    assert tablet.get("/").headers["Location"] == "/device/pin"
    assert "Sana Iqbal" not in tablet.get("/device/pin").get_data(as_text=True)
    assert tablet.post(f"/device/pin/{cashier.id}", {"pin": factories.PIN}).status_code == 404


def test_reactivated_member_can_sign_in_again(signed_in, make_browser, manager):
    signed_in.post(f"/staff/{manager.id}/deactivate")
    signed_in.post(f"/staff/{manager.id}/reactivate")
    assert _fresh(manager).active
    make_browser().sign_in(manager)


def test_owner_cannot_deactivate_themselves(signed_in, owner):
    signed_in.post(f"/staff/{owner.id}/deactivate")
    assert _fresh(owner).active
    page = signed_in.get(f"/staff/{owner.id}").get_data(as_text=True)
    assert "You cannot deactivate yourself." in text_of(page, "flashes")


def test_manager_cannot_deactivate_an_owner(browser, manager, owner):
    browser.sign_in(manager)
    browser.post(f"/staff/{owner.id}/deactivate")
    assert _fresh(owner).active
    page = browser.get(f"/staff/{owner.id}").get_data(as_text=True)
    assert "Only an owner can deactivate an owner." in text_of(page, "flashes")


def test_cashier_cannot_deactivate_anyone(browser, cashier, manager):
    browser.sign_in(cashier)
    assert browser.post(f"/staff/{manager.id}/deactivate").status_code == 403
    assert _fresh(manager).active
