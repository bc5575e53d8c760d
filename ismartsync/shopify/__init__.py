"""Everything iSmartSync says to Shopify goes through this package: the client, its operations, OAuth, mapping."""
