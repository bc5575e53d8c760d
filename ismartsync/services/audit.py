"""Who is acting, and the append-only audit log of what they did."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from ismartsync.models import AuditEntry, User


@dataclass(frozen=True)
class Actor:
    """The member doing something, where, and who approved it (if anyone)."""

    user: User
    ip_address: str = ""
    branch_id: int | None = None
    counter_id: int | None = None
    approver: User | None = None

    @property
    def merchant_id(self) -> int:
        return self.user.merchant_id


def snapshot(obj: Any, fields: list[str]) -> dict[str, Any]:
    """The audited fields of a row, as JSON-friendly values."""
    values = {}
    for name in fields:
        value = getattr(obj, name)
        values[name] = value if isinstance(value, (str, int, bool, type(None))) else str(value)
    return values


def record_audit(
    session: Session,
    actor: Actor,
    action: str,
    summary: str,
    *,
    target: Any = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    branch_id: int | None = None,
) -> AuditEntry:
    """Append one entry; only the changed fields of `before`/`after` are kept."""
    if before is not None and after is not None:
        changed = {k for k in set(before) | set(after) if before.get(k) != after.get(k)}
        before = {k: before.get(k) for k in sorted(changed)}
        after = {k: after.get(k) for k in sorted(changed)}
    entry = AuditEntry(
        merchant_id=actor.merchant_id,
        actor_id=actor.user.id,
        approver_id=actor.approver.id if actor.approver else None,
        action=action,
        summary=summary[:300],
        target_type=type(target).__name__ if target is not None else "",
        target_id=getattr(target, "id", None),
        branch_id=branch_id if branch_id is not None else actor.branch_id,
        counter_id=actor.counter_id,
        before=before,
        after=after,
        ip_address=actor.ip_address[:45],
    )
    session.add(entry)
    session.flush()
    return entry
