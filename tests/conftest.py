"""Fixtures: the schema built by the migrations, one rolled-back transaction per test.

PostgreSQL and Redis are used when `ISMARTSYNC_TEST_DATABASE_URL` / `ISMARTSYNC_TEST_REDIS_URL` are set
(always in CI); otherwise a SQLite file and in-process jobs. Under pytest-xdist every worker has a database and a
Redis database of its own (`tests.parallel`), set in the environment before anything here reads it.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from flask_migrate import upgrade
from redis import Redis
from rq import SimpleWorker

from ismartsync import create_app, throttle
from ismartsync.extensions import db, limiter
from ismartsync.queue import get_queue, redis_connection
from tests import factories
from tests.parallel import isolate_worker

isolate_worker(os.environ)  # before any test module reads the URLs below from the environment
pytest_plugins = ["tests.sandbox_fixtures", "tests.fbr_fixtures"]  # the sandboxes, for every test directory
DATABASE_URL = os.environ.get("ISMARTSYNC_TEST_DATABASE_URL")
REDIS_URL = os.environ.get("ISMARTSYNC_TEST_REDIS_URL")
TEST_ENCRYPTION_KEY = "dGVzdC1vbmx5LWVuY3J5cHRpb24ta2V5LTMyYnl0ZSE="


def _database_url(tmp_dir: Path) -> str:
    if not DATABASE_URL:
        return f"sqlite:///{tmp_dir / 'test.sqlite3'}"
    url = sa.make_url(DATABASE_URL)
    if url.drivername == "postgresql":
        url = url.set(drivername="postgresql+psycopg")
    return url.render_as_string(hide_password=False)


def _reset_database(url: str) -> None:
    """Create the test database if missing and empty it, so the migrations build it from scratch."""
    parsed = sa.make_url(url)
    if parsed.get_backend_name() != "postgresql":
        return
    admin = sa.create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        exists = conn.scalar(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": parsed.database})
        if not exists:
            conn.exec_driver_sql(f'CREATE DATABASE "{parsed.database}"')
    admin.dispose()
    engine = sa.create_engine(parsed, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.exec_driver_sql("DROP SCHEMA public CASCADE")
        conn.exec_driver_sql("CREATE SCHEMA public")
    engine.dispose()


def make_test_config(database_url: str, **extra: object) -> dict[str, object]:
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "REDIS_URL": REDIS_URL,
        "RATELIMIT_STORAGE_URI": REDIS_URL or "memory://",
        "ENCRYPTION_KEYS": TEST_ENCRYPTION_KEY,
        "DEV_OUTBOX": True,
        "SERVER_NAME": "localhost",
        "LOG_FORMAT": "text",
        **extra,
    }


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = _database_url(tmp_path_factory.mktemp("db"))
    _reset_database(url)
    return url


class RequestScopedClient(FlaskClient):
    """Each request gets its own app context, as in production: its own `g` and its own database session.

    Without this every request would reuse the test's app context, so `g` (the CSRF token, the approver)
    would leak from one request into the next, and a view that forgot to commit would still look right.
    """

    def open(self, *args: object, **kwargs: object):  # type: ignore[override]
        with self.application.app_context():
            return super().open(*args, **kwargs)


@pytest.fixture(scope="session")
def app(database_url: str) -> Iterator[Flask]:
    app = create_app(make_test_config(database_url))
    app.test_client_class = RequestScopedClient
    with app.app_context():
        upgrade()  # the schema comes from the migrations, never from create_all
    if REDIS_URL:
        Redis.from_url(REDIS_URL).flushdb()
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(autouse=True)
def _transaction(app: Flask) -> Iterator[None]:
    """Run each test in an outer transaction that is rolled back, so code under test can commit.

    Every session the app opens (requests, in-process jobs, workers run in this process) is bound
    to the same connection and joins the outer transaction through a savepoint.
    """
    with app.app_context():
        engine = db.engine
        connection = engine.connect()
        outer = connection.begin()
        engines = db.engines
        engines[None] = connection  # type: ignore[assignment]
        db.session.remove()
        db.session.session_factory.kw["join_transaction_mode"] = "create_savepoint"
        limiter.reset()
        throttle.reset()
        try:
            yield
        finally:
            db.session.remove()
            engines[None] = engine
            outer.rollback()
            connection.close()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


class Browser:
    """A test client that signs in and submits forms with their CSRF token, like a person would."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client

    def csrf(self, path: str = "/sign-in") -> str:
        # Following redirects: a signed-in member is sent on from /sign-in, a locked tablet to its lock screen.
        html = self.client.get(path, follow_redirects=True).get_data(as_text=True)
        match = CSRF_RE.search(html)
        assert match, f"no CSRF token on {path}"
        return match.group(1)

    def get(self, path: str, **kwargs: object):
        return self.client.get(path, **kwargs)

    def post(self, path: str, data: dict | None = None, *, htmx: bool = False, **kwargs: object):
        data = dict(data or {})
        data.setdefault("csrf_token", self.csrf())
        headers = dict(kwargs.pop("headers", {}) or {})
        if htmx:
            headers["HX-Request"] = "true"
        return self.client.post(path, data=data, headers=headers, **kwargs)

    def sign_in(self, user: object, password: str = factories.PASSWORD) -> None:
        response = self.post("/sign-in", {"email": user.email, "password": password})
        assert response.status_code == 303, response.get_data(as_text=True)


