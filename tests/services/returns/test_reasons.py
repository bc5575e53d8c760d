"""The merchant's return reasons: the defaults every merchant starts with, the list the return screen offers, a
return's reasons looked up by code, and adding or changing one (audited, its code fixed once made)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from ismartsync.errors import DomainError
from ismartsync.extensions import db
from ismartsync.models import AuditEntry
from ismartsync.services.audit import Actor
from ismartsync.services.returns.reasons import (
    reasons_by_code,
    return_reasons,
    save_return_reason,
    seed_return_reasons,
)


def test_a_merchant_starts_with_the_defaults_once_and_defective_never_goes_back_on_the_shelf(merchant, reasons):
    listed = return_reasons(db.session, merchant.id)
    assert [(r.label, r.sellable, r.restock) for r in listed] == [
        ("Wrong size", True, True),
        ("Wrong colour", True, True),
        ("Defective", False, False),
        ("Changed mind", True, True),
        ("Other", True, True),
    ]
    assert seed_return_reasons(db.session, merchant) == []  # seeding again adds nothing


def test_a_switched_off_reason_is_not_offered_nor_accepted(merchant, owner, reasons):
    save_return_reason(
        db.session, Actor(owner), label="Other", sellable=True, restock=True, reason=reasons["other"], active=False
    )

    assert "Other" not in [r.label for r in return_reasons(db.session, merchant.id)]
    assert "Other" in [r.label for r in return_reasons(db.session, merchant.id, active_only=False)]
    assert set(reasons_by_code(db.session, merchant.id, {"wrong_size", "defective"})) == {"wrong_size", "defective"}
    with pytest.raises(DomainError, match="Choose why it came back") as refused:
        reasons_by_code(db.session, merchant.id, {"wrong_size", "other"})
    assert refused.value.field == "reason"


def test_another_merchants_reasons_are_not_ours(merchant, outsider):
    theirs = save_return_reason(db.session, Actor(outsider), label="Stitching", sellable=True, restock=True)
    with pytest.raises(DomainError):
        reasons_by_code(db.session, merchant.id, {theirs.code})


def test_a_new_reason_gets_a_code_of_its_own_at_the_end_of_the_list(merchant, owner, reasons):
    first = save_return_reason(db.session, Actor(owner), label="  Wrong size! ", sellable=False, restock=True)
    second = save_return_reason(db.session, Actor(owner), label="Wrong size", sellable=True, restock=False)

    assert (first.code, first.label, first.restock) == ("wrong_size_2", "Wrong size!", False)  # not sellable: kept off
    assert second.code == "wrong_size_3"
    assert [r.code for r in return_reasons(db.session, merchant.id)][-2:] == ["wrong_size_2", "wrong_size_3"]


def test_changing_a_reason_keeps_its_code_and_is_audited(owner, reasons):
    changed = save_return_reason(
        db.session, Actor(owner), label="Faulty", sellable=False, restock=False, reason=reasons["changed_mind"]
    )
    assert (changed.code, changed.label, changed.sellable) == ("changed_mind", "Faulty", False)
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "settings.return_reason")).one()
    assert entry.summary == "Return reason “Faulty” saved" and entry.target_id == changed.id
    assert (entry.before, entry.after) == (
        {"label": "Changed mind", "restock": True, "sellable": True},
        {"label": "Faulty", "restock": False, "sellable": False},
    )


@pytest.mark.parametrize("label", ["   ", "x" * 81])
def test_a_reason_needs_a_name_of_up_to_80_characters(owner, label):
    with pytest.raises(DomainError, match="up to 80 characters") as refused:
        save_return_reason(db.session, Actor(owner), label=label, sellable=True, restock=True)
    assert refused.value.field == "label"


def test_another_merchants_reason_cannot_be_changed(owner, other_merchant):
    (theirs, *_) = seed_return_reasons(db.session, other_merchant)
    with pytest.raises(ValueError, match="another merchant"):
        save_return_reason(db.session, Actor(owner), label="Mine now", sellable=True, restock=True, reason=theirs)
    assert theirs.label == "Wrong size"
