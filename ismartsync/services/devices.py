"""Pairing tablets to counters, and revoking them."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from sqlalchemy.orm import Session

from ismartsync.errors import DomainError
from ismartsync.models import Counter, Device
from ismartsync.models.base import utcnow
from ismartsync.services.audit import Actor, record_audit


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def pair_device(session: Session, actor: Actor, counter: Counter, label: str, user_agent: str) -> tuple[Device, str]:
    """Register this browser as a device of `counter`; return it and the secret for its cookie."""
    if not counter.active or not counter.branch.active:
        raise DomainError("This counter is switched off. Switch it on before pairing.")
    secret = secrets.token_urlsafe(32)
    device = Device(
        merchant_id=actor.merchant_id,
        counter=counter,
        label=label.strip() or "Tablet",
        secret_hash=_hash(secret),
        user_agent=user_agent[:300],
        paired_by_id=actor.user.id,
    )
    counter.last_paired_at = utcnow()
    session.add(device)
    session.flush()
    record_audit(
        session,
        actor,
        "device.pair",
        f"Paired “{device.label}” to {counter.label}",
        target=device,
        branch_id=counter.branch_id,
    )
    return device, secret


def device_secret_matches(device: Device, secret: str) -> bool:
    return hmac.compare_digest(device.secret_hash, _hash(secret))


def revoke_device(session: Session, actor: Actor, device: Device) -> None:
    if device.revoked_at is not None:
        return
    device.revoked_at = utcnow()
    device.revoked_by_id = actor.user.id
    session.flush()
    record_audit(
        session,
        actor,
        "device.revoke",
        f"Unpaired “{device.label}” from {device.counter.label}",
        target=device,
        branch_id=device.counter.branch_id,
    )
