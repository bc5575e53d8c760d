"""Fixtures for the job tests: the Shopify jobs need our app pointed at a sandbox; the fault tests need real worker
processes and a database they can see."""

from tests.jobs.workers import committed, workers  # noqa: F401
from tests.shopify.fixtures import sandbox, shopify_app, start_sandbox, use_sandbox  # noqa: F401
from tests.shopify.synced import synced  # noqa: F401
