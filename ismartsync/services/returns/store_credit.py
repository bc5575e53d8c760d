"""Store credit: a customer's balance and its append-only ledger.

Every change is a `StoreCreditEntry`; the customer's `store_credit_minor` is their sum, changed in the same
transaction by one conditional UPDATE (which locks the customer's row), so two tills spending the same credit at
once cannot take it below zero: the second finds too little and is refused (a check constraint backs this up).
"""

from __future__ import annotations

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from ismartsync.errors import DomainError
from ismartsync.models import Customer, StoreCreditEntry, StoreCreditKind
from ismartsync.money import format_money
from ismartsync.services.audit import Actor


def _change(
    session: Session,
    actor: Actor,
    customer_id: int,
    delta_minor: int,
    kind: StoreCreditKind,
    *,
    sale_return_id: int | None = None,
    sale_id: int | None = None,
) -> StoreCreditEntry:
    condition = [Customer.id == customer_id, Customer.merchant_id == actor.merchant_id]
    if delta_minor < 0:
        condition.append(Customer.store_credit_minor >= -delta_minor)
    balance = session.execute(
        update(Customer)
        .where(*condition)
        .values(store_credit_minor=Customer.store_credit_minor + delta_minor)
        .returning(Customer.store_credit_minor)
        .execution_options(synchronize_session=False)
    ).scalar_one_or_none()
    if balance is None:
        held = session.scalar(select(Customer.store_credit_minor).where(Customer.id == customer_id)) or 0
        raise DomainError(f"The customer has {format_money(held)} of store credit.", field="payments")
    customer = session.get(Customer, customer_id)
    if customer is not None:
        session.refresh(customer, ["store_credit_minor"])
    entry = StoreCreditEntry(
        merchant_id=actor.merchant_id,
        customer_id=customer_id,
        kind=kind,
        delta_minor=delta_minor,
        balance_after_minor=int(balance),
        sale_return_id=sale_return_id,
        sale_id=sale_id,
        actor_id=actor.user.id,
    )
    session.add(entry)
    session.flush()
    return entry


def add_store_credit(
    session: Session, actor: Actor, customer_id: int, amount_minor: int, *, sale_return_id: int
) -> StoreCreditEntry:
    """Credit the customer for goods returned."""
    if amount_minor <= 0:
        raise ValueError("store credit must be above zero")
    return _change(session, actor, customer_id, amount_minor, StoreCreditKind.RETURN, sale_return_id=sale_return_id)


def spend_store_credit(
    session: Session, actor: Actor, customer_id: int, amount_minor: int, *, sale_id: int
) -> StoreCreditEntry:
    """Take `amount_minor` of the customer's credit towards a sale; refused when they have less."""
    if amount_minor <= 0:
        raise ValueError("store credit spent must be above zero")
    return _change(session, actor, customer_id, -amount_minor, StoreCreditKind.SPENT, sale_id=sale_id)


def store_credit_entries(session: Session, customer: Customer) -> list[StoreCreditEntry]:
    """The customer's ledger, newest first."""
    return list(
        session.scalars(
            select(StoreCreditEntry)
            .where(StoreCreditEntry.customer_id == customer.id)
            .order_by(StoreCreditEntry.id.desc())
        )
    )


def ledger_balance(session: Session, customer_id: int) -> int:
    """The sum of the customer's entries, which `store_credit_minor` must always equal (for checks and tests)."""
    return int(
        session.scalar(
            select(func.coalesce(func.sum(StoreCreditEntry.delta_minor), 0)).where(
                StoreCreditEntry.customer_id == customer_id
            )
        )
        or 0
    )
