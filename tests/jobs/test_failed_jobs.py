"""Failed jobs an operator reads about: a failure is forgotten once the same call has succeeded since; one that has
not recovered stays counted."""

from __future__ import annotations

from pathlib import Path

import pytest

from ismartsync.extensions import db
from ismartsync.queue import enqueue_after_commit, get_queue, resolve
from jobs import job
from jobs.scheduler import periodic_jobs
from tests.conftest import REDIS_URL

pytestmark = pytest.mark.skipif(not REDIS_URL, reason="needs ISMARTSYNC_TEST_REDIS_URL: failed jobs live in RQ")
HEALTH_TOKEN = "health-token-for-tests"


@job
def needs_file(path: str) -> None:
    """A job for these tests: it fails until its file exists."""
    if not Path(path).exists():
        raise FileNotFoundError(path)


@pytest.fixture
def default_queue(app):
    queue = get_queue("default")
    queue.empty()
    for registry in (queue.failed_job_registry, queue.finished_job_registry):
        for job_id in registry.get_job_ids():
            registry.remove(job_id, delete_job=True)
    yield queue
    queue.empty()


def _ask(path: Path) -> None:
    enqueue_after_commit(db.session, "tests.jobs.test_failed_jobs.needs_file", str(path), retries=0)
    db.session.commit()  # enqueued after the commit; the outer test transaction still rolls back


def _tick(app) -> None:
    """One tick of every periodic job, as the scheduler runs them."""
    for periodic in periodic_jobs(app.config):
        resolve(periodic.func)()


def _failed_on_health(client) -> int:
    response = client.get("/healthz", headers={"Authorization": f"Bearer {HEALTH_TOKEN}"})
    return response.get_json()["checks"]["queues"]["default"]["failed"]


def test_a_failure_whose_call_succeeded_since_is_no_longer_counted(
    app, client, default_queue, tmp_path, run_jobs, monkeypatch
):
    monkeypatch.setitem(app.config, "HEALTH_TOKEN", HEALTH_TOKEN)
    ready, never = tmp_path / "ready", tmp_path / "never"
    _ask(ready)
    _ask(never)
    run_jobs("default")
    assert default_queue.failed_job_registry.count == 2

    ready.touch()
    _ask(ready)  # the same call again, now that what it needed is there
    run_jobs("default")
    _tick(app)

    [still_failed] = default_queue.failed_job_registry.get_job_ids()
    assert default_queue.fetch_job(still_failed).args == (str(never),)  # that one has not recovered
    assert _failed_on_health(client) == 1
