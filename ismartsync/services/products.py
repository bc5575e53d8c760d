"""What the merchant sets on a variant for selling here: its tax (rate, PCT code, Third Schedule) and quick keys."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ismartsync.errors import DomainError
from ismartsync.models import QuickKey, Variant
from ismartsync.services.audit import Actor, record_audit, snapshot

TAX_FIELDS = ["tax_rate_bp", "pct_code", "third_schedule"]
MAX_QUICK_KEYS = 24


def set_variant_tax(
    session: Session, actor: Actor, variant: Variant, *, tax_rate_bp: int | None, pct_code: str, third_schedule: bool
) -> None:
    """Set the variant's own rate (None: the merchant's standard rate), PCT code and Third-Schedule flag; audited."""
    if variant.merchant_id != actor.merchant_id:
        raise ValueError("variant of another merchant")
    before = snapshot(variant, TAX_FIELDS)
    variant.tax_rate_bp, variant.pct_code, variant.third_schedule = tax_rate_bp, pct_code, third_schedule
    record_audit(
        session,
        actor,
        "variant.tax",
        f"Tax of {variant.display_name} changed",
        target=variant,
        before=before,
        after=snapshot(variant, TAX_FIELDS),
    )


def is_quick_key(session: Session, variant: Variant) -> bool:
    return session.scalar(select(QuickKey.id).where(QuickKey.variant_id == variant.id)) is not None


def set_quick_key(session: Session, actor: Actor, variant: Variant, on: bool) -> None:
    """Put the variant on the counters' quick-key grid (at the end), or take it off."""
    if variant.merchant_id != actor.merchant_id:
        raise ValueError("variant of another merchant")
    key = session.scalar(select(QuickKey).where(QuickKey.variant_id == variant.id))
    if on and key is None:
        mine = QuickKey.merchant_id == actor.merchant_id
        if session.scalar(select(func.count(QuickKey.id)).where(mine)) >= MAX_QUICK_KEYS:
            raise DomainError(f"The grid holds {MAX_QUICK_KEYS} quick keys. Take one off first.")
        last = session.scalar(select(func.max(QuickKey.position)).where(mine))
        session.add(QuickKey(merchant_id=actor.merchant_id, variant_id=variant.id, position=(last or 0) + 1))
    elif not on and key is not None:
        session.delete(key)
    else:
        return
    session.flush()
    record_audit(
        session,
        actor,
        "variant.quick_key",
        f"{variant.display_name} {'added to' if on else 'taken off'} the quick keys",
        target=variant,
    )
