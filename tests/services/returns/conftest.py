"""Fixtures the returns tests share: the merchant's return reasons, a sale to return, a supervisor's approval."""

from __future__ import annotations

import uuid

import pytest

from ismartsync.extensions import db
from ismartsync.services.audit import Actor
from ismartsync.services.returns.plan import ReturnItem, ReturnRequest
from ismartsync.services.returns.reasons import seed_return_reasons


@pytest.fixture(autouse=True)
def reasons(merchant):
    """The default reasons, as sign-up gives every merchant (the factories make merchants without signing up)."""
    return {r.code: r for r in seed_return_reasons(db.session, merchant)}


@pytest.fixture
def approved(till, manager):
    """The cashier at the till with the manager's approval (the cashier's role refunds only with one)."""
    return Actor(till.user, branch_id=till.branch_id, counter_id=till.counter_id, approver=manager)


def request_for(sale, *lines, **kwargs) -> ReturnRequest:
    """A return of `lines` ((line index, quantity) or (line index, quantity, reason)) of `sale`, new key each time,
    with the reference the cashier types for each card, bank or wallet payment refunded ("RRN <payment id>")
    unless `references` says otherwise."""
    items = tuple(ReturnItem(sale.lines[i].id, q, rest[0] if rest else "wrong_size") for i, q, *rest in lines)
    kwargs.setdefault("references", {p.id: f"RRN {p.id}" for p in sale.payments})
    return ReturnRequest(uuid=kwargs.pop("uuid", str(uuid.uuid4())), sale_id=sale.id, items=items, **kwargs)


from tests.shopify.fixtures import sandbox, shopify_app, start_sandbox, use_sandbox  # noqa: E402, F401
from tests.shopify.synced import synced  # noqa: E402, F401  (a store connected and imported, its branch linked)