@pytest.fixture
def browser(client: FlaskClient) -> Browser:
    return Browser(client)


@pytest.fixture
def merchant() -> object:
    return factories.MerchantFactory()


@pytest.fixture
def roles(merchant: object) -> dict[str, object]:
    return factories.roles_of(merchant)


@pytest.fixture
def owner(merchant: object, roles: dict[str, object]) -> object:
    return factories.UserFactory(merchant=merchant, role=roles["Owner"], all_branches=True)


@pytest.fixture
def make_browser(app: Flask) -> Callable[[], Browser]:
    """Another person at another screen: a fresh client with its own cookies."""
    return lambda: Browser(app.test_client())


@pytest.fixture
def paired_tablet(make_browser: Callable[[], Browser], manager: object, counter: object) -> Browser:
    """A browser a manager paired to the counter and then signed out of: it shows the PIN pad."""
    tablet = make_browser()
    tablet.sign_in(manager)
    assert tablet.post(f"/device/pair/{counter.id}", {"label": "Front tablet"}).status_code == 303
    tablet.post("/sign-out")
    return tablet


@pytest.fixture
def branch(merchant: object) -> object:
    return factories.BranchFactory(merchant=merchant, name="Gulberg", code="GUL")


@pytest.fixture
def counter(branch: object) -> object:
    return factories.CounterFactory(branch=branch, name="Counter 1")


@pytest.fixture
def manager(merchant: object, roles: dict[str, object]) -> object:
    return factories.UserFactory(merchant=merchant, role=roles["Manager"], all_branches=True, full_name="Bilal Ahmed")


@pytest.fixture
def cashier(merchant: object, roles: dict[str, object], branch: object) -> object:
    return factories.UserFactory(merchant=merchant, role=roles["Cashier"], branches=[branch], full_name="Sana Iqbal")


@pytest.fixture
def other_merchant() -> object:
    return factories.MerchantFactory()


@pytest.fixture
def outsider(other_merchant: object) -> object:
    """The owner of another merchant: nothing of ours may ever reach them, or them us."""
    owner_role = factories.roles_of(other_merchant)["Owner"]
    return factories.UserFactory(merchant=other_merchant, role=owner_role, all_branches=True, full_name="Other Owner")


@pytest.fixture
def run_jobs(app: Flask) -> Callable[..., None]:
    """Work off the queued jobs like a worker would; without Redis they already ran in-process at commit."""

    def run(*queues: str) -> None:
        if not REDIS_URL:
            return
        SimpleWorker([get_queue(q) for q in queues or ("email",)], connection=redis_connection()).work(burst=True)

    return run
