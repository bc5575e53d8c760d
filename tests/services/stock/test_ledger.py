"""The stock ledger: level = sum of movements, the negative-stock policy, opening stock, concurrency."""

from __future__ import annotations

import random
import threading

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from ismartsync.extensions import db
from ismartsync.models import Branch, Merchant, MovementKind, Product, StockLevel, StockMovement, Variant
from ismartsync.services.stock.ledger import (
    NegativeStock,
    ledger_sum,
    level_of,
    record_movement,
    record_opening_stock,
)
from tests import factories


@pytest.fixture
def variant(merchant):
    return factories.VariantFactory(product__merchant=merchant)


def test_a_movement_changes_the_level_and_is_kept(variant, branch):
    record_movement(db.session, variant=variant, branch=branch, delta=5, kind=MovementKind.ADJUSTMENT, reason="found")
    result = record_movement(
        db.session,
        variant=variant,
        branch=branch,
        delta=-2,
        kind=MovementKind.SALE,
        reference="gid://ismartsync/Sale/1",
    )
    assert result.warning is None
    assert result.movement.quantity_after == 3
    assert level_of(db.session, variant, branch) == 3 == ledger_sum(db.session, variant, branch)
    kinds = db.session.scalars(sa.select(StockMovement.kind).order_by(StockMovement.id)).all()
    assert kinds == ["adjustment", "sale"]


def test_selling_below_zero_warns_by_default(variant, branch):
    result = record_movement(db.session, variant=variant, branch=branch, delta=-1, kind=MovementKind.SALE)
    assert result.warning and "Only 0" in result.warning
    assert level_of(db.session, variant, branch) == -1 == ledger_sum(db.session, variant, branch)


def test_selling_below_zero_is_refused_when_the_merchant_blocks_it(merchant, variant, branch):
    merchant.negative_stock_policy = "block"
    record_movement(db.session, variant=variant, branch=branch, delta=1, kind=MovementKind.ADJUSTMENT)
    with pytest.raises(NegativeStock, match="Only 1"):
        record_movement(db.session, variant=variant, branch=branch, delta=-2, kind=MovementKind.SALE)
    assert level_of(db.session, variant, branch) == 1 == ledger_sum(db.session, variant, branch)


def test_changes_made_in_shopify_apply_even_when_negative_stock_is_blocked(merchant, variant, branch):
    merchant.negative_stock_policy = "block"
    record_movement(db.session, variant=variant, branch=branch, delta=-3, kind=MovementKind.SHOPIFY)
    assert level_of(db.session, variant, branch) == -3


def test_movements_cannot_be_edited_or_deleted(variant, branch):
    movement = record_movement(db.session, variant=variant, branch=branch, delta=1, kind=MovementKind.COUNT).movement
    movement.delta = 99
    with pytest.raises(RuntimeError, match="append-only"):
        db.session.flush()
    db.session.rollback()


def test_a_variant_of_another_merchant_cannot_move_at_our_branch(branch, other_merchant):
    theirs = factories.VariantFactory(product__merchant=other_merchant)
    with pytest.raises(ValueError):
        record_movement(db.session, variant=theirs, branch=branch, delta=1, kind=MovementKind.ADJUSTMENT)


def test_opening_stock_opens_each_variant_once(merchant, branch):
    first, second = (factories.VariantFactory(product__merchant=merchant) for _ in range(2))
    assert record_opening_stock(db.session, branch, {first.id: 7, second.id: 0}, "gid://ismartsync/ImportRun/1") == 2
    assert record_opening_stock(db.session, branch, {first.id: 9, second.id: 4}, "gid://ismartsync/ImportRun/2") == 0
    assert level_of(db.session, first, branch) == 7 == ledger_sum(db.session, first, branch)
    assert level_of(db.session, second, branch) == 0 == ledger_sum(db.session, second, branch)
    # A zero opening needs no movement; the level row alone says "opened".
    assert db.session.scalar(sa.select(sa.func.count()).select_from(StockMovement)) == 1


@pytest.mark.committing
def test_level_equals_the_sum_of_movements_under_concurrent_writers(database_url):
    """Eight writers on one variant and branch, each in its own connection and committing for real."""
    if not database_url.startswith("postgresql"):
        pytest.skip("needs ISMARTSYNC_TEST_DATABASE_URL: SQLite has no row locks to race on")
    engine = sa.create_engine(database_url, pool_size=10)
    with Session(engine) as session:
        merchant = Merchant(legal_name="Race Ltd", brand_name="Race")
        branch = Branch(merchant=merchant, name="Race branch", code="RACE")
        product = Product(merchant=merchant, shopify_id="gid://shopify/Product/race", title="Race kurta")
        variant = Variant(merchant=merchant, product=product, shopify_id="gid://shopify/ProductVariant/race")
        session.add_all([merchant, branch, product, variant])
        session.commit()
        ids = merchant.id, branch.id, variant.id
    deltas = [[random.Random(w * 100 + i).choice([-2, -1, 1, 3]) for i in range(25)] for w in range(8)]

    def writer(moves: list[int]) -> None:
        for delta in moves:
            with Session(engine) as session, session.begin():
                record_movement(
                    session,
                    variant=session.get(Variant, ids[2]),
                    branch=session.get(Branch, ids[1]),
                    delta=delta,
                    kind=MovementKind.ADJUSTMENT,
                )

    threads = [threading.Thread(target=writer, args=(moves,)) for moves in deltas]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        with Session(engine) as session:
            level = session.scalar(sa.select(StockLevel.quantity).where(StockLevel.variant_id == ids[2]))
            total = session.scalar(
                sa.select(sa.func.sum(StockMovement.delta)).where(StockMovement.variant_id == ids[2])
            )
            count = session.scalar(
                sa.select(sa.func.count()).select_from(StockMovement).where(StockMovement.variant_id == ids[2])
            )
        assert count == 200
        assert level == total == sum(map(sum, deltas))
    finally:
        with engine.begin() as conn:
            conn.execute(sa.text("DELETE FROM merchants WHERE id = :id"), {"id": ids[0]})
        engine.dispose()
