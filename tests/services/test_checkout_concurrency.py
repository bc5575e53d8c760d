"""Checkout under real concurrency (PostgreSQL): gapless numbers per counter, one sale per cart, the ledger exact."""

from __future__ import annotations

import threading
from collections import Counter as Tally

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from ismartsync.errors import DomainError
from ismartsync.models import Branch, Counter, Merchant, Product, Sale, StockLevel, StockMovement, Tender, User, Variant
from ismartsync.services import cart as carts
from ismartsync.services.audit import Actor
from ismartsync.services.cash.registers import open_shift, start_register
from ismartsync.services.checkout import Payment, checkout_sale
from ismartsync.services.roles import create_default_roles
from ismartsync.services.stock.ledger import record_opening_stock

COUNTERS = 4
SALES_PER_COUNTER = 15


def _seed(engine: sa.Engine) -> tuple[int, list[tuple[int, int]], list[int]]:
    """A merchant with one branch, four counters each with a cashier in an open shift, and three hot variants."""
    with Session(engine) as session, session.begin():
        merchant = Merchant(legal_name="Rush Ltd", brand_name="Rush")
        branch = Branch(merchant=merchant, name="Rush branch", code="RUSH")
        roles = create_default_roles(session, merchant)
        product = Product(merchant=merchant, shopify_id="gid://shopify/Product/rush", title="Rush kurta")
        variants = [
            Variant(
                merchant=merchant, product=product, shopify_id=f"gid://shopify/ProductVariant/rush{i}", price_minor=p
            )
            for i, p in enumerate([150000, 99900, 250000])
        ]
        session.add_all([merchant, branch, product, *variants])
        session.flush()
        record_opening_stock(session, branch, {v.id: 1000 for v in variants}, "opening")
        tills = []
        for n in range(COUNTERS):
            counter = Counter(merchant=merchant, branch=branch, name=f"Rush {n}")
            cashier = User(
                merchant=merchant, email=f"rush{n}@example.pk", full_name=f"Cashier {n}", role=roles["Cashier"]
            )
            session.add_all([counter, cashier])
            session.flush()
            start_register(session, Actor(cashier), counter, 0)
            open_shift(session, Actor(cashier), counter)
            tills.append((counter.id, cashier.id))
        return merchant.id, tills, [v.id for v in variants]


def _sell(engine: sa.Engine, counter_id: int, cashier_id: int, variant_ids: list[int], errors: list[str]) -> None:
    """Ring up and check out sales on one counter; every checkout is sent twice at once, like a double tap."""
    for i in range(SALES_PER_COUNTER):
        with Session(engine) as session, session.begin():
            counter, cashier = session.get(Counter, counter_id), session.get(User, cashier_id)
            cart = carts.open_cart(session, Actor(cashier), counter)
            for vid in variant_ids[: 1 + i % 3]:
                carts.add_variant(session, cart, session.get(Variant, vid))
            uuid = cart.uuid

        def tap(uuid: str = uuid) -> None:
            try:
                with Session(engine) as session, session.begin():
                    counter, cashier = session.get(Counter, counter_id), session.get(User, cashier_id)
                    checkout_sale(session, Actor(cashier), counter, uuid, [Payment(Tender.CASH, 10**8)])
            except DomainError as exc:
                errors.append(exc.message)

        taps = [threading.Thread(target=tap) for _ in range(2)]
        for t in taps:
            t.start()
        for t in taps:
            t.join()


@pytest.mark.committing
def test_concurrent_double_tapped_checkouts_make_gapless_numbers_and_keep_the_ledger(database_url):
    if not database_url.startswith("postgresql"):
        pytest.skip("needs ISMARTSYNC_TEST_DATABASE_URL: SQLite serialises every writer")
    engine = sa.create_engine(database_url, pool_size=12, max_overflow=4)
    merchant_id, tills, variant_ids = _seed(engine)
    errors: list[str] = []
    try:
        threads = [threading.Thread(target=_sell, args=(engine, c, u, variant_ids, errors)) for c, u in tills]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        with Session(engine) as session:
            placed = session.execute(
                sa.select(Sale.counter_id, Sale.number).where(Sale.merchant_id == merchant_id, Sale.status == "placed")
            ).all()
            numbers: dict[int, list[int]] = {}
            for counter_id, number in placed:
                numbers.setdefault(counter_id, []).append(number)
            sold = Tally()
            for vid, delta in session.execute(
                sa.select(StockMovement.variant_id, StockMovement.delta).where(
                    StockMovement.merchant_id == merchant_id, StockMovement.kind == "sale"
                )
            ):
                sold[vid] -= delta
            levels = dict(
                session.execute(
                    sa.select(StockLevel.variant_id, StockLevel.quantity).where(StockLevel.variant_id.in_(variant_ids))
                ).all()
            )
        assert errors == []
        assert {c: sorted(n) for c, n in numbers.items()} == {
            c: list(range(1, SALES_PER_COUNTER + 1)) for c, _ in tills
        }
        # Sale i carries the first 1 + i % 3 variants: 15 sales give 15, 10 and 5 units per counter.
        assert [sold[v] for v in variant_ids] == [COUNTERS * 15, COUNTERS * 10, COUNTERS * 5]
        assert [levels[v] for v in variant_ids] == [1000 - sold[v] for v in variant_ids]
    finally:
        with engine.begin() as conn:
            conn.execute(sa.text("DELETE FROM merchants WHERE id = :id"), {"id": merchant_id})
        engine.dispose()


@pytest.mark.committing
def test_clearing_the_cart_while_it_checks_out_leaves_the_placed_sale_alone(database_url):
    if not database_url.startswith("postgresql"):
        pytest.skip("needs ISMARTSYNC_TEST_DATABASE_URL: SQLite serialises every writer")
    engine = sa.create_engine(database_url, pool_size=4)
    merchant_id, tills, variant_ids = _seed(engine)
    counter_id, cashier_id = tills[0]
    try:
        with Session(engine) as session, session.begin():
            counter, cashier = session.get(Counter, counter_id), session.get(User, cashier_id)
            cart = carts.open_cart(session, Actor(cashier), counter)
            carts.add_variant(session, cart, session.get(Variant, variant_ids[0]))
            uuid = cart.uuid
        checking_out = threading.Event()

        def checkout() -> None:
            with Session(engine) as session, session.begin():
                counter, cashier = session.get(Counter, counter_id), session.get(User, cashier_id)
                checkout_sale(session, Actor(cashier), counter, uuid, [Payment(Tender.CASH, 10**8)])
                checking_out.set()
                threading.Event().wait(0.5)  # the other tablet's "Clear" arrives now

        thread = threading.Thread(target=checkout)
        thread.start()
        checking_out.wait(10)
        with Session(engine) as session, session.begin():
            counter = session.get(Counter, counter_id)
            found = carts.active_cart(session, counter, lock=True)  # waits for the checkout's commit
            if found is not None:
                session.delete(found)
        thread.join()
        with Session(engine) as session:
            sale = session.scalars(sa.select(Sale).where(Sale.uuid == uuid)).one()
            assert (found, sale.status, len(sale.lines)) == (None, "placed", 1)
    finally:
        with engine.begin() as conn:
            conn.execute(sa.text("DELETE FROM merchants WHERE id = :id"), {"id": merchant_id})
        engine.dispose()
