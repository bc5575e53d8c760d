#!/usr/bin/env bash
# The demo behind `make run`: migrate and seed SQLite, start the Shopify sandbox and the periodic jobs (sync sweep,
# reconciliations, incremental imports, in-process without Redis), serve the app; Ctrl+C stops them all.
set -euo pipefail
cd "$(dirname "$0")/.."

export FLASK_APP=app.py
export ISMARTSYNC_DEBUG=1 ISMARTSYNC_DEV_OUTBOX=1 ISMARTSYNC_LOG_FORMAT=text
# No Redis in the demo: jobs run on a background thread of the app, so a sale never waits on Shopify.
export ISMARTSYNC_JOBS_IN_BACKGROUND=1
export ISMARTSYNC_BASE_URL=http://127.0.0.1:5000
export ISMARTSYNC_SHOPIFY_API_BASE="http://127.0.0.1:5001/shops/{shop}"
export ISMARTSYNC_SHOPIFY_CLIENT_ID=ismartsync-demo ISMARTSYNC_SHOPIFY_CLIENT_SECRET=ismartsync-demo-secret

.venv/bin/flask db upgrade
.venv/bin/flask seed-demo

.venv/bin/python -m sandbox.shopify --port 5001 --app-url http://127.0.0.1:5000 &
sandbox=$!
trap 'kill "$sandbox" 2>/dev/null || true' EXIT INT TERM
.venv/bin/python -m jobs.scheduler &
scheduler=$!
trap 'kill "$sandbox" "$scheduler" 2>/dev/null || true' EXIT INT TERM

echo "Shopify sandbox: http://127.0.0.1:5001/sandbox/  (demo shop zari-demo.myshopify.com)"
echo "Serving on http://127.0.0.1:5000  (emails: http://127.0.0.1:5000/dev/outbox)"
.venv/bin/flask run --host 127.0.0.1 --port 5000
