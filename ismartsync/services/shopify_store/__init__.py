"""What we keep of the merchant's Shopify store: its connection and tokens, its webhook deliveries, the branches
linked to its locations, and its catalog brought in (imports, changes announced by webhooks).

Domain operations like every service (flush, never commit); the HTTP client they use is `ismartsync/shopify/`.
"""
