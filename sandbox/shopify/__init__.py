"""A local Shopify: Admin GraphQL API 2026-07 on the real schema, OAuth, webhooks, bulk operations, rate limits and
fault injection, seeded with a Pakistani apparel and footwear shop. Start with `python -m sandbox.shopify`."""

from sandbox.shopify.app import create_sandbox_app

__all__ = ["create_sandbox_app"]
