"""FBR reporting: a branch's reports with their attempts; sending again and settling by hand, by permission."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from ismartsync.extensions import db
from ismartsync.models import AuditEntry, FiscalDocument, Role, RoleGrant
from ismartsync.models.base import utcnow
from ismartsync.pipelines.fbr_report import report_after_checkout
from ismartsync.services.audit import Actor
from ismartsync.services.fiscal import documents as fiscal
from tests import factories
from tests.markup import text_of
from tests.selling import open_till, sell, stock_items


@pytest.fixture
def till(merchant, branch, counter, manager, cashier, fbr) -> tuple[Actor, list]:
    factories.enable_fbr(merchant, counter)
    return open_till(manager, cashier, counter), stock_items(merchant, branch)


def sold_and_reported(till, counter) -> FiscalDocument:
    actor, items = till
    sale = sell(actor, counter, *items[:2])
    db.session.commit()
    document = fiscal.document_of_sale(db.session, sale.id)
    report_after_checkout(db.session, document.id)
    return reload(document)


@pytest.fixture
def reported(till, counter) -> FiscalDocument:
    """A sale at an FBR counter that FBR numbered."""
    return sold_and_reported(till, counter)


@pytest.fixture
def unknown(reported, till, counter, fbr) -> FiscalDocument:
    """A second sale whose report timed out after FBR recorded it."""
    fbr.control("POST", "/faults", {"mode": "timeout_after_record", "delay_ms": 1500})
    return sold_and_reported(till, counter)


def reload(document: FiscalDocument) -> FiscalDocument:
    db.session.expire_all()
    return db.session.get(FiscalDocument, document.id)


def test_fbr_reporting_lists_the_branchs_reports_with_counts(browser, manager, reported, unknown):
    browser.sign_in(manager)

    response = browser.get("/fiscal")

    assert response.status_code == 200
    text = text_of(response.get_data(as_text=True), "fiscal-list")
    assert reported.usin in text and reported.fbr_number in text and unknown.usin in text
    assert "1 Reported" in text and "1 Needs checking" in text
    only_open = text_of(browser.get("/fiscal?status=open").get_data(as_text=True), "fiscal-list")
    assert unknown.usin in only_open and reported.usin not in only_open


def test_the_list_answers_htmx_with_its_fragment(browser, manager, reported):
    browser.sign_in(manager)

    response = browser.get(f"/fiscal?q={reported.fbr_number[-6:]}", headers={"HX-Request": "true"})

    body = response.get_data(as_text=True)
    assert body.lstrip().startswith('<div id="fbr-reporting"') and "<html" not in body
    assert "HX-Request" in response.headers["Vary"]
    assert reported.usin in body


def test_reports_open_for_12_hours_raise_a_banner(browser, manager, unknown):
    unknown.created_at = utcnow() - timedelta(hours=13)
    db.session.commit()
    browser.sign_in(manager)

    text = text_of(browser.get("/fiscal").get_data(as_text=True), "fiscal-overdue")

    assert "1 sale has had no FBR number for more than 12 hours" in text


def test_a_report_shows_its_request_and_every_attempt(browser, manager, unknown):
    browser.sign_in(manager)

    html = browser.get(f"/fiscal/{unknown.id}").get_data(as_text=True)

    assert f'"USIN": "{unknown.usin}"' in text_of(html, "fiscal-request")
    attempts = text_of(html, "fiscal-attempts")
    assert "Counter" in attempts and "No answer in time" in attempts and "did not answer in time" in attempts
    assert "FBR may already have it" in text_of(html, "fiscal-actions")


def test_sending_an_unknown_one_again_gets_the_number_fbr_recorded(browser, manager, unknown, fbr):
    browser.sign_in(manager)

    response = browser.post(f"/fiscal/{unknown.id}/send", htmx=True)

    assert response.status_code == 200
    document = reload(unknown)
    assert document.status == "reported"
    assert f"FBR answered: invoice number {document.fbr_number}" in response.get_data(as_text=True)
    assert len(fbr.control("GET", "/invoices")["invoices"]) == 2  # one per USIN, the resend added none
    assert db.session.scalars(select(AuditEntry).where(AuditEntry.action == "fiscal.send_again")).one()


def test_settling_needs_a_real_number_beside_the_field(browser, manager, unknown):
    browser.sign_in(manager)

    response = browser.post(f"/fiscal/{unknown.id}/settle", {"fbr_number": "abc"}, htmx=True)

    assert response.status_code == 422
    assert "Type the FBR number exactly as FBR shows it" in text_of(response.get_data(as_text=True), "field-fbr_number")
    assert reload(unknown).status == "unknown"


def test_settling_with_the_number_from_iris_reports_it(browser, manager, unknown, fbr):
    number = fbr.control("GET", "/invoices")["invoices"][-1]["InvoiceNumber"]
    browser.sign_in(manager)

    response = browser.post(f"/fiscal/{unknown.id}/settle", {"fbr_number": number, "note": "IRIS, 3 Dec"})

    assert response.status_code == 200
    document = reload(unknown)
    assert (document.status, document.fbr_number, document.resolution_note) == ("reported", number, "IRIS, 3 Dec")


def test_a_reported_one_offers_no_actions_and_refuses_them(browser, manager, reported):
    browser.sign_in(manager)

    assert 'id="fiscal-actions"' not in browser.get(f"/fiscal/{reported.id}").get_data(as_text=True)
    response = browser.post(f"/fiscal/{reported.id}/send", htmx=True)
    assert response.status_code == 422 and "FBR already has this invoice" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("role", "may_see", "may_act"),
    [("Cashier", False, False), ("Inventory", False, False), ("Accountant", True, True), ("Manager", True, True)],
)
def test_who_may_see_and_act(browser, merchant, roles, branch, unknown, role, may_see, may_act):
    member = factories.UserFactory(merchant=merchant, role=roles[role], branches=[branch])
    browser.sign_in(member)

    assert browser.get("/fiscal").status_code == (200 if may_see else 403)
    assert browser.get(f"/fiscal/{unknown.id}").status_code == (200 if may_see else 403)
    settle = browser.post(f"/fiscal/{unknown.id}/settle", {"fbr_number": "ZZ1234567890"})
    assert settle.status_code == (200 if may_act else 403)
    assert (reload(unknown).status == "reported") is may_act


def test_a_role_that_may_look_but_not_resolve_gets_403(browser, merchant, branch, unknown):
    role = Role(merchant=merchant, name="Auditor", grants=[RoleGrant(permission="page.reports", effect="allowed")])
    db.session.add(role)
    member = factories.UserFactory(merchant=merchant, role=role, branches=[branch])
    browser.sign_in(member)

    assert browser.get(f"/fiscal/{unknown.id}").status_code == 200
    assert browser.post(f"/fiscal/{unknown.id}/send").status_code == 403
    assert reload(unknown).status == "unknown"


def test_another_branchs_reports_are_a_404(browser, merchant, roles, unknown):
    elsewhere = factories.BranchFactory(merchant=merchant, name="DHA", code="DHA")
    member = factories.UserFactory(merchant=merchant, role=roles["Accountant"], branches=[elsewhere])
    browser.sign_in(member)

    assert browser.get(f"/fiscal/{unknown.id}").status_code == 404
    assert browser.get(f"/fiscal?branch={unknown.sale.branch_id}").status_code == 404
    assert browser.post(f"/fiscal/{unknown.id}/settle", {"fbr_number": "ZZ1234567890"}).status_code == 404


def test_every_branch_shows_by_default_and_one_branch_adds_its_counters(browser, manager, unknown, counter, branch):
    browser.sign_in(manager)

    every = browser.get("/fiscal").get_data(as_text=True)
    one = browser.get(f"/fiscal?branch={branch.id}&counter={counter.id}").get_data(as_text=True)

    assert 'id="f-counter"' not in every and f"{branch.name} · {counter.name}" in text_of(every, "fiscal-list")
    assert 'id="f-counter"' in one and unknown.usin in text_of(one, "fiscal-list")


def test_the_dashboard_warns_whoever_may_look_at_reports_open_12_hours(browser, manager, cashier, unknown):
    unknown.created_at = utcnow() - timedelta(hours=13)
    db.session.commit()

    browser.sign_in(manager)
    warned = text_of(browser.get("/").get_data(as_text=True), "fbr-overdue")
    assert "1 sale has had no FBR number for more than 12 hours" in warned
    browser.post("/sign-out")
    browser.sign_in(cashier)
    assert 'id="fbr-overdue"' not in browser.get("/").get_data(as_text=True)


def test_the_sale_page_shows_its_fbr_report_and_leads_to_it(browser, manager, unknown, reported):
    browser.sign_in(manager)

    done = text_of(browser.get(f"/sales/{reported.sale_id}").get_data(as_text=True), "sale-fiscal")
    waiting = browser.get(f"/sales/{unknown.sale_id}").get_data(as_text=True)

    assert f"Invoice number {reported.fbr_number}" in done and "Reported" in done
    assert "FBR number pending" in text_of(waiting, "sale-fiscal") and "issued in offline mode" in waiting
    assert f'href="/fiscal/{unknown.id}"' in waiting


def test_a_sale_at_a_counter_that_does_not_report_says_so(browser, manager, merchant, branch, cashier):
    other = factories.CounterFactory(branch=branch, name="Gift wrap")
    sale = sell(open_till(manager, cashier, other), other, *stock_items(merchant, branch)[:1])
    db.session.commit()
    browser.sign_in(manager)

    text = text_of(browser.get(f"/sales/{sale.id}").get_data(as_text=True), "sale-fiscal")

    assert "Not reported: Gift wrap does not report to FBR" in text


def test_a_refusal_shows_fbrs_own_words_escaped(browser, manager, till, counter, fbr):
    said = {"Message": "The request is invalid.", "ModelState": {"invoice.BuyerName": ["<b>too long</b>"]}}
    fbr.control("POST", "/faults", {"mode": "down", "status": 400, "body": said})
    document = sold_and_reported(till, counter)
    browser.sign_in(manager)

    page = browser.get(f"/fiscal/{document.id}").get_data(as_text=True)

    words = "FBR refused the request (HTTP 400): The request is invalid.; invoice.BuyerName: <b>too long</b>"
    assert document.status == "rejected" and words in text_of(page, "fiscal-facts")
    assert "&lt;b&gt;too long&lt;/b&gt;" in page and "<b>too long</b>" not in page
    assert words in text_of(page, "fiscal-attempts")
