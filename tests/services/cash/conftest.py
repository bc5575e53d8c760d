"""Fixtures of the cash tests: a counter whose register and shift are open after a sale."""

from __future__ import annotations

import pytest

from ismartsync.extensions import db
from tests.selling import open_till, sell, stock_items


@pytest.fixture
def sold(merchant, branch, counter, manager, cashier):
    """Counter 1's register (Rs 5,000 float) with Sana's shift open after a Rs 2,990 cash sale."""
    actor = open_till(manager, cashier, counter)
    sell(actor, counter, stock_items(merchant, branch)[0])
    db.session.commit()
    return actor
