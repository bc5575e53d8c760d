"""The Admin API version iSmartSync speaks: the one place it is pinned."""

from __future__ import annotations

# Every operation in `operations/` is validated against this version's schema (tests/shopify/test_operations.py).
# Moving it means re-running that test against the new schema and reading the changelog for breaking changes.
API_VERSION = "2026-07"
