"""The stock ledger: the one place that moves branch stock.

Every change is an append-only `StockMovement`, and `StockLevel` (their sum per variant and branch) changes in the
same transaction under a row lock, so level = sum of movements under any concurrency. A movement at a branch mapped
to a Shopify location also goes into the sync outbox in that transaction (`services.stock.sync_outbox`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, text
from sqlalchemy import insert as sa_insert
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from ismartsync.errors import DomainError
from ismartsync.models import Branch, Merchant, MovementKind, StockLevel, StockMovement, User, Variant
from ismartsync.models.base import utcnow
from ismartsync.services.stock.sync_outbox import queue_movement

# Movements that record what already happened elsewhere: the policy never refuses them.
_ALWAYS_APPLIED = {MovementKind.OPENING, MovementKind.SHOPIFY, MovementKind.COUNT}


class NegativeStock(DomainError):
    """The merchant blocks selling below zero, and this would."""


@dataclass(frozen=True)
class MovementResult:
    movement: StockMovement
    # Set when the level went below zero under the "warn" policy: the counter shows it.
    warning: str | None = None


def locked_level(session: Session, merchant_id: int, variant_id: int, branch_id: int) -> StockLevel:
    """The level row, created if missing, locked for this transaction (SELECT … FOR UPDATE)."""
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    session.execute(
        insert(StockLevel)
        .values(merchant_id=merchant_id, variant_id=variant_id, branch_id=branch_id, quantity=0, updated_at=utcnow())
        .on_conflict_do_nothing(index_elements=["variant_id", "branch_id"])
    )
    level = session.scalars(
        select(StockLevel)
        .where(StockLevel.variant_id == variant_id, StockLevel.branch_id == branch_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()
    return level


@dataclass(frozen=True)
class Move:
    """One change to one variant's stock, for `record_movements`."""

    variant: Variant
    delta: int


def record_movement(
    session: Session,
    *,
    variant: Variant,
    branch: Branch,
    delta: int,
    kind: MovementKind,
    reason: str = "",
    reference: str = "",
    actor: User | None = None,
) -> MovementResult:
    """Move `delta` units of `variant` at `branch`; the only writer of stock levels and movements (with its batch form).

    :raise NegativeStock: the merchant blocks negative stock and this would take the level below zero.
    """
    moves = [Move(variant, delta)]
    return record_movements(
        session, branch=branch, moves=moves, kind=kind, reason=reason, reference=reference, actor=actor
    )[0]


def record_movements(
    session: Session,
    *,
    branch: Branch,
    moves: list[Move],
    kind: MovementKind,
    reason: str = "",
    reference: str = "",
    actor: User | None = None,
) -> list[MovementResult]:
    """Several movements of one document (a sale's lines) at `branch`, in one go; results in the order given.

    The levels are created if missing and locked together in variant order, so two sales of the same items wait
    for each other instead of deadlocking; the movements go in with one flush.

    :raise NegativeStock: the merchant blocks negative stock and a move would take a level below zero.
    """
    if any(m.variant.merchant_id != branch.merchant_id for m in moves):
        raise ValueError("variant and branch belong to different merchants")
    levels = _locked_levels(session, branch, sorted({m.variant.id for m in moves}))
    now, results = utcnow(), []
    for move in moves:
        level = levels[move.variant.id]
        warning = _below_zero(session, branch, move, level.quantity, kind)
        level.quantity += move.delta
        level.updated_at = now
        movement = StockMovement(
            merchant_id=branch.merchant_id,
            variant_id=move.variant.id,
            branch_id=branch.id,
            kind=kind.value,
            delta=move.delta,
            quantity_after=level.quantity,
            reason=reason[:200],
            reference=reference[:200],
            actor_id=actor.id if actor else None,
            created_at=now,
        )
        session.add(movement)
        results.append(MovementResult(movement, warning))
    session.flush()
    for move, result in zip(moves, results, strict=True):
        queue_movement(session, result.movement, move.variant)
    return results


