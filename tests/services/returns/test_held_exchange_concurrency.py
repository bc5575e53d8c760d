"""A held exchange paid for while another tablet returns the same unit (PostgreSQL, real commits): the exchange is
planned again under the sale's lock, so it sees that return once committed and is refused with nothing written."""

from __future__ import annotations

import threading
import time

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from ismartsync.errors import DomainError
from ismartsync.models import Counter, Sale, SaleReturn, StockMovement, User, Variant
from ismartsync.services import cart as carts
from ismartsync.services.audit import Actor
from ismartsync.services.returns.exchange import exchange_items, hold_exchange, pending_exchange
from ismartsync.services.returns.record import ReturnItem, ReturnRequest, record_return
from tests.services.returns.test_return_concurrency import _cleanup, _seed

pytestmark = pytest.mark.committing


@pytest.fixture
def engine(database_url):
    if not database_url.startswith("postgresql"):
        pytest.skip("needs ISMARTSYNC_TEST_DATABASE_URL: SQLite serialises every writer")
    engine = sa.create_engine(database_url, pool_size=6)
    yield engine
    engine.dispose()


def _hold(engine: sa.Engine, ids: dict[str, int]) -> str:
    """On the first counter: the kurta held as an exchange against a cart of another kurta; the cart's key."""
    with Session(engine) as session, session.begin():
        counter, manager = session.get(Counter, ids["counter0"]), session.get(User, ids["manager0"])
        request = ReturnRequest("exchange-race", ids["sale"], (ReturnItem(ids["line"], 1, "wrong_size"),))
        cart = hold_exchange(session, Actor(manager), counter, request)
        carts.add_variant(session, cart, session.get(Variant, ids["variant"]))
        return cart.uuid


def _race(engine: sa.Engine, ids: dict[str, int], cart_uuid: str) -> tuple[list[str], list[str]]:
    """The second counter returns the kurta and holds the sale's lock a moment before committing; the first counter's
    exchange, read before that return was committed, is paid for in that moment and waits for the lock."""
    locked, done, refused = threading.Event(), [], []

    def exchange() -> None:
        try:
            with Session(engine) as session, session.begin():
                counter, manager = session.get(Counter, ids["counter0"]), session.get(User, ids["manager0"])
                cart = session.scalar(sa.select(Sale).where(Sale.uuid == cart_uuid))
                wanted = pending_exchange(cart)
                assert wanted is not None and locked.wait(5)
                exchange_items(session, Actor(manager), counter, wanted, cart_uuid, [])
                done.append("exchange")
        except DomainError as exc:
            refused.append(exc.message)

    def give_back() -> None:
        with Session(engine) as session, session.begin():
            counter, manager = session.get(Counter, ids["counter1"]), session.get(User, ids["manager1"])
            request = ReturnRequest("plain-race", ids["sale"], (ReturnItem(ids["line"], 1, "wrong_size"),))
            record_return(session, Actor(manager), counter, request)
            locked.set()
            time.sleep(0.5)  # the exchange reaches the sale's lock meanwhile
            done.append("return")

    threads = [threading.Thread(target=exchange), threading.Thread(target=give_back)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return done, refused


def test_a_held_exchange_paid_while_another_tablet_returns_its_unit_is_refused_and_writes_nothing(engine):
    ids = _seed(engine)
    try:
        cart_uuid = _hold(engine, ids)
        done, refused = _race(engine, ids, cart_uuid)

        assert done == ["return"] and refused == [
            "This exchange can no longer be made. Race kurta was returned already. "
            "Cancel the exchange to sell the cart on its own."
        ]
        with Session(engine) as session:
            returns = session.scalars(sa.select(SaleReturn).where(SaleReturn.sale_id == ids["sale"])).all()
            cart = session.scalar(sa.select(Sale).where(Sale.uuid == cart_uuid))
            moved = session.scalar(
                sa.select(sa.func.sum(StockMovement.delta)).where(StockMovement.variant_id == ids["variant"])
            )
            assert [r.exchange_sale_id for r in returns] == [None]  # the plain return only
            assert cart.status == "draft" and cart.number is None and pending_exchange(cart) is not None
            assert moved == 10  # sold one, one came back; the exchange moved nothing
    finally:
        _cleanup(engine, ids["merchant"])
