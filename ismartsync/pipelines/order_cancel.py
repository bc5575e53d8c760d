"""An online order cancelled from iSmartSync: `orderCancel` sent to Shopify, then the order read back.

Claim (the cancellation marked as being sent, its attempt counted) → commit → a retry first reads the order, in case
an earlier attempt went through before its answer was lost → `orderCancel` → record the answer → commit → read the
order again (`order_sync.refresh_order`), which closes its fulfilment orders here and so releases its reserved units.
Shopify's refusal (something shipped meanwhile, cancelled already) is recorded for the manager; Shopify unreachable
puts the cancellation back to be sent and raises, so the job is retried. A second run finds nothing to send.
"""

from __future__ import annotations

import logging

from sqlalchemy.orm import Session

from ismartsync.models import OrderCancellation
from ismartsync.pipelines.order_sync import refresh_order
from ismartsync.pipelines.shopify_client import open_client
from ismartsync.services.online_orders import cancel as cancellations
from ismartsync.services.online_orders.intake import apply_order
from ismartsync.services.shopify_store.tokens import NotConnected
from ismartsync.shopify import orders as wire
from ismartsync.shopify.client import ShopifyClient
from ismartsync.shopify.errors import ShopifyError, ShopifyUserError

log = logging.getLogger(__name__)


def cancel_order(session: Session, cancellation_id: int) -> OrderCancellation | None:
    """Send one cancellation (see the module); the cancellation as recorded, or None when there was nothing to send."""
    row = cancellations.claim_send(session, cancellation_id)
    if row is None:
        session.commit()
        return None
    merchant_id, order_id = row.merchant_id, row.order.shopify_id
    reason, note, retry = row.reason, row.staff_note, row.attempts > 1
    session.commit()
    try:
        with open_client(session, merchant_id) as client:
            if retry and _cancelled_already(session, client, merchant_id, order_id):
                job_id = ""
            else:
                job_id = wire.cancel_order(client, order_id, reason, note)
            row = cancellations.locked(session, cancellation_id)
            cancellations.record_sent(row, job_id)
            session.commit()
            _read_back(session, client, merchant_id, order_id)
    except ShopifyUserError as exc:
        session.rollback()
        _refused(session, cancellation_id, merchant_id, order_id, exc)
    except (NotConnected, ShopifyError) as exc:
        session.rollback()
        cancellations.record_retry(cancellations.locked(session, cancellation_id), _why(exc))
        session.commit()
        if not isinstance(exc, NotConnected):
            raise
    return session.get(OrderCancellation, cancellation_id)


def _read_back(session: Session, client: ShopifyClient, merchant_id: int, order_id: str) -> None:
    """The order as Shopify shows it now. A failure here is no failure of the cancellation: the orders/cancelled
    webhook and the order sync bring the order in later."""
    try:
        refresh_order(session, client, merchant_id, order_id)
        session.commit()
    except ShopifyError as exc:
        session.rollback()
        log.warning("order %s not read back after its cancellation: %s", order_id, exc.message)


def _cancelled_already(session: Session, client: ShopifyClient, merchant_id: int, order_id: str) -> bool:
    """Read the order (applying it): True when Shopify shows it cancelled."""
    node = wire.order(client, order_id)
    if node is None:
        return False
    apply_order(session, merchant_id, node)
    session.commit()
    return bool(node.get("cancelledAt"))


def _refused(session: Session, cancellation_id: int, merchant_id: int, order_id: str, exc: ShopifyUserError) -> None:
    """Shopify said no. Read the order again: cancelled there all the same (by someone else) is done, else the
    refusal is the manager's to see (something dispatched meanwhile)."""
    try:
        with open_client(session, merchant_id) as client:
            cancelled = _cancelled_already(session, client, merchant_id, order_id)
    except ShopifyError:
        log.warning("order %s could not be read after its cancellation was refused", order_id)
        cancelled = False
    row = cancellations.locked(session, cancellation_id)
    if cancelled:
        cancellations.record_sent(row, "")
    else:
        cancellations.record_refused(row, "; ".join(e["message"] for e in exc.errors) or exc.message)
    session.commit()


def _why(exc: ShopifyError) -> str:
    if isinstance(exc, NotConnected):
        return f"Not sent: {exc.message} Reconnect Shopify, then cancel again."
    return f"Not sent yet: Shopify did not answer ({exc.message}). It is tried again."
