"""`flask seed-demo`: the demo merchant, ready to sell."""

from __future__ import annotations

from sqlalchemy import select

from ismartsync import cli
from ismartsync.extensions import db
from ismartsync.models import User
from ismartsync.services.payment_methods import active_payment_methods


def test_demo_merchant_takes_a_bank_transfer_and_a_wallet_and_seeding_twice_adds_nothing():
    cli.seed_demo()
    cli.seed_demo()
    owner = db.session.scalar(select(User).where(User.email == cli.DEMO_OWNER))
    offered = active_payment_methods(db.session, owner.merchant_id)
    assert [(m.kind, m.name, m.account_number, m.iban) for m in offered] == [
        ("bank", "Meezan Bank", "0101 0104567890", "PK85MEZN0001010104567890"),
        ("wallet", "JazzCash", "0300 1234567", ""),
    ]
