"""The FBR circuit's rules, the same through Redis, without Redis (the demo) and while Redis is unreachable."""

from __future__ import annotations

import time
import uuid

import pytest
from redis import Redis

from ismartsync.fiscal import circuit
from tests.conftest import REDIS_URL

PROBE = 0.3  # seconds before the queue probes FBR again after a failed probe (30 in production)


@pytest.fixture(params=["redis", "no redis", "redis unreachable"])
def redis(request):
    if request.param == "redis":
        if not REDIS_URL:
            pytest.skip("needs ISMARTSYNC_TEST_REDIS_URL")
        connection = Redis.from_url(REDIS_URL)
    elif request.param == "redis unreachable":
        connection = Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.2, socket_timeout=0.2)
    else:
        connection = None
    circuit.forget_local()
    yield connection
    circuit.forget_local()


@pytest.fixture
def url() -> str:
    return f"http://fbr.test/{uuid.uuid4().hex}/PostData"


def failed(redis, url: str, *, probe: bool = False) -> None:
    circuit.record(redis, url, answered=False, probe=probe, probe_seconds=PROBE)


def answered(redis, url: str, *, probe: bool = False) -> None:
    circuit.record(redis, url, answered=True, probe=probe, probe_seconds=PROBE)


def test_one_failure_leaves_the_counters_trying(redis, url):
    failed(redis, url)
    assert circuit.allows_inline(redis, url)


def test_a_failure_among_answers_leaves_the_counters_trying(redis, url):
    for _ in range(5):
        answered(redis, url)
    failed(redis, url)
    failed(redis, url)
    assert circuit.allows_inline(redis, url)  # 2 of 7 failed


def test_most_recent_attempts_failing_stops_the_counters_waiting(redis, url):
    answered(redis, url)
    failed(redis, url)
    assert circuit.allows_inline(redis, url)  # 1 of 2: half is not most
    failed(redis, url)
    assert not circuit.allows_inline(redis, url)  # 2 of 3


def test_after_a_failure_the_queue_sends_one_probe_and_the_rest_wait_for_its_answer(redis, url):
    assert circuit.admit_queued(redis, url, sending_seconds=5) == circuit.GO
    failed(redis, url)

    first = circuit.admit_queued(redis, url, sending_seconds=5)
    second = circuit.admit_queued(redis, url, sending_seconds=5)

    assert first.probe and first.go
    assert not second.go and 4 < second.wait_seconds <= 5  # until the probe's answer, at the latest
    answered(redis, url, probe=True)
    assert circuit.admit_queued(redis, url, sending_seconds=5) == circuit.GO
    assert circuit.allows_inline(redis, url)


def test_each_failed_probe_doubles_the_pause_before_the_next(redis, url):
    failed(redis, url)
    assert circuit.admit_queued(redis, url, sending_seconds=5).probe
    failed(redis, url, probe=True)

    waiting = circuit.admit_queued(redis, url, sending_seconds=5)
    assert not waiting.go and waiting.wait_seconds <= PROBE
    time.sleep(PROBE + 0.1)
    assert circuit.admit_queued(redis, url, sending_seconds=5).probe
    failed(redis, url, probe=True)

    waiting = circuit.admit_queued(redis, url, sending_seconds=5)
    assert PROBE < waiting.wait_seconds <= 2 * PROBE


def test_fbr_answering_again_closes_the_circuit_and_forgets_the_outage(redis, url):
    for _ in range(3):
        failed(redis, url)
    assert not circuit.allows_inline(redis, url)
    assert circuit.admit_queued(redis, url, sending_seconds=5).probe

    answered(redis, url, probe=True)
    failed(redis, url)  # one failure after FBR came back

    assert circuit.allows_inline(redis, url)


def test_a_probe_that_was_not_sent_lets_the_next_one_go_at_once(redis, url):
    failed(redis, url)
    assert circuit.admit_queued(redis, url, sending_seconds=5).probe
    circuit.release_probe(redis, url)
    assert circuit.admit_queued(redis, url, sending_seconds=5).probe
