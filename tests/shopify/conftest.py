"""Fixtures for the Shopify connection tests: our app pointed at a sandbox (fixtures.py)."""

from tests.shopify.fixtures import sandbox, shopify_app, start_sandbox, use_sandbox  # noqa: F401
