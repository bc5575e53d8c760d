"""The thermal receipt's FBR part: the POSID, then the number with its QR, the FBR POS mark and the sentence, or
"FBR number pending" and none of them; nothing of FBR at a counter that does not report."""

from __future__ import annotations

import pytest

from ismartsync.documents.qr import fbr_qr_svg
from ismartsync.extensions import db
from tests import factories
from tests.documents.fixtures import FBR_NUMBER, LONGEST_FBR_NUMBER, fiscal_of, report
from tests.markup import element, text, text_of
from tests.selling import open_till, sell

VERIFY = "Verify this invoice through FBR TaxAsaan MobileApp or SMS at 9966 and win exciting prizes in draw"
MARK = "/static/img/fbr-pos-mark."  # fingerprinted: /static/img/fbr-pos-mark.<hash>.svg


@pytest.fixture
def signed_in(browser, manager):
    browser.sign_in(manager)
    return browser


def _receipt(browser, sale, paper: str = "80") -> str:
    response = browser.get(f"/sales/{sale.id}/receipt?paper={paper}")
    assert response.status_code == 200
    return element(response.get_data(as_text=True), "receipt") or ""


@pytest.mark.parametrize("paper", ["80", "58"])
def test_a_reported_sale_prints_its_fbr_number_qr_mark_and_the_sentence(signed_in, sale, paper):
    report(sale)
    receipt = _receipt(signed_in, sale, paper)
    assert "POSID 810001" in text_of(receipt, "receipt").split("Sale no.")[0]  # in the business block
    fbr = element(receipt, "receipt-fbr") or ""
    assert text(fbr) == f"FBR invoice number {FBR_NUMBER} {VERIFY}"
    assert str(fbr_qr_svg(FBR_NUMBER)) in fbr  # the QR of the number, and only of the number
    assert f'src="{MARK}' in fbr
    assert "pending" not in text(receipt)


@pytest.mark.parametrize("paper", ["80", "58"])
def test_the_longest_fbr_number_prints_with_its_qr(signed_in, sale, paper):
    report(sale, LONGEST_FBR_NUMBER)  # 30 characters with lowercase letters: a version-3 QR code
    fbr = element(_receipt(signed_in, sale, paper), "receipt-fbr") or ""
    assert LONGEST_FBR_NUMBER in text(fbr) and str(fbr_qr_svg(LONGEST_FBR_NUMBER)) in fbr


def test_before_fbr_answers_the_receipt_says_pending_without_qr_or_mark(signed_in, sale):
    receipt = _receipt(signed_in, sale)
    fbr = element(receipt, "receipt-fbr") or ""
    assert text(fbr) == "FBR number pending"
    assert "fbr-qr" not in receipt and MARK not in receipt and VERIFY not in receipt  # the receipt code stays
    assert "POSID 810001" in text(receipt)


def test_an_offline_receipt_says_so_and_keeps_the_mark_once_numbered(signed_in, sale):
    fiscal = fiscal_of(sale)
    fiscal.offline_issued = True
    db.session.commit()
    assert text_of(_receipt(signed_in, sale), "receipt-fbr") == "Issued in offline mode – FBR number pending"

    report(sale, offline=True)
    fbr = text_of(_receipt(signed_in, sale), "receipt-fbr")
    assert fbr == f"FBR invoice number {FBR_NUMBER} {VERIFY} Issued in offline mode"


def test_a_reprint_after_fbr_answers_shows_the_number(signed_in, sale):
    assert FBR_NUMBER not in _receipt(signed_in, sale)
    report(sale)
    assert FBR_NUMBER in _receipt(signed_in, sale)


def test_a_counter_that_does_not_report_prints_nothing_of_fbr(signed_in, seller, manager, branch, items):
    other = factories.CounterFactory(branch=branch, name="Counter 2")
    placed = sell(open_till(manager, manager, other), other, items[2])
    db.session.commit()
    receipt = _receipt(signed_in, placed)
    assert 'id="receipt-fbr"' not in receipt
    assert "FBR" not in text(receipt).replace("POS service fee", "") and "POSID" not in receipt
    assert placed.usin in text(receipt)


def test_the_receipt_after_checkout_carries_the_fbr_part_too(browser, cashier, sale):
    report(sale)
    browser.sign_in(cashier)
    page = browser.get(f"/counter/sales/{sale.id}").get_data(as_text=True)
    assert FBR_NUMBER in text_of(page, "receipt-fbr")
