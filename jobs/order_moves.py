"""Online order jobs of the branches: a fulfilment order's move sent to Shopify (`services/online_orders/moves.py`
enqueues it by path after the request is committed)."""

from __future__ import annotations

from ismartsync.extensions import db
from ismartsync.pipelines import order_moves
from jobs import job


@job
def move_fulfilment_order(move_id: int) -> None:
    """Send a recorded move to Shopify and record the answer; raises while Shopify cannot be reached, so RQ retries
    (a retry first reads the order again, and never moves it twice)."""
    order_moves.move_fulfilment_order(db.session, move_id)
