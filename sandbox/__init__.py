"""Local stand-ins for the external services iSmartSync talks to (Shopify, FBR), for the demo and the tests."""
