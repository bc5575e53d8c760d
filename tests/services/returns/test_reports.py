"""Where returns show: the Sales list's statuses and filters, the X, register and day reports' drawer equation and
refunds per tender (card, bank, wallet, cash, store credit)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from ismartsync.extensions import db
from ismartsync.models import SaleStatus, Tender
from ismartsync.models.catalog import Customer
from ismartsync.services.cash.drawer_reports import TenderTotal, combined_figures, register_figures, shift_figures
from ismartsync.services.checkout import Payment
from ismartsync.services.returns.record import record_return
from ismartsync.services.returns.tenders import RefundTender
from ismartsync.services.sales import SaleFilters, search_sales
from tests import factories
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


def test_the_register_and_day_reports_show_refunds_per_tender_and_take_only_cash_out_of_the_drawer(
    browser, manager, till, approved, counter, items, merchant, branch
):
    meezan = factories.PaymentMethodFactory(merchant=merchant, name="Meezan Bank")
    jazz = factories.PaymentMethodFactory(
        merchant=merchant, kind=Tender.WALLET.value, name="JazzCash", account_number="03001234567"
    )
    split = sell(  # the Rs 2,990 lawn: Rs 1,000 card, Rs 1,000 bank, Rs 500 wallet, Rs 490 cash
        till,
        counter,
        items[0],
        payments=[
            Payment(Tender.CARD, 100_000, reference="4411"),
            Payment(Tender.BANK, 100_000, method_id=meezan.id, reference="IBFT 1"),
            Payment(Tender.WALLET, 50_000, method_id=jazz.id, reference="JC 1"),
            Payment(Tender.CASH, 49_000),
        ],
    )
    for_credit = sell(till, counter, items[1])  # Rs 1,500 cash, back as store credit to Hina
    hina = Customer(merchant_id=merchant.id, first_name="Hina", phone="+923001234567")
    db.session.add(hina)
    db.session.flush()
    record_return(db.session, approved, counter, request_for(split, (0, 1)))
    credit = (RefundTender(Tender.STORE_CREDIT, 150_000),)
    record_return(db.session, approved, counter, request_for(for_credit, (0, 1), refunds=credit, customer_id=hina.id))
    db.session.commit()
    register = split.shift.register

    figures = register_figures(db.session, register)
    whole_day = combined_figures(db.session, [register])

    for shown in (figures, whole_day):
        assert sorted((t.tender, t.amount_minor) for t in shown.refunds) == [
            ("bank", 100_000),
            ("card", 100_000),
            ("cash", 49_000),
            ("store_credit", 150_000),
            ("wallet", 50_000),
        ]
        assert shown.refunds_count == 2 and shown.cash_refunds_minor == 49_000
        # The float, the cash the two sales left, less the one cash refund: card, bank, wallet and credit stay out.
        assert shown.expected_minor == 500_000 + 49_000 + 150_000 - 49_000 == split.shift.expected_cash_minor
    browser.sign_in(manager)
    local_day = register.opened_at.astimezone(ZoneInfo(merchant.time_zone)).date()
    for path in (f"/registers/{register.id}", f"/registers/days/{branch.id}/{local_day.isoformat()}"):
        page = browser.get(path).get_data(as_text=True)
        refunds = text_of(page, "report-refunds")
        for label, amount in (
            ("Card", "-Rs 1,000"),
            ("Meezan Bank", "-Rs 1,000"),
            ("JazzCash", "-Rs 500"),
            ("Cash", "-Rs 490"),
            ("Store credit", "-Rs 1,500"),
        ):
            assert label in refunds and amount in refunds.replace("−", "-"), (path, label, refunds)
        assert "-Rs 490" in text_of(page, "report-drawer").replace("−", "-")
