"""The scripted two days at two branches that the cash reports are checked against, with figures worked out by hand.

Gulberg, Counter 1 (float Rs 5,000): Sana sells Rs 2,990 + Rs 1,500 cash, tops the float up Rs 100, drops Rs 2,000 in
the safe, voids a line and clears a cart, counts Rs 7,580 against Rs 7,590 (Rs 10 short, within the Rs 500
tolerance). Bilal takes the drawer over (Rs 7,580), sells Rs 999 cash, counts Rs 9,279 against Rs 8,579: Rs 700 over,
beyond the tolerance, with a reason and the owner's approval. DHA, Counter 1 (float Rs 5,000): Omar sells Rs 2,990
by card, pays Rs 50 petty cash for tea, and his shift is still open.

Karachi is UTC+5: Sana's shift opens 14 Jan 09:00, Bilal's 15 Jan 00:30 (14 Jan 19:30 UTC), Omar's 15 Jan 10:00.
"""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace

from ismartsync.extensions import db
from ismartsync.models import CashDirection, CashReason, Tender
from ismartsync.services import cart as carts
from ismartsync.services.audit import Actor
from ismartsync.services.cash.drawer import Count, close_shift, record_cash_log
from ismartsync.services.cash.registers import current_shift
from ismartsync.services.cash.report_filters import ReportFilters
from ismartsync.services.checkout import Payment
from ismartsync.services.stock.ledger import record_opening_stock
from tests import factories
from tests.selling import cart_with, open_till, sell, stock_items

SANA_OPENED = datetime(2026, 1, 14, 4, 0, tzinfo=UTC)
BILAL_OPENED = datetime(2026, 1, 14, 19, 30, tzinfo=UTC)
OMAR_OPENED = datetime(2026, 1, 15, 5, 0, tzinfo=UTC)


def _log(actor, shift, direction, reason, amount, note="", at=None):
    log = record_cash_log(
        db.session,
        actor,
        shift,
        uuid=f"log-{shift.id}-{reason.value}",
        direction=direction,
        reason=reason,
        amount_minor=amount,
        note=note,
    )
    log.created_at = at or shift.opened_at
    return log


def scripted_days(merchant, owner, manager, cashier, branch, counter) -> SimpleNamespace:
    """The scripted days above (committed); returns the people, places and shifts."""
    dha = factories.BranchFactory(merchant=merchant, name="DHA", code="DHA")
    dha_counter = factories.CounterFactory(branch=dha, name="Counter 1")
    omar = factories.UserFactory(merchant=merchant, role=cashier.role, branches=[dha], full_name="Omar Farooq")
    items = stock_items(merchant, branch)
    stock_items_dha = [factories.VariantFactory(product__merchant=merchant, price_minor=299000)]
    record_opening_stock(db.session, dha, {stock_items_dha[0].id: 5}, "opening")

    sana = open_till(manager, cashier, counter)
    sana_shift = current_shift(db.session, cashier)
    sana_shift.opened_at = SANA_OPENED
    sell(sana, counter, items[0], at=datetime(2026, 1, 14, 5, 0, tzinfo=UTC))
    sell(sana, counter, items[1], at=datetime(2026, 1, 14, 6, 0, tzinfo=UTC))
    _log(sana, sana_shift, CashDirection.IN, CashReason.FLOAT_TOP_UP, 10_000)
    _log(sana, sana_shift, CashDirection.OUT, CashReason.SAFE_DROP, 200_000)
    cart = cart_with(sana, counter, items[1], items[2])
    carts.remove_line(db.session, sana, cart, cart.lines[1])
    carts.discard_cart(db.session, sana, cart)
    close_shift(db.session, sana, sana_shift, Count(758_000))

    bilal = open_till(None, manager, counter)
    bilal_shift = current_shift(db.session, manager)
    bilal_shift.opened_at = BILAL_OPENED
    sell(bilal, counter, items[2], at=datetime(2026, 1, 14, 20, 0, tzinfo=UTC))
    approved = Actor(manager, branch_id=branch.id, counter_id=counter.id, approver=owner)
    close_shift(db.session, approved, bilal_shift, Count(927_900), note="Change not given back")

    omar_actor = open_till(manager, omar, dha_counter)
    omar_shift = current_shift(db.session, omar)
    omar_shift.opened_at = OMAR_OPENED
    sell(
        omar_actor,
        dha_counter,
        stock_items_dha[0],
        payments=[Payment(Tender.CARD, 299_000)],
        at=datetime(2026, 1, 15, 6, 0, tzinfo=UTC),
    )
    _log(omar_actor, omar_shift, CashDirection.OUT, CashReason.PETTY_CASH, 5_000, note="Tea")
    db.session.commit()
    return SimpleNamespace(
        merchant=merchant,
        gulberg=branch,
        dha=dha,
        counter=counter,
        dha_counter=dha_counter,
        sana=cashier,
        bilal=manager,
        omar=omar,
        owner=owner,
        sana_shift=sana_shift,
        bilal_shift=bilal_shift,
        omar_shift=omar_shift,
        everywhere=ReportFilters(branch_ids=(branch.id, dha.id)),
    )
