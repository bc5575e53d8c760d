"""Fixtures for the Shopify connection tests: the sandbox's own, and ours on top (fixtures.py)."""

from tests.sandbox.conftest import make_shopify_sandbox, webhook_receiver  # noqa: F401
from tests.shopify.fixtures import sandbox, shopify_app, start_sandbox, use_sandbox  # noqa: F401
