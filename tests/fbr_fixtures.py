"""Fixtures for FBR reporting: the FBR sandbox on a free port with the test token, and the app pointed at it.

A pytest plugin (`pytest_plugins` in tests/conftest.py), so every test directory can report sales to FBR.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator

import pytest
from flask import Flask
from redis import Redis

from ismartsync.fiscal import circuit
from ismartsync.queue import get_queue
from tests import factories
from tests.sandbox_fixtures import RunningFbr

REDIS_URL = os.environ.get("ISMARTSYNC_TEST_REDIS_URL")
POSIDS = [factories.FIRST_POSID + n for n in range(4)]


def forget_circuits() -> None:
    """Each test starts with FBR presumed answering: no circuit left open by an earlier test."""
    circuit.forget_local()
    if REDIS_URL:
        redis = Redis.from_url(REDIS_URL)
        for key in redis.scan_iter("ismartsync:fbr:circuit:*"):
            redis.delete(key)
        redis.close()


@pytest.fixture
def fbr(
    make_fbr_sandbox: Callable[..., RunningFbr], app: Flask, monkeypatch: pytest.MonkeyPatch
) -> Iterator[RunningFbr]:
    """A running FBR sandbox that knows the test token for POSIDs 810001–810004; the app reports to it."""
    running = make_fbr_sandbox(tokens=[{"posid": p, "token": factories.FBR_TOKEN} for p in POSIDS])
    monkeypatch.setitem(app.config, "FBR_API_BASE", running.url)
    monkeypatch.setitem(app.config, "FBR_INLINE_TIMEOUT_SECONDS", 1.0)
    monkeypatch.setitem(app.config, "FBR_TIMEOUT_SECONDS", 1.0)
    forget_circuits()
    yield running
    forget_circuits()
    if REDIS_URL:  # reports a skipped checkout queued for the probe belong to this test's rolled-back sales
        get_queue("fiscal", app).empty()
