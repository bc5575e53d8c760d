"""Online order jobs: a cancellation asked from iSmartSync, sent to Shopify (retried while Shopify cannot be
reached)."""

from __future__ import annotations

from ismartsync.extensions import db
from ismartsync.pipelines import order_cancel
from jobs import job


@job
def cancel_order(cancellation_id: int) -> None:
    """Send the cancellation and read the order back; a repeat finds nothing left to send."""
    order_cancel.cancel_order(db.session, cancellation_id)
