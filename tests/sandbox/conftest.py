"""The sandbox fixtures live in tests/sandbox_fixtures.py (a plugin every test directory gets); these names stay
importable from here for the tests that already do."""

from tests.sandbox_fixtures import (  # noqa: F401
    CLIENT_ID,
    CLIENT_SECRET,
    OTHER_SHOP,
    SHOP,
    TOKEN,
    HttpResponse,
    Receiver,
    RunningSandbox,
    http,
    make_shopify_sandbox,
    sandbox_config,
    shopify_sandbox,
    webhook_receiver,
)
