"""What a merchant sets on a variant for selling: its tax (audited with before and after) and its quick key."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from ismartsync.errors import DomainError
from ismartsync.extensions import db
from ismartsync.models import AuditEntry, QuickKey
from ismartsync.services.audit import Actor
from ismartsync.services.products import MAX_QUICK_KEYS, is_quick_key, set_quick_key, set_variant_tax
from tests import factories


def _audits(action: str) -> list[AuditEntry]:
    return list(db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)))


def test_a_variants_tax_is_set_and_audited_with_before_and_after(owner, merchant):
    variant = factories.VariantFactory(product__merchant=merchant, pct_code="")

    set_variant_tax(db.session, Actor(owner), variant, tax_rate_bp=1700, pct_code="61091000", third_schedule=True)

    assert (variant.tax_rate_bp, variant.pct_code, variant.third_schedule) == (1700, "61091000", True)
    [entry] = _audits("variant.tax")
    assert entry.before == {"tax_rate_bp": None, "pct_code": "", "third_schedule": False}
    assert entry.after == {"tax_rate_bp": 1700, "pct_code": "61091000", "third_schedule": True}


def test_another_merchants_variant_is_never_changed(owner, other_merchant):
    theirs = factories.VariantFactory(product__merchant=other_merchant)
    with pytest.raises(ValueError):
        set_variant_tax(db.session, Actor(owner), theirs, tax_rate_bp=0, pct_code="", third_schedule=False)
    with pytest.raises(ValueError):
        set_quick_key(db.session, Actor(owner), theirs, True)
    assert theirs.tax_rate_bp is None and not is_quick_key(db.session, theirs)


def test_quick_keys_go_on_at_the_end_once_and_come_off(owner, merchant):
    first, second = (factories.VariantFactory(product__merchant=merchant) for _ in range(2))

    set_quick_key(db.session, Actor(owner), first, True)
    set_quick_key(db.session, Actor(owner), second, True)
    set_quick_key(db.session, Actor(owner), second, True)  # the same tap again changes nothing
    positions = db.session.execute(sa.select(QuickKey.variant_id, QuickKey.position).order_by(QuickKey.position))
    assert [tuple(row) for row in positions] == [(first.id, 1), (second.id, 2)]

    set_quick_key(db.session, Actor(owner), first, False)
    assert (is_quick_key(db.session, first), is_quick_key(db.session, second)) == (False, True)
    assert [e.summary for e in _audits("variant.quick_key")] == [
        f"{first.display_name} added to the quick keys",
        f"{second.display_name} added to the quick keys",
        f"{first.display_name} taken off the quick keys",
    ]


def test_a_full_grid_takes_no_more_quick_keys(owner, merchant):
    for _ in range(MAX_QUICK_KEYS):
        set_quick_key(db.session, Actor(owner), factories.VariantFactory(product__merchant=merchant), True)
    one_more = factories.VariantFactory(product__merchant=merchant)
    with pytest.raises(DomainError, match=f"The grid holds {MAX_QUICK_KEYS} quick keys"):
        set_quick_key(db.session, Actor(owner), one_more, True)
    assert not is_quick_key(db.session, one_more)
