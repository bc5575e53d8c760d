"""Which counter reports a branch's online orders to FBR (Settings → FBR): the choices, the setting, and why a
branch's online orders are not reported when they are not."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ismartsync.errors import DomainError
from ismartsync.models import Branch, Counter, Merchant, OnlineReportingCounter
from ismartsync.services.audit import Actor, record_audit
from ismartsync.services.fiscal.settings import counter_reports_to_fbr


def online_counter_choices(branch: Branch) -> list[Counter]:
    """The counters that may report the branch's online orders: its own, in use, switched on for FBR with a POSID."""
    return [c for c in branch.counters if c.active and c.fbr_enabled and c.fbr_pos_id]


def online_counter_of(session: Session, branch: Branch) -> Counter | None:
    """The counter chosen for the branch's online orders (whether or not it reports just now); None: none chosen."""
    row = session.scalar(select(OnlineReportingCounter).where(OnlineReportingCounter.branch_id == branch.id))
    return row.counter if row is not None else None


def reporting_counter(session: Session, merchant: Merchant, branch: Branch) -> Counter | None:
    """The counter whose POSID reports an online order dispatched from `branch` now; None: not reported."""
    counter = online_counter_of(session, branch)
    if counter is None or counter.branch_id != branch.id or not counter.active:
        return None
    return counter if counter_reports_to_fbr(merchant, counter) else None


def online_reporting_note(session: Session, merchant: Merchant, branch: Branch) -> str | None:
    """Why online orders dispatched from `branch` get no FBR invoice, in the words the screens show; None: they do."""
    counter = online_counter_of(session, branch)
    if counter is None:
        return (
            f"Online orders dispatched from {branch.name} are not reported to FBR: no counter is chosen for them "
            "in Settings → FBR."
        )
    if reporting_counter(session, merchant, branch) is None:
        return (
            f"Online orders dispatched from {branch.name} are not reported to FBR: {counter.name}, chosen for them "
            "in Settings → FBR, does not report just now (switched off, no POSID or no token)."
        )
    return None


def set_online_counter(session: Session, actor: Actor, branch: Branch, counter_id: int | None) -> None:
    """Choose the counter (by id; None: none) that reports `branch`'s online orders. Only one of the branch's own
    FBR counters may be chosen; choosing the same again changes nothing."""
    current = session.scalar(select(OnlineReportingCounter).where(OnlineReportingCounter.branch_id == branch.id))
    before = current.counter.name if current is not None else None
    counter = None
    if counter_id is not None:
        counter = next((c for c in online_counter_choices(branch) if c.id == counter_id), None)
        if counter is None:
            raise DomainError(
                f"Choose one of {branch.name}'s counters that report to FBR (switched on, with a POSID).",
                field="counter_id",
            )
    if (counter.name if counter else None) == before:
        return
    if counter is None:
        assert current is not None
        session.delete(current)
    elif current is None:
        session.add(OnlineReportingCounter(merchant_id=branch.merchant_id, branch_id=branch.id, counter_id=counter.id))
    else:
        current.counter_id = counter.id
    session.flush()
    record_audit(
        session,
        actor,
        "settings.fbr_online",
        f"Online orders at {branch.name} reported by {counter.name}"
        if counter
        else f"Online orders at {branch.name} no longer reported to FBR",
        target=branch,
        branch_id=branch.id,
        before={"counter": before},
        after={"counter": counter.name if counter else None},
    )
