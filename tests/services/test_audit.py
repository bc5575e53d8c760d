"""record_audit: one append-only entry per change, keeping only the fields that changed."""

from __future__ import annotations

from ismartsync.extensions import db
from ismartsync.services.audit import Actor, record_audit, snapshot
from tests import factories


def test_only_changed_fields_are_kept(owner):
    entry = record_audit(
        db.session,
        Actor(owner),
        "branch.update",
        "Updated branch Gulberg",
        before={"name": "Gulberg", "code": "GUL", "phone": ""},
        after={"name": "Gulberg Main", "code": "GUL", "phone": "042"},
    )
    assert entry.before == {"name": "Gulberg", "phone": ""}
    assert entry.after == {"name": "Gulberg Main", "phone": "042"}


def test_a_field_that_appears_or_disappears_counts_as_changed(owner):
    entry = record_audit(db.session, Actor(owner), "x.y", "s", before={"old": 1}, after={"new": 2})
    assert entry.before == {"new": None, "old": 1}
    assert entry.after == {"new": 2, "old": None}


def test_nothing_changed_leaves_empty_before_and_after(owner):
    entry = record_audit(db.session, Actor(owner), "x.y", "s", before={"a": 1}, after={"a": 1})
    assert (entry.before, entry.after) == ({}, {})


def test_one_sided_values_are_kept_whole(owner):
    entry = record_audit(db.session, Actor(owner), "staff.invite", "s", after={"role": "Cashier", "active": True})
    assert entry.before is None and entry.after == {"role": "Cashier", "active": True}


def test_entry_records_who_where_and_who_approved(owner, manager, branch, counter, cashier):
    actor = Actor(cashier, ip_address="203.0.113.9", branch_id=branch.id, counter_id=counter.id, approver=manager)
    entry = record_audit(db.session, actor, "approval", "Approved", target=counter)
    assert (entry.merchant_id, entry.actor_id, entry.approver_id) == (cashier.merchant_id, cashier.id, manager.id)
    assert (entry.branch_id, entry.counter_id, entry.ip_address) == (branch.id, counter.id, "203.0.113.9")
    assert (entry.target_type, entry.target_id) == ("Counter", counter.id)


def test_an_explicit_branch_wins_over_the_actors_place(owner, branch, merchant):
    elsewhere = factories.BranchFactory(merchant=merchant, code="DHA")
    entry = record_audit(db.session, Actor(owner, branch_id=branch.id), "x.y", "s", branch_id=elsewhere.id)
    assert entry.branch_id == elsewhere.id


def test_long_summary_and_address_are_cut_to_fit(owner):
    entry = record_audit(db.session, Actor(owner, ip_address="f" * 60), "x.y", "s" * 400)
    assert len(entry.summary) == 300 and len(entry.ip_address) == 45


def test_snapshot_turns_values_into_json_friendly_ones(merchant):
    values = snapshot(merchant, ["brand_name", "default_tax_rate_bp", "prices_include_tax", "created_at"])
    assert values["brand_name"] == merchant.brand_name
    assert values["default_tax_rate_bp"] == 1800 and values["prices_include_tax"] is True
    assert isinstance(values["created_at"], str)
