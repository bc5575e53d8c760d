"""Moving a fulfilment order to another branch in Shopify: claim the recorded move → commit → `fulfillmentOrderMove`
→ read the order again → record the answer → commit.

`fulfillmentOrderMove` takes no idempotency key (Shopify's schema does not document @idempotent for it), and the
client never re-sends it after an answer that did not come. So a second attempt (the job retried after Shopify was
unreachable) first reads the order again: when the fulfilment order is already at the destination the earlier
attempt went through, and the move is settled without asking twice. The branch a fulfilment order belongs to is
always what Shopify answered, taken in by `pipelines/order_sync.refresh_order`, never set here.
"""

from __future__ import annotations

import logging

from sqlalchemy import select
from sqlalchemy.orm import Session

from ismartsync.models.online_order import FulfilmentOrder, OnlineOrder
from ismartsync.models.order_work import FulfilmentOrderMove, MoveStatus
from ismartsync.pipelines.order_sync import refresh_order
from ismartsync.pipelines.shopify_client import open_client
from ismartsync.services.online_orders import moves
from ismartsync.services.shopify_store.tokens import NotConnected
from ismartsync.shopify import orders as wire
from ismartsync.shopify.client import ShopifyClient
from ismartsync.shopify.errors import ShopifyAuthError, ShopifyQueryError, ShopifyUnavailable, ShopifyUserError

log = logging.getLogger(__name__)


def move_fulfilment_order(session: Session, move_id: int) -> FulfilmentOrderMove | None:
    """Send one recorded move to Shopify and settle it; None when it was settled already. Shopify unreachable: the
    move stays waiting with the reason, and ShopifyUnavailable is raised so the job is retried."""
    move = moves.claim_move(session, move_id)
    if move is None:
        session.rollback()
        return None
    merchant_id, retry = move.merchant_id, move.attempts > 1
    order_gid = session.scalar(select(OnlineOrder.shopify_id).where(OnlineOrder.id == move.order_id))
    fo_gid, location = move.fulfilment_order_shopify_id, move.to_shopify_location_id
    session.commit()
    try:
        with open_client(session, merchant_id) as client:
            if retry and _already_there(session, client, merchant_id, order_gid, fo_gid, location):
                return _settle(session, move_id, MoveStatus.DONE)
            try:
                wire.move_fulfilment_order(client, fo_gid, location)
            except ShopifyUserError as exc:
                message = "; ".join(e["message"] for e in exc.errors if e["message"]) or exc.message
                _refresh(session, client, merchant_id, order_gid)
                return _settle(session, move_id, MoveStatus.REFUSED, f"Shopify refused the move: {message}")
            _refresh(session, client, merchant_id, order_gid)
            return _settle(session, move_id, MoveStatus.DONE)
    except NotConnected as exc:
        session.rollback()
        return _settle(session, move_id, MoveStatus.REFUSED, exc.message)
    except (ShopifyAuthError, ShopifyQueryError) as exc:
        session.rollback()
        return _settle(session, move_id, MoveStatus.REFUSED, f"Shopify did not take the move: {exc.message}")
    except ShopifyUnavailable as exc:
        session.rollback()
        waiting = session.get(FulfilmentOrderMove, move_id)
        if waiting is not None and waiting.status == MoveStatus.PENDING:
            moves.note_move_waiting(session, waiting, f"Shopify could not be reached ({exc.message}); trying again.")
            session.commit()
        raise


def _already_there(
    session: Session, client: ShopifyClient, merchant_id: int, order_gid: str | None, fo_gid: str, location: str
) -> bool:
    """Whether an earlier attempt went through: the order read again shows the fulfilment order (or, after a
    split, an open one of the order) at the destination while the original is no longer elsewhere and open."""
    if not _refresh(session, client, merchant_id, order_gid):
        return False
    rows = session.scalars(select(FulfilmentOrder).join(OnlineOrder).where(OnlineOrder.shopify_id == order_gid)).all()
    original = next((fo for fo in rows if fo.shopify_id == fo_gid), None)
    if original is not None and original.shopify_location_id == location:
        return True
    moved_away = original is None or original.status == "CLOSED"
    return moved_away and any(fo.shopify_location_id == location and fo.status != "CLOSED" for fo in rows)


def _refresh(session: Session, client: ShopifyClient, merchant_id: int, order_gid: str | None) -> bool:
    if not order_gid:
        return False
    found = refresh_order(session, client, merchant_id, order_gid) is not None
    session.commit()
    return found


def _settle(session: Session, move_id: int, status: MoveStatus, message: str = "") -> FulfilmentOrderMove | None:
    move = session.scalar(select(FulfilmentOrderMove).where(FulfilmentOrderMove.id == move_id).with_for_update())
    if move is None or move.status != MoveStatus.PENDING:
        session.rollback()
        return move
    moves.settle_move(session, move, status, message)
    session.commit()
    log.info("fulfilment order move %s: %s", move_id, status.value)
    return move
