"""Fixtures for the Shopify store services: connecting a store needs our app pointed at a sandbox."""

from tests.shopify.fixtures import raced_connection, sandbox, shopify_app, start_sandbox, use_sandbox  # noqa: F401
