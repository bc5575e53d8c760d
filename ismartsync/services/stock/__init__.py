"""Branch stock and its sync with Shopify: the ledger, the outbox of changes Shopify must hear of, push batches,
Shopify-side changes coming in, reconciliation, and the figures of the sync health screen.

Domain operations like every service (flush, never commit); `ismartsync/pipelines/` runs the steps that call
Shopify and commit between them.
"""