def _locked_levels(session: Session, branch: Branch, variant_ids: list[int]) -> dict[int, StockLevel]:
    """The levels of these variants at the branch, created if missing, locked in variant order (SELECT … FOR UPDATE)."""
    _insert_missing_levels(session, branch, dict.fromkeys(variant_ids, 0), utcnow())
    rows = session.scalars(
        select(StockLevel)
        .where(StockLevel.branch_id == branch.id, StockLevel.variant_id.in_(variant_ids))
        .order_by(StockLevel.variant_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return {level.variant_id: level for level in rows}


def _below_zero(session: Session, branch: Branch, move: Move, before: int, kind: MovementKind) -> str | None:
    """The warning for a move that takes the level below zero, or NegativeStock where the merchant blocks it."""
    if move.delta >= 0 or before + move.delta >= 0 or kind in _ALWAYS_APPLIED:
        return None
    message = f"Only {max(before, 0)} of {move.variant.display_name} in stock at {branch.name}."
    merchant = session.get(Merchant, branch.merchant_id)
    if merchant is not None and merchant.negative_stock_policy == "block":
        raise NegativeStock(message)
    return message


def level_of(session: Session, variant: Variant, branch: Branch) -> int:
    quantity = session.scalar(
        select(StockLevel.quantity).where(StockLevel.variant_id == variant.id, StockLevel.branch_id == branch.id)
    )
    return quantity or 0


def ledger_sum(session: Session, variant: Variant, branch: Branch) -> int:
    """The sum of movements, which the level must always equal (for checks and tests)."""
    total = session.scalar(
        select(func.coalesce(func.sum(StockMovement.delta), 0)).where(
            StockMovement.variant_id == variant.id, StockMovement.branch_id == branch.id
        )
    )
    return int(total or 0)


_PG_OPEN_LEVELS = text(
    """
    INSERT INTO stock_levels (merchant_id, branch_id, variant_id, quantity, updated_at)
    SELECT :merchant_id, :branch_id, v, q, :now
    FROM unnest(CAST(:variants AS integer[]), CAST(:quantities AS integer[])) AS t(v, q)
    ON CONFLICT (variant_id, branch_id) DO NOTHING
    RETURNING variant_id
    """
)


def _insert_missing_levels(session: Session, branch: Branch, quantities: dict[int, int], now: datetime) -> list[int]:
    """Insert the levels that do not exist yet, atomically; returns the variant ids that were inserted."""
    if session.get_bind().dialect.name == "postgresql":
        # One statement with two arrays: a 100k-variant import opens its stock in well under a second.
        params = {
            "merchant_id": branch.merchant_id,
            "branch_id": branch.id,
            "now": now,
            "variants": list(quantities),
            "quantities": list(quantities.values()),
        }
        return list(session.execute(_PG_OPEN_LEVELS, params).scalars())
    base = {"merchant_id": branch.merchant_id, "branch_id": branch.id, "updated_at": now}
    rows = [{**base, "variant_id": v, "quantity": q} for v, q in quantities.items()]
    statement = (
        sqlite_insert(StockLevel)
        .on_conflict_do_nothing(index_elements=["variant_id", "branch_id"])
        .returning(StockLevel.variant_id)
    )
    return list(session.execute(statement, rows).scalars())


def record_opening_stock(session: Session, branch: Branch, quantities: dict[int, int], reference: str) -> int:
    """Opening stock at `branch` for the variants that have no level there yet; returns how many were opened.

    The bulk path of the ledger for imports: levels are inserted only where missing (so a re-run opens nothing
    twice) and each gets one `opening` movement, keeping level = sum of movements.
    """
    if not quantities:
        return 0
    now = utcnow()
    opened = _insert_missing_levels(session, branch, quantities, now)
    movements = [
        {
            "merchant_id": branch.merchant_id,
            "variant_id": v,
            "branch_id": branch.id,
            "kind": MovementKind.OPENING.value,
            "delta": quantities[v],
            "quantity_after": quantities[v],
            "reason": "Opening stock from Shopify",
            "reference": reference[:200],
            "created_at": now,
        }
        for v in opened
        if quantities[v] != 0
    ]
    for start in range(0, len(movements), 1000):
        session.execute(sa_insert(StockMovement), movements[start : start + 1000])
    session.flush()
    return len(opened)
