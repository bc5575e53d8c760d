"""What the stock pipeline tests do and look at: a sale at the synced branch, its outbox entries, the movements
Shopify caused, and the requests the sandbox received."""

from __future__ import annotations

import sqlalchemy as sa

from ismartsync.extensions import db
from ismartsync.models import (
    MovementKind,
    StockMovement,
    SyncOutboxEntry,
    Variant,
)
from ismartsync.services.stock.ledger import record_movement


def sell(synced, variant: Variant, quantity: int = 1, reference: str = "") -> None:
    record_movement(
        db.session,
        variant=variant,
        branch=synced.branch,
        delta=-quantity,
        kind=MovementKind.SALE,
        reference=reference,
    )
    db.session.commit()


def entries(variant: Variant) -> list[SyncOutboxEntry]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            sa.select(SyncOutboxEntry).where(SyncOutboxEntry.variant_id == variant.id).order_by(SyncOutboxEntry.id)
        )
    )


def shopify_movements(variant: Variant) -> list[StockMovement]:
    return list(
        db.session.scalars(
            sa.select(StockMovement).where(
                StockMovement.variant_id == variant.id, StockMovement.kind == MovementKind.SHOPIFY
            )
        )
    )


def adjust_requests(synced) -> list[dict]:
    requests = synced.sandbox.control("GET", f"/requests?shop={synced.shop}")["requests"]
    return [r for r in requests if r["operation_name"] in ("InventoryAdjust", "InventorySet")]


def shopify_requests(synced) -> list[str]:
    return [r["operation_name"] for r in synced.sandbox.control("GET", f"/requests?shop={synced.shop}")["requests"]]
