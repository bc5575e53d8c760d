"""The URLs of a pytest-xdist worker: its own PostgreSQL database and Redis database, serial runs untouched."""

from __future__ import annotations

import pytest

from tests.parallel import isolate_worker, worker_database_url, worker_redis_url

DB = "postgresql://postgres@127.0.0.1:5432/ismartsync_test"
REDIS = "redis://127.0.0.1:6379/6"


def test_each_worker_has_its_own_database_and_redis_database():
    assert worker_database_url(DB, "gw0") == "postgresql://postgres@127.0.0.1:5432/ismartsync_test_gw0"
    assert worker_database_url(DB + "?sslmode=disable", "gw1").endswith("/ismartsync_test_gw1?sslmode=disable")
    assert [worker_redis_url(REDIS, w) for w in ("gw0", "gw1")] == [
        "redis://127.0.0.1:6379/6",
        "redis://127.0.0.1:6379/7",
    ]
    assert worker_redis_url("redis://:secret@127.0.0.1:6379", "gw2") == "redis://:secret@127.0.0.1:6379/2"


def test_a_serial_run_keeps_the_urls_and_a_worker_rewrites_them_once():
    serial = {"ISMARTSYNC_TEST_DATABASE_URL": DB, "ISMARTSYNC_TEST_REDIS_URL": REDIS}
    isolate_worker(serial)
    assert serial == {"ISMARTSYNC_TEST_DATABASE_URL": DB, "ISMARTSYNC_TEST_REDIS_URL": REDIS}

    worker = {**serial, "PYTEST_XDIST_WORKER": "gw1"}
    isolate_worker(worker)
    isolate_worker(worker)  # conftest imported again: still gw1's, not gw1's of gw1's
    assert worker["ISMARTSYNC_TEST_DATABASE_URL"].endswith("/ismartsync_test_gw1")
    assert worker["ISMARTSYNC_TEST_REDIS_URL"] == "redis://127.0.0.1:6379/7"


def test_a_database_url_without_a_database_is_refused():
    with pytest.raises(ValueError, match="names no database"):
        worker_database_url("postgresql://postgres@127.0.0.1:5432", "gw0")
