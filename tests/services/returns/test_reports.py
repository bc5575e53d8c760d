"""Where returns show: the Sales list's statuses and filters, the X report's drawer equation and refunds per tender."""

from __future__ import annotations

from ismartsync.extensions import db
from ismartsync.models import SaleStatus, Tender
from ismartsync.services.cash.drawer_reports import TenderTotal, shift_figures
from ismartsync.services.checkout import Payment
from ismartsync.services.returns.record import record_return
from ismartsync.services.sales import SaleFilters, search_sales
from tests.markup import text_of
from tests.selling import sell
from tests.services.returns.conftest import request_for


def _listed(merchant, branch, status: str) -> list[int]:
    filters = SaleFilters(branch_ids=(branch.id,), status=status)
    return [s.id for s in search_sales(db.session, merchant.id, filters).sales]


def test_the_sales_list_shows_partly_refunded_and_refunded_sales_and_filters_on_them(
    till, approved, counter, items, merchant, branch
):
    whole = sell(till, counter, items[0])
    part = sell(till, counter, items[1], items[1])
    kept = sell(till, counter, items[2])
    record_return(db.session, approved, counter, request_for(whole, (0, 1)))
    record_return(db.session, approved, counter, request_for(part, (0, 1)))

    assert _listed(merchant, branch, SaleStatus.REFUNDED) == [whole.id]
    assert _listed(merchant, branch, SaleStatus.PARTLY_REFUNDED) == [part.id]
    assert _listed(merchant, branch, SaleStatus.PLACED) == [kept.id]
    assert set(_listed(merchant, branch, "")) == {whole.id, part.id, kept.id}
    assert (whole.status_label, part.status_label) == ("REFUNDED", "PARTIALLY REFUNDED")


def test_a_cash_refund_is_in_the_x_reports_drawer_equation(till, approved, counter, items):
    cash_sale = sell(till, counter, items[0], payments=[Payment(Tender.CASH, 300_000)])  # Rs 10 change
    card_sale = sell(till, counter, items[1], payments=[Payment(Tender.CARD, 150_000)])
    record_return(db.session, approved, counter, request_for(cash_sale, (0, 1)))
    record_return(db.session, approved, counter, request_for(card_sale, (0, 1)))
    shift = cash_sale.shift

    x = shift_figures(db.session, shift)

    assert x.cash_refunds_minor == 299_000  # the card sale went back to the card
    assert x.refunds == [TenderTotal("card", "Card", 1, 150_000), TenderTotal("cash", "Cash", 1, 299_000)]
    # 5,000 float + 3,000 tendered − 10 change − 2,990 refunded in cash
    assert x.expected_minor == 500_000 + 300_000 - 1_000 - 299_000 == shift.expected_cash_minor
    assert x.sales_count == 2 and x.refunds_count == 2


def test_the_x_report_page_prints_the_refunds(browser, manager, till, approved, counter, items):
    sale = sell(till, counter, items[2])
    record_return(db.session, approved, counter, request_for(sale, (0, 1)))
    db.session.commit()
    browser.sign_in(manager)

    page = browser.get(f"/shifts/{sale.shift_id}").get_data(as_text=True)

    refunds = text_of(page, "report-refunds")
    assert "Cash" in refunds and "-Rs 999" in refunds
    assert "-Rs 999" in text_of(page, "report-drawer")
