"""Returns under real concurrency (PostgreSQL): two tablets returning the last returnable unit at once, and the same
return sent twice at once; one return each time, the drawer and the stock ledger exact."""

from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from ismartsync.errors import DomainError
from ismartsync.models import (
    Branch,
    Counter,
    Merchant,
    Product,
    Sale,
    SaleReturn,
    Shift,
    StockLevel,
    StockMovement,
    Tender,
    User,
    Variant,
)
from ismartsync.services import cart as carts
from ismartsync.services.audit import Actor
from ismartsync.services.cash.registers import open_shift, start_register
from ismartsync.services.checkout import Payment, checkout_sale
from ismartsync.services.returns.plan import ReturnItem, ReturnRequest
from ismartsync.services.returns.reasons import seed_return_reasons
from ismartsync.services.returns.record import record_return
from ismartsync.services.roles import create_default_roles
from ismartsync.services.stock.ledger import record_opening_stock

pytestmark = pytest.mark.committing


def _seed(engine: sa.Engine) -> dict[str, int]:
    """A merchant with two counters, a manager's shift open on each, and a placed sale of one kurta on the first."""
    with Session(engine) as session, session.begin():
        merchant = Merchant(legal_name="Race Returns Ltd", brand_name="Race")
        branch = Branch(merchant=merchant, name="Race branch", code="RACE")
        roles = create_default_roles(session, merchant)
        product = Product(merchant=merchant, shopify_id="gid://shopify/Product/race", title="Race kurta")
        variant = Variant(
            merchant=merchant, product=product, shopify_id="gid://shopify/ProductVariant/race", price_minor=150_000
        )
        session.add_all([merchant, branch, product, variant])
        session.flush()
        seed_return_reasons(session, merchant)
        record_opening_stock(session, branch, {variant.id: 10}, "opening")
        ids: dict[str, int] = {"merchant": merchant.id, "variant": variant.id}
        for n in range(2):
            counter = Counter(merchant=merchant, branch=branch, name=f"Race {n}")
            manager = User(
                merchant=merchant, email=f"race{n}@example.pk", full_name=f"Manager {n}", role=roles["Manager"]
            )
            session.add_all([counter, manager])
            session.flush()
            start_register(session, Actor(manager), counter, 1_000_000)
            open_shift(session, Actor(manager), counter)
            ids[f"counter{n}"], ids[f"manager{n}"] = counter.id, manager.id
        counter, manager = session.get(Counter, ids["counter0"]), session.get(User, ids["manager0"])
        cart = carts.open_cart(session, Actor(manager), counter)
        carts.add_variant(session, cart, variant)
        sale = checkout_sale(session, Actor(manager), counter, cart.uuid, [Payment(Tender.CASH, 150_000)]).sale
        ids["sale"], ids["line"] = sale.id, sale.lines[0].id
    return ids


def _race(engine: sa.Engine, ids: dict[str, int], uuids: list[str]) -> tuple[list[int], list[str]]:
    """Each tablet returns the kurta at the same moment (a barrier lines them up); their return ids and refusals."""
    barrier, done, refused = threading.Barrier(len(uuids)), [], []

    def tablet(n: int, uuid: str) -> None:
        try:
            with Session(engine) as session, session.begin():
                counter, manager = session.get(Counter, ids[f"counter{n}"]), session.get(User, ids[f"manager{n}"])
                request = ReturnRequest(uuid, ids["sale"], (ReturnItem(ids["line"], 1, "wrong_size"),))
                barrier.wait(5)
                done.append(record_return(session, Actor(manager), counter, request).sale_return.id)
        except DomainError as exc:
            refused.append(exc.message)

    threads = [threading.Thread(target=tablet, args=(n, uuid)) for n, uuid in enumerate(uuids)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return done, refused


@pytest.fixture
def engine(database_url):
    if not database_url.startswith("postgresql"):
        pytest.skip("needs ISMARTSYNC_TEST_DATABASE_URL: SQLite serialises every writer")
    engine = sa.create_engine(database_url, pool_size=6)
    yield engine
    engine.dispose()


def _cleanup(engine: sa.Engine, merchant_id: int) -> None:
    with engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM merchants WHERE id = :id"), {"id": merchant_id})


def test_two_tablets_returning_the_last_unit_at_once_make_one_return(engine):
    ids = _seed(engine)
    try:
        done, refused = _race(engine, ids, ["tablet-a", "tablet-b"])
        assert len(done) == 1 and refused == ["Race kurta was returned already."]
        with Session(engine) as session:
            returns = session.scalars(sa.select(SaleReturn).where(SaleReturn.sale_id == ids["sale"])).all()
            sale = session.get(Sale, ids["sale"])
            level = session.scalar(sa.select(StockLevel.quantity).where(StockLevel.variant_id == ids["variant"]))
            moved = session.scalar(
                sa.select(sa.func.sum(StockMovement.delta)).where(StockMovement.variant_id == ids["variant"])
            )
            refunds = session.scalar(
                sa.select(sa.func.sum(Shift.cash_refunds_minor)).where(Shift.merchant_id == ids["merchant"])
            )
            returned = [line.quantity for r in returns for line in r.lines]
        assert [r.id for r in returns] == done and sale.status == "refunded" and returned == [1]
        assert level == moved == 10  # sold one, one came back once
        assert refunds == 150_000  # one cash refund, out of one drawer
    finally:
        _cleanup(engine, ids["merchant"])


def test_the_same_return_sent_twice_at_once_is_recorded_once(engine):
    ids = _seed(engine)
    try:
        done, refused = _race(engine, ids, ["same-key", "same-key"])
        assert refused == [] and len(done) == 2 and done[0] == done[1]
        with Session(engine) as session:
            count = session.scalar(sa.select(sa.func.count(SaleReturn.id)).where(SaleReturn.sale_id == ids["sale"]))
            cash = session.scalars(
                sa.select(Shift.cash_refunds_minor)
                .join(User, User.id == Shift.user_id)
                .where(User.merchant_id == ids["merchant"])
            ).all()
        assert count == 1 and sorted(cash) == [0, 150_000]
    finally:
        _cleanup(engine, ids["merchant"])
