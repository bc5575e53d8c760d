"""Customers at the till: finding one by phone or name, and adding one while the customer waits."""

from __future__ import annotations

import re

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from ismartsync.errors import DomainError
from ismartsync.models import Customer
from ismartsync.phones import NOT_A_MOBILE, local_form, parse_mobile
from ismartsync.services.audit import Actor, record_audit

FIND_LIMIT = 8


def find_customers(session: Session, merchant_id: int, query: str) -> list[Customer]:
    """Customers whose phone holds the digits typed, or whose name holds every word typed."""
    query = query.strip()
    if len(query) < 2:
        return []
    compact = re.sub(r"[\s+\-]", "", query)
    if compact.isdigit():
        condition = Customer.phone.contains(compact[-10:], autoescape=True)  # 0300…, 300…, +92 300… alike
    else:
        name = func.lower(Customer.first_name + " " + Customer.last_name)
        condition = and_(*[name.contains(w, autoescape=True) for w in query.lower().split()[:3]])
    return list(
        session.scalars(
            select(Customer)
            .where(Customer.merchant_id == merchant_id, condition)
            .order_by(Customer.first_name, Customer.last_name)
            .limit(FIND_LIMIT)
        )
    )


def add_customer(
    session: Session, actor: Actor, name: str, phone: str, cnic: str = "", ntn: str = ""
) -> tuple[Customer, bool]:
    """A new customer, or the one already on file with that mobile (never two for one number): (customer, is_new).
    The mobile is kept in its local form (03001234567), however it was typed.

    The one on file keeps its name; a CNIC or NTN it lacks is filled in from what was typed.
    """
    mobile = parse_mobile(phone)
    if mobile is None:
        raise DomainError(NOT_A_MOBILE, field="phone")
    phone = local_form(mobile)
    cnic, ntn = re.sub(r"\D", "", cnic), ntn.strip()
    existing = session.scalar(
        select(Customer).where(Customer.merchant_id == actor.merchant_id, Customer.phone == phone).limit(1)
    )
    if existing is not None:
        existing.cnic, existing.ntn = existing.cnic or cnic, existing.ntn or ntn
        return existing, False
    first, _, last = name.strip().partition(" ")
    customer = Customer(
        merchant_id=actor.merchant_id,
        first_name=first[:120],
        last_name=last.strip()[:120],
        phone=phone,
        cnic=cnic,
        ntn=ntn,
    )
    session.add(customer)
    session.flush()
    record_audit(session, actor, "customer.create", f"Added customer {customer.full_name}", target=customer)
    return customer, True
