"""Placed sales for tests, made by the real cart and checkout services (as tests/services/test_checkout.py does), the
tills and shifts they are sold in, and the fixtures of a tablet ready to sell and two items in stock."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from ismartsync.extensions import db
from ismartsync.models import Counter, FiscalDocument, FiscalStatus, Register, Sale, Shift, Tender, Variant
from ismartsync.services import cart as carts
from ismartsync.services.audit import Actor
from ismartsync.services.cash.drawer import Count, close_shift
from ismartsync.services.cash.registers import current_shift, open_shift, start_register
from ismartsync.services.checkout import Payment, checkout_sale
from ismartsync.services.stock.ledger import record_opening_stock
from tests import factories


def open_till(opener: object, seller: object, counter: Counter) -> Actor:
    """Start the counter's register (if `opener` is given) and open `seller`'s shift in it."""
    if opener is not None:
        start_register(db.session, Actor(opener), counter, 500_000)
    open_shift(db.session, Actor(seller, counter_id=counter.id), counter)
    db.session.flush()
    return Actor(seller, branch_id=counter.branch_id, counter_id=counter.id)


def close_till(actor: Actor) -> None:
    """Count the actor's open shift closed with exactly what it expects: the drawer handed over, nothing off."""
    shift = current_shift(db.session, actor.user)
    assert shift is not None, "no open shift to close"
    close_shift(db.session, actor, shift, Count(shift.expected_cash_minor))


def stock_items(merchant: object, branch: object) -> list[Variant]:
    """Three items at Rs 2,990, Rs 1,500 and Rs 999, ten of each at the branch."""
    variants = [
        factories.VariantFactory(product__merchant=merchant, price_minor=price, barcode=f"8960000000{i:03d}")
        for i, price in enumerate([299000, 150000, 99900])
    ]
    record_opening_stock(db.session, branch, {v.id: 10 for v in variants}, "opening")
    return variants


def cart_with(actor: Actor, counter: Counter, *variants: Variant) -> Sale:
    cart = carts.open_cart(db.session, actor, counter)
    for variant in variants:
        carts.add_variant(db.session, cart, variant)
    return cart


def sell(
    actor: Actor,
    counter: Counter,
    *variants: Variant,
    payments: list[Payment] | None = None,
    at: datetime | None = None,
) -> Sale:
    """Ring up `variants` and check out (exact cash unless `payments`); `at` backdates when it was placed (UTC)."""
    cart = cart_with(actor, counter, *variants)
    sale = checkout_sale(
        db.session, actor, counter, cart.uuid, payments or [Payment(Tender.CASH, cart.payable_minor)]
    ).sale
    if at is not None:
        sale.placed_at = at
    db.session.flush()
    return sale


def reported_to_fbr(sale: Sale, fbr_number: str) -> FiscalDocument:
    """The sale's fiscal document as FBR's answer leaves it, `fbr_number` on it, though its counter does not report."""
    fiscal = FiscalDocument(
        merchant_id=sale.merchant_id,
        sale_id=sale.id,
        counter_id=sale.counter_id,
        usin=sale.usin,
        status=FiscalStatus.REPORTED,
        fbr_number=fbr_number,
    )
    db.session.add(fiscal)
    db.session.flush()
    return fiscal


def selling_tablet(tablet: Any, manager: object, cashier: object, counter: Counter) -> Any:
    """`tablet` (a conftest Browser) paired to the counter by the manager, the register started and the cashier
    signed in by PIN with an open shift: the counter screen ready to sell."""
    tablet.sign_in(manager)
    assert tablet.post(f"/device/pair/{counter.id}", {"label": "Front tablet"}).status_code == 303
    tablet.post("/sign-out")
    open_till(manager, cashier, counter)
    db.session.commit()
    assert tablet.post(f"/device/pin/{cashier.id}", {"pin": factories.PIN}).status_code == 303
    return tablet


def the_shift(cashier: Any) -> Shift:
    """The cashier's latest shift as the database has it now (requests changed it through their own session)."""
    db.session.expire_all()
    return db.session.scalars(select(Shift).where(Shift.user_id == cashier.id).order_by(Shift.id.desc())).first()


def send_count(tablet: Any, shift: Shift, **fields: Any) -> Any:
    """Send the shift's close form from `tablet`, counted note by note unless `method` says otherwise."""
    return tablet.post(f"/shifts/{shift.id}/close", {"method": "pieces", "note": ""} | fields, htmx=True)


def day_of(register: Register) -> str:
    """The register's business day in Karachi, as the URLs of the day's reports have it."""
    return register.opened_at.astimezone(ZoneInfo("Asia/Karachi")).date().isoformat()


# Fixtures (a conftest imports them where they are wanted)


@pytest.fixture
def till(manager, cashier, counter):
    """A started register (Rs 5,000 float) with the cashier Sana's shift open on Counter 1: who sells there."""
    return open_till(manager, cashier, counter)


@pytest.fixture
def tablet(make_browser, manager, cashier, counter):
    """A paired tablet with the register started (Rs 5,000 float) and Sana's shift open, Sana signed in by PIN."""
    tablet = make_browser()
    tablet.sign_in(manager)
    assert tablet.post(f"/device/pair/{counter.id}", {"label": "Front tablet"}).status_code == 303
    tablet.post("/sign-out")
    start_register(db.session, Actor(manager), counter, 500_000)
    open_shift(db.session, Actor(cashier), counter)
    db.session.commit()
    assert tablet.post(f"/device/pin/{cashier.id}", {"pin": factories.PIN}).status_code == 303
    return tablet


@pytest.fixture
def items(merchant, branch):
    lawn = factories.VariantFactory(
        product__merchant=merchant, product__title="Lawn 3pc", title="Red", price_minor=299000, barcode="8961000000011"
    )
    khussa = factories.VariantFactory(
        product__merchant=merchant,
        product__title="Khussa",
        title="Default Title",
        price_minor=150000,
        barcode="8961000000028",
        sku="KH-40",
    )
    record_opening_stock(db.session, branch, {lawn.id: 5, khussa.id: 1}, "opening")
    db.session.commit()
    return lawn, khussa
