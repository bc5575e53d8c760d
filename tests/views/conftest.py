"""Fixtures for the view tests: the Shopify connection screens need our app pointed at a sandbox."""

from tests.shopify.fixtures import sandbox, shopify_app, start_sandbox, use_sandbox  # noqa: F401
