"""Fixtures the service tests share: a counter ready to sell, and a branch's roster slots and members to roster."""

from __future__ import annotations

from datetime import time

import pytest

from ismartsync.extensions import db
from ismartsync.services import roster_slots
from ismartsync.services.audit import Actor
from ismartsync.services.roster_slots import SlotValues
from tests import factories
from tests.selling import stock_items, till  # noqa: F401  (till: a fixture)


@pytest.fixture
def items(merchant, branch):
    return stock_items(merchant, branch)


@pytest.fixture
def actor(manager):
    return Actor(manager)


@pytest.fixture
def usual(actor, branch):
    """Morning 10–16, Evening 16–22 and Weekend 10–22 (Sat, Sun) at Gulberg."""
    return {t.name: t for t in roster_slots.add_usual_slots(db.session, actor, branch)}


@pytest.fixture
def night(actor, branch):
    return roster_slots.create_slot(db.session, actor, branch, SlotValues("Night", time(22), time(6)))


@pytest.fixture
def sana(cashier):
    return cashier


@pytest.fixture
def omar(merchant, roles, branch):
    return factories.UserFactory(merchant=merchant, role=roles["Cashier"], branches=[branch], full_name="Omar Farooq")
