"""Merchants, branches and counters: sign-up and the business settings."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ismartsync.errors import DomainError
from ismartsync.models import Branch, Counter, Merchant, User
from ismartsync.models.merchant import MAX_LINK_DAYS, MIN_LINK_DAYS
from ismartsync.passwords import hash_password
from ismartsync.permissions import OWNER_ROLE_NAME
from ismartsync.services.audit import Actor, record_audit, snapshot
from ismartsync.services.returns.reasons import seed_return_reasons
from ismartsync.services.roles import create_default_roles

MERCHANT_FIELDS = [
    "legal_name",
    "brand_name",
    "ntn",
    "strn",
    "tax_office",
    "address",
    "phone",
    "time_zone",
]
# How the counter sells: edited on their own screen (Settings → Selling).
SELLING_FIELDS = [
    "prices_include_tax",
    "default_tax_rate_bp",
    "negative_stock_policy",
    "pos_fee_minor",
    "cashier_discount_limit_bp",
    "buyer_name_threshold_minor",
    "receipt_link_days",
]
NEGATIVE_STOCK_POLICIES = ("warn", "block")
MAX_POS_FEE_MINOR = 10_00  # FBR's fee is Re 1; anything above Rs 10 is a typing mistake
MAX_BUYER_NAME_THRESHOLD_MINOR = 100_000_000_00  # Rs 10 crore
BRANCH_FIELDS = ["name", "code", "address", "phone", "active"]
COUNTER_FIELDS = ["name", "active"]


def email_taken(session: Session, email: str) -> bool:
    return session.scalar(select(User.id).where(func.lower(User.email) == email.strip().lower())) is not None


def sign_up_owner(
    session: Session, *, legal_name: str, brand_name: str, owner_name: str, email: str, password: str
) -> User:
    """Create a merchant with its default roles, a first branch and counter, and its owner."""
    if email_taken(session, email):
        raise DomainError("An account with this email already exists. Sign in instead.", field="email")
    merchant = Merchant(legal_name=legal_name.strip(), brand_name=brand_name.strip())
    session.add(merchant)
    roles = create_default_roles(session, merchant)
    branch = Branch(merchant=merchant, name="Main branch", code="MAIN")
    session.add(branch)
    session.flush()
    session.add(Counter(merchant_id=merchant.id, branch=branch, name="Counter 1"))
    owner = User(
        merchant=merchant,
        email=email.strip().lower(),
        full_name=owner_name.strip(),
        password_hash=hash_password(password),
        role=roles[OWNER_ROLE_NAME],
        all_branches=True,
    )
    session.add(owner)
    session.flush()
    seed_return_reasons(session, merchant)
    record_audit(session, Actor(owner), "merchant.sign_up", f"{merchant.brand_name} signed up", target=merchant)
    return owner


def _apply(obj: Any, values: dict[str, Any], fields: list[str]) -> None:
    for name in fields:
        # None is an optional field the form did not send (WTForms gives None, not ""): keep what is there.
        if values.get(name) is not None:
            setattr(obj, name, values[name].strip() if isinstance(values[name], str) else values[name])


def update_merchant(session: Session, actor: Actor, merchant: Merchant, values: dict[str, Any]) -> None:
    if merchant.reports_to_fbr and values.get("ntn") is not None and not values["ntn"].strip():
        raise DomainError(
            "Sales are reported to FBR under this NTN. Switch FBR off in Settings → FBR before removing it.",
            field="ntn",
        )
    before = snapshot(merchant, MERCHANT_FIELDS)
    _apply(merchant, values, MERCHANT_FIELDS)
    session.flush()
    record_audit(
        session,
        actor,
        "merchant.update",
        "Updated the business profile",
        target=merchant,
        before=before,
        after=snapshot(merchant, MERCHANT_FIELDS),
    )


def update_selling_settings(
    session: Session,
    actor: Actor,
    merchant: Merchant,
    *,
    prices_include_tax: bool,
    default_tax_rate_bp: int,
    negative_stock_policy: str,
    pos_fee_minor: int,
    cashier_discount_limit_bp: int,
    buyer_name_threshold_minor: int,
    receipt_link_days: int,
) -> None:
    """Set how the counter sells: tax, sales below zero stock, the POS fee, the cashier's discount limit, and how
    long the receipt links customers are sent keep opening."""
    if not 0 <= default_tax_rate_bp <= 10000:
        raise DomainError("The tax rate must be between 0 and 100 %.", field="default_tax_rate")
    if negative_stock_policy not in NEGATIVE_STOCK_POLICIES:
        raise DomainError("Choose whether to warn or not to sell.", field="negative_stock_policy")
    if not 0 <= pos_fee_minor <= MAX_POS_FEE_MINOR:
        raise DomainError("The POS fee must be between Rs 0 (off) and Rs 10.", field="pos_fee")
    if not 0 <= cashier_discount_limit_bp <= 10000:
        raise DomainError("The discount limit must be between 0 and 100 %.", field="cashier_discount_limit")
    if not 0 <= buyer_name_threshold_minor <= MAX_BUYER_NAME_THRESHOLD_MINOR:
        raise DomainError("Enter an amount from Rs 0 to Rs 100,000,000.", field="buyer_name_threshold")
    if not MIN_LINK_DAYS <= receipt_link_days <= MAX_LINK_DAYS:
        raise DomainError(f"Enter {MIN_LINK_DAYS} to {MAX_LINK_DAYS:,} days.", field="receipt_link_days")
    before = snapshot(merchant, SELLING_FIELDS)
    merchant.prices_include_tax = prices_include_tax
    merchant.default_tax_rate_bp = default_tax_rate_bp
    merchant.negative_stock_policy = negative_stock_policy
    merchant.pos_fee_minor = pos_fee_minor
    merchant.cashier_discount_limit_bp = cashier_discount_limit_bp
    merchant.buyer_name_threshold_minor = buyer_name_threshold_minor
    merchant.receipt_link_days = receipt_link_days
    session.flush()
    record_audit(
        session,
        actor,
        "settings.selling",
        "Updated the selling settings",
        target=merchant,
        before=before,
        after=snapshot(merchant, SELLING_FIELDS),
    )


def _check_branch_code(session: Session, merchant_id: int, code: str, branch_id: int | None) -> None:
    query = select(Branch.id).where(Branch.merchant_id == merchant_id, func.upper(Branch.code) == code.upper())
    existing = session.scalar(query)
    if existing is not None and existing != branch_id:
        raise DomainError("Another branch already uses this code.", field="code")


def create_branch(session: Session, actor: Actor, values: dict[str, Any]) -> Branch:
    _check_branch_code(session, actor.merchant_id, values["code"], None)
    branch = Branch(merchant_id=actor.merchant_id)
    _apply(branch, values, BRANCH_FIELDS)
    branch.code = branch.code.upper()
    session.add(branch)
    session.flush()
    record_audit(
        session,
        actor,
        "branch.create",
        f"Added branch {branch.name}",
        target=branch,
        branch_id=branch.id,
        after=snapshot(branch, BRANCH_FIELDS),
    )
    return branch


def update_branch(session: Session, actor: Actor, branch: Branch, values: dict[str, Any]) -> None:
    _check_branch_code(session, actor.merchant_id, values.get("code", branch.code), branch.id)
    before = snapshot(branch, BRANCH_FIELDS)
    _apply(branch, values, BRANCH_FIELDS)
    branch.code = branch.code.upper()
    session.flush()
    record_audit(
        session,
        actor,
        "branch.update",
        f"Updated branch {branch.name}",
        target=branch,
        branch_id=branch.id,
        before=before,
        after=snapshot(branch, BRANCH_FIELDS),
    )


def _check_counter_name(session: Session, branch: Branch, name: str, counter_id: int | None) -> None:
    query = select(Counter.id).where(Counter.branch_id == branch.id, func.lower(Counter.name) == name.strip().lower())
    existing = session.scalar(query)
    if existing is not None and existing != counter_id:
        raise DomainError("This branch already has a counter with that name.", field="name")


def create_counter(session: Session, actor: Actor, branch: Branch, values: dict[str, Any]) -> Counter:
    _check_counter_name(session, branch, values["name"], None)
    counter = Counter(merchant_id=actor.merchant_id, branch=branch)
    _apply(counter, values, COUNTER_FIELDS)
    session.add(counter)
    session.flush()
    record_audit(
        session,
        actor,
        "counter.create",
        f"Added {counter.name} at {branch.name}",
        target=counter,
        branch_id=branch.id,
        after=snapshot(counter, COUNTER_FIELDS),
    )
    return counter


def update_counter(session: Session, actor: Actor, counter: Counter, values: dict[str, Any]) -> None:
    _check_counter_name(session, counter.branch, values.get("name", counter.name), counter.id)
    before = snapshot(counter, COUNTER_FIELDS)
    _apply(counter, values, COUNTER_FIELDS)
    session.flush()
    record_audit(
        session,
        actor,
        "counter.update",
        f"Updated {counter.name} at {counter.branch.name}",
        target=counter,
        branch_id=counter.branch_id,
        before=before,
        after=snapshot(counter, COUNTER_FIELDS),
    )


CASH_FIELDS = ["cash_tolerance_minor", "blind_close", "max_shift_minutes", "shift_grace_minutes", "drawer_limit_minor"]


def update_cash_settings(
    session: Session,
    actor: Actor,
    merchant: Merchant,
    *,
    cash_tolerance_minor: int,
    blind_close: bool,
    max_shift_minutes: int,
    shift_grace_minutes: int,
    drawer_limit_minor: int,
) -> None:
    """Set how drawers are closed and watched; shift limits apply to shifts opened from now on."""
    if not 0 <= cash_tolerance_minor <= 1_000_000_00:
        raise DomainError("Enter a tolerance from Rs 0 to Rs 1,000,000.", field="cash_tolerance")
    if not 0 <= max_shift_minutes <= 24 * 60:
        raise DomainError("Enter 0 to 24 hours.", field="max_shift_hours")
    if not 0 <= shift_grace_minutes <= 240:
        raise DomainError("Enter 0 to 240 minutes.", field="shift_grace_minutes")
    if not 0 <= drawer_limit_minor <= 100_000_000_00:
        raise DomainError("Enter Rs 0 to Rs 100,000,000.", field="drawer_limit")
    before = snapshot(merchant, CASH_FIELDS)
    merchant.cash_tolerance_minor = cash_tolerance_minor
    merchant.blind_close = blind_close
    merchant.max_shift_minutes = max_shift_minutes
    merchant.shift_grace_minutes = shift_grace_minutes
    merchant.drawer_limit_minor = drawer_limit_minor
    session.flush()
    record_audit(
        session,
        actor,
        "settings.cash",
        "Updated the cash settings",
        target=merchant,
        before=before,
        after=snapshot(merchant, CASH_FIELDS),
    )
