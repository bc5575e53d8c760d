"""Fixtures for the pipeline tests: the Shopify pipelines need our app pointed at a sandbox, the stock ones a
connected store with its catalog imported (`synced`)."""

from tests.shopify.fixtures import raced_connection, sandbox, shopify_app, start_sandbox, use_sandbox  # noqa: F401
from tests.shopify.synced import chain, synced  # noqa: F401
