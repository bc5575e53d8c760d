"""Work that commits between network steps: claim → commit → call Shopify, FBR or a mail server → record the answer.

Services flush and never commit, so a view, a job, a CLI command and a test call them alike. Some work cannot be
one transaction: a stock batch's idempotency key and exact request are on record before Shopify sees them, an FBR
attempt is on record before FBR sees the invoice, progress is saved while a long import runs, and no row stays
locked while we wait on the network. That work lives here, one module per thing it drives, each to be read top to
bottom: `stock_push`, `stock_refresh`, `reconciliation`, `catalog_import`, `webhooks`, `fbr_report`, `email`.

Besides the entry points (views with their request hooks, jobs, CLI commands), this is the only package that
commits. A pipeline takes a session and ids, does its database steps through services (flush only) and its network
steps through `ismartsync/shopify/`, `ismartsync/fiscal/` or SMTP, and commits in between. Jobs (`jobs/`) and the
counter's after-commit step call it; it imports neither views nor jobs (`tests/test_layering.py` holds all this).
"""
