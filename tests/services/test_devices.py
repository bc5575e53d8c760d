"""Pairing tablets to counters and unpairing them."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from ismartsync.errors import DomainError
from ismartsync.extensions import db
from ismartsync.models import AuditEntry
from ismartsync.services.audit import Actor
from ismartsync.services.devices import device_secret_matches, pair_device, revoke_device


def test_paired_device_keeps_only_a_hash_of_its_secret(manager, counter):
    device, secret = pair_device(db.session, Actor(manager), counter, "  ", "Mozilla/5.0 " * 40)
    assert device.label == "Tablet" and len(device.user_agent) == 300
    assert secret not in device.secret_hash
    assert device_secret_matches(device, secret) and not device_secret_matches(device, secret + "x")
    assert counter.last_paired_at is not None


@pytest.mark.parametrize("switched_off", ["counter", "branch"])
def test_switched_off_counter_or_branch_cannot_be_paired(manager, counter, switched_off):
    (counter if switched_off == "counter" else counter.branch).active = False
    with pytest.raises(DomainError, match="switched off"):
        pair_device(db.session, Actor(manager), counter, "Tablet", "")


def test_revoking_twice_logs_once(manager, counter):
    device, _ = pair_device(db.session, Actor(manager), counter, "Tablet", "")
    revoke_device(db.session, Actor(manager), device)
    revoked_at = device.revoked_at
    revoke_device(db.session, Actor(manager), device)
    assert device.revoked_at == revoked_at and not device.is_active
    count = select(func.count()).where(AuditEntry.target_id == device.id, AuditEntry.action == "device.revoke")
    assert db.session.scalar(count) == 1
