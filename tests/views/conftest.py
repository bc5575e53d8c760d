"""Fixtures for the view tests: a tablet ready to sell and two items (from tests/selling.py), a shift with a sale in it
(open, then counted closed), and the Shopify sandbox the connection screens need."""

from __future__ import annotations

import pytest

from ismartsync.extensions import db
from ismartsync.models import Shift
from ismartsync.services.audit import Actor
from ismartsync.services.cash.drawer import Count, close_shift
from ismartsync.services.cash.registers import current_shift
from tests.selling import items, open_till, sell, stock_items, tablet, till  # noqa: F401  (the selling fixtures)
from tests.shopify.fixtures import sandbox, shopify_app, start_sandbox, use_sandbox  # noqa: F401


@pytest.fixture
def shift(merchant, branch, counter, manager, cashier) -> Shift:
    """Sana's open shift on Counter 1: Rs 5,000 float, one Rs 2,990 cash sale, so Rs 7,990 expected."""
    actor = open_till(manager, cashier, counter)
    sell(actor, counter, stock_items(merchant, branch)[0])
    db.session.commit()
    return current_shift(db.session, cashier)


@pytest.fixture
def closed(shift, cashier, counter) -> Shift:
    """Sana counted Rs 7,980 note by note (Rs 10 short) and closed her shift."""
    actor = Actor(cashier, branch_id=counter.branch_id, counter_id=counter.id)
    close_shift(db.session, actor, shift, Count.of_pieces({5000: 1, 1000: 2, 500: 1, 100: 4, 50: 1, 20: 1, 10: 1}))
    db.session.commit()
    return shift
