"""An open dispatch (units off the branch, Shopify not yet showing the fulfilment) stops a cancel and a move, and a
cancel or move under way stops a dispatch: either way round, the dispatch's units would never settle."""

from __future__ import annotations

import pytest

from ismartsync.errors import DomainError
from ismartsync.extensions import db
from ismartsync.models import (
    CancellationStatus,
    CancelReason,
    DispatchStatus,
    FulfilmentOrderMove,
    MovementKind,
    MoveStatus,
    OrderCancellation,
)
from ismartsync.services.audit import Actor
from ismartsync.services.online_orders.cancel import request_cancel
from ismartsync.services.online_orders.dispatches import has_open_dispatch
from ismartsync.services.online_orders.fulfilment import dispatch_fulfilment_order
from ismartsync.services.online_orders.moves import request_move
from ismartsync.services.stock.ledger import record_movement
from tests import factories
from tests.fulfilment_fixtures import make_dispatch, make_fulfilment_order


@pytest.fixture
def ready(merchant, branch):
    variant = factories.VariantFactory(product__merchant=merchant, product__title="Lawn suit")
    record_movement(db.session, variant=variant, branch=branch, delta=5, kind=MovementKind.ADJUSTMENT)
    return make_fulfilment_order(branch, variant, quantity=2)


@pytest.mark.parametrize("status", [DispatchStatus.AWAITING, DispatchStatus.QUEUED, DispatchStatus.FAILED])
def test_an_open_dispatch_stops_a_cancel_and_a_move(ready, manager, status):
    make_dispatch(ready, status=status)
    assert has_open_dispatch(db.session, order_id=ready.order_id)
    assert has_open_dispatch(db.session, order_id=ready.order_id, fulfilment_order_id=ready.id)

    with pytest.raises(DomainError, match="already dispatched"):
        request_cancel(db.session, Actor(manager), ready.order, CancelReason.CUSTOMER)
    with pytest.raises(DomainError, match="already dispatched"):
        request_move(db.session, Actor(manager), ready, ready.branch, "move-1")


def test_a_settled_dispatch_is_not_open(ready):
    make_dispatch(ready, status=DispatchStatus.DONE)
    assert not has_open_dispatch(db.session, order_id=ready.order_id)


def _dispatch(fo, manager):
    picked = {line.id: line.remaining_quantity for line in fo.lines}
    return dispatch_fulfilment_order(
        db.session, Actor(manager), fo, key="k", picked=picked, courier="TCS", tracking_number="TCS1"
    )


def test_a_cancel_under_way_stops_a_dispatch(ready, manager):
    db.session.add(
        OrderCancellation(
            merchant_id=ready.merchant_id,
            order_id=ready.order_id,
            reason=CancelReason.CUSTOMER,
            status=CancellationStatus.PENDING,
            requested_by_id=manager.id,
        )
    )
    db.session.flush()
    with pytest.raises(DomainError, match="being cancelled"):
        _dispatch(ready, manager)


def test_a_move_under_way_stops_a_dispatch(ready, manager, branch):
    db.session.add(
        FulfilmentOrderMove(
            merchant_id=ready.merchant_id,
            fulfilment_order_id=ready.id,
            order_id=ready.order_id,
            fulfilment_order_shopify_id=ready.shopify_id,
            from_branch_id=branch.id,
            to_branch_id=branch.id,
            to_shopify_location_id="gid://shopify/Location/2",
            request_key="m1",
            requested_by_id=manager.id,
            status=MoveStatus.PENDING,
        )
    )
    db.session.flush()
    with pytest.raises(DomainError, match="being moved"):
        _dispatch(ready, manager)
