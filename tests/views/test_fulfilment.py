"""The pick and pack screen: scanning counts the right items and refuses (with a beep) the wrong ones, Dispatch
records one dispatch however often it is sent, and the fulfilment workflow settings."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from ismartsync.extensions import db
from ismartsync.models import AuditEntry, Dispatch, MovementKind, StockMovement
from ismartsync.services.stock.ledger import level_of, record_movement
from tests import factories
from tests.fulfilment_fixtures import make_fulfilment_order


@pytest.fixture
def picking(merchant, branch):
    variant = factories.VariantFactory(product__merchant=merchant, product__title="Lawn suit")
    other = factories.VariantFactory(product__merchant=merchant, product__title="Silk scarf")
    record_movement(db.session, variant=variant, branch=branch, delta=5, kind=MovementKind.ADJUSTMENT)
    fo = make_fulfilment_order(branch, variant, quantity=2)
    db.session.commit()
    return fo, variant, other


def _picked(fo, count: int) -> dict[str, str]:
    return {f"picked-{line.id}": str(count) for line in fo.lines}


def test_the_pick_screen_lists_what_to_ship(browser, manager, picking):
    fo, _, _ = picking
    browser.sign_in(manager)

    body = browser.get(f"/fulfilment/orders/{fo.id}").get_data(as_text=True)

    assert fo.order.name in body and "Lawn suit" in body and "0 of 2" in body
    assert "COD" in body and 'id="dispatch-button"' in body and "disabled" in body


def test_a_right_scan_counts_one_and_answers_the_fragment(browser, manager, picking):
    fo, variant, _ = picking
    browser.sign_in(manager)

    response = browser.post(f"/fulfilment/orders/{fo.id}/scan", {"code": variant.barcode, **_picked(fo, 1)}, htmx=True)

    body = response.get_data(as_text=True)
    assert response.status_code == 200 and response.headers["HX-Trigger"] == "scan-hit"
    assert body.lstrip().startswith('<div id="pick-panel">') and "2 of 2" in body and "<html" not in body


@pytest.mark.parametrize("code", ["other", "unknown", "", "full"])
def test_a_wrong_scan_beeps_and_counts_nothing(browser, manager, picking, code):
    fo, variant, other = picking
    browser.sign_in(manager)
    sent = {"other": other.barcode, "unknown": "0000", "": "", "full": variant.barcode}[code]
    picked = _picked(fo, 2 if code == "full" else 0)

    response = browser.post(f"/fulfilment/orders/{fo.id}/scan", {"code": sent, **picked}, htmx=True)

    body = response.get_data(as_text=True)
    assert response.status_code == 422 and response.headers["HX-Trigger"] == "scan-miss"
    assert 'class="error"' in body and ("2 of 2" if code == "full" else "0 of 2") in body
    if code == "other":
        assert "Wrong item: Silk scarf" in body


def test_dispatch_needs_every_item_scanned(browser, manager, picking, branch):
    fo, variant, _ = picking
    browser.sign_in(manager)

    response = browser.post(
        f"/fulfilment/orders/{fo.id}/dispatch",
        {"key": "k", "courier": "TCS", "tracking_number": "TCS123", **_picked(fo, 1)},
        htmx=True,
    )

    assert response.status_code == 422 and "Scan every item first" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Dispatch)) == 0
    assert level_of(db.session, variant, branch) == 5


@pytest.mark.parametrize(
    ("courier", "tracking", "message"),
    [("TCS", "", "Type the tracking number"), ("DHL", "X1", "Not a valid choice"), ("TCS", "a b", "Type the tracking")],
)
def test_dispatch_refuses_a_missing_courier_or_tracking_number(browser, manager, picking, courier, tracking, message):
    fo, _, _ = picking
    browser.sign_in(manager)

    response = browser.post(
        f"/fulfilment/orders/{fo.id}/dispatch",
        {"key": "k", "courier": courier, "tracking_number": tracking, **_picked(fo, 2)},
        htmx=True,
    )

    assert response.status_code == 422 and message in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Dispatch)) == 0


def test_dispatch_twice_with_one_key_is_one_dispatch(browser, manager, picking, branch):
    fo, variant, _ = picking
    browser.sign_in(manager)
    form = {"key": "same-key", "courier": "TCS", "tracking_number": "TCS123456", **_picked(fo, 2)}

    first = browser.post(f"/fulfilment/orders/{fo.id}/dispatch", form)
    second = browser.post(f"/fulfilment/orders/{fo.id}/dispatch", form)

    assert first.status_code == second.status_code == 303
    (dispatch,) = db.session.scalars(sa.select(Dispatch)).all()
    assert (dispatch.courier, dispatch.tracking_number, dispatch.units) == ("TCS", "TCS123456", 2)
    assert dispatch.tracking_url == "https://www.tcsexpress.com/track/TCS123456"
    assert level_of(db.session, variant, branch) == 3
    kinds = db.session.scalars(sa.select(StockMovement.kind).where(StockMovement.delta < 0)).all()
    assert kinds == [MovementKind.FULFILMENT]
    page = browser.get(f"/fulfilment/orders/{fo.id}").get_data(as_text=True)
    assert "Nothing is left to dispatch" in page and "TCS123456" in page
    assert db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "online_order.dispatch")) is not None


@pytest.mark.parametrize("picked", [{"picked-abc": "1"}, {"picked-1": "99999999999999"}, {"picked-": "-1"}])
def test_nonsense_counts_are_ignored_not_a_500(browser, manager, picking, picked):
    fo, variant, _ = picking
    browser.sign_in(manager)

    response = browser.post(f"/fulfilment/orders/{fo.id}/scan", {"code": variant.barcode, **picked}, htmx=True)

    assert response.status_code == 200


def test_the_workflow_settings_are_saved_for_the_business_and_a_branch(browser, owner, branch, merchant):
    browser.sign_in(owner)

    response = browser.post(
        "/fulfilment/settings", {"workflow": "branch_sync", f"branch-{branch.id}": "manual"}, htmx=True
    )

    assert response.status_code == 200
    db.session.expire_all()
    assert (merchant.fulfilment_workflow, branch.fulfilment_workflow) == ("branch_sync", "manual")
    bad = browser.post("/fulfilment/settings", {"workflow": "teleport"}, htmx=True)
    assert bad.status_code == 422
    bad_branch = browser.post("/fulfilment/settings", {"workflow": "smart", f"branch-{branch.id}": "x"}, htmx=True)
    assert bad_branch.status_code == 422
    db.session.expire_all()
    assert branch.fulfilment_workflow == "manual"


def test_a_branch_on_branch_sync_has_no_dispatch(browser, manager, picking, branch):
    fo, _, _ = picking
    branch.fulfilment_workflow = "branch_sync"
    db.session.commit()
    browser.sign_in(manager)

    body = browser.get(f"/fulfilment/orders/{fo.id}").get_data(as_text=True)
    refused = browser.post(
        f"/fulfilment/orders/{fo.id}/dispatch",
        {"key": "k", "courier": "TCS", "tracking_number": "T1", **_picked(fo, 2)},
    )

    assert "Branch Sync" in body and 'id="dispatch-button"' not in body
    assert refused.status_code == 422


def test_a_dispatch_at_a_reported_branch_opens_one_fbr_invoice_of_what_left(browser, manager, picking, branch, counter):
    from ismartsync.models import FiscalDocument, InvoiceType, OnlineInvoice
    from tests.online_invoicing import report_online_orders

    fo, _, _ = picking
    factories.enable_fbr(branch.merchant, counter)
    report_online_orders(branch, counter)
    db.session.commit()
    browser.sign_in(manager)
    form = {"key": "invoiced", "courier": "TCS", "tracking_number": "TCS777", **_picked(fo, 2)}

    assert browser.post(f"/fulfilment/orders/{fo.id}/dispatch", form).status_code == 303
    assert browser.post(f"/fulfilment/orders/{fo.id}/dispatch", form).status_code == 303  # the same form again

    (invoice,) = db.session.scalars(sa.select(OnlineInvoice)).all()
    (document,) = db.session.scalars(sa.select(FiscalDocument).where(FiscalDocument.online_invoice_id == invoice.id))
    assert invoice.order_id == fo.order_id and document.pos_id == counter.fbr_pos_id
    assert document.invoice_type == InvoiceType.SALE
    assert sum(line.quantity for line in invoice.lines) == 2


def test_a_dispatch_at_a_branch_nobody_reports_opens_no_invoice(browser, manager, picking):
    from ismartsync.models import OnlineInvoice

    fo, _, _ = picking
    browser.sign_in(manager)
    form = {"key": "unreported", "courier": "TCS", "tracking_number": "TCS778", **_picked(fo, 2)}

    assert browser.post(f"/fulfilment/orders/{fo.id}/dispatch", form).status_code == 303
    assert db.session.scalars(sa.select(OnlineInvoice)).all() == []
