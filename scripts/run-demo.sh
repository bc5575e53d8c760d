#!/usr/bin/env bash
# The demo behind `make run`: migrate and seed SQLite, start the Shopify and FBR sandboxes and the periodic jobs (sync
# sweep, reconciliations, incremental imports, in-process without Redis), serve the app; Ctrl+C stops them all.
set -euo pipefail
cd "$(dirname "$0")/.."

export FLASK_APP=app.py
export ISMARTSYNC_DEBUG=1 ISMARTSYNC_DEV_OUTBOX=1 ISMARTSYNC_LOG_FORMAT=text
# No Redis in the demo: jobs run on a background thread of the app, so a sale never waits on Shopify.
export ISMARTSYNC_JOBS_IN_BACKGROUND=1
export ISMARTSYNC_BASE_URL=http://127.0.0.1:5000
export ISMARTSYNC_SHOPIFY_API_BASE="http://127.0.0.1:5001/shops/{shop}"
export ISMARTSYNC_SHOPIFY_CLIENT_ID=ismartsync-demo ISMARTSYNC_SHOPIFY_CLIENT_SECRET=ismartsync-demo-secret
# FBR IMS: the sandbox stands in for FBR's hosts; seed-demo gives the demo counters these POSIDs and this token.
export ISMARTSYNC_FBR_API_BASE=http://127.0.0.1:5002
FBR_DEMO_TOKENS="810001,810002,810003,810004:zari-demo-7f3b9c2e-51d4-4e8a-9b61-0c2d4e6f8a10"

.venv/bin/flask db upgrade
.venv/bin/flask seed-demo

# The sandbox reads our shopify.app.toml: the demo app (OAuth) gets the webhooks it declares, nothing more.
.venv/bin/python -m sandbox.shopify --port 5001 --app-url http://127.0.0.1:5000 --app-toml shopify.app.toml &
sandbox=$!
trap 'kill "$sandbox" 2>/dev/null || true' EXIT INT TERM
.venv/bin/python -m sandbox.fbr --port 5002 --token "$FBR_DEMO_TOKENS" &
fbr=$!
trap 'kill "$sandbox" "$fbr" 2>/dev/null || true' EXIT INT TERM
.venv/bin/python -m jobs.scheduler &
scheduler=$!
trap 'kill "$sandbox" "$fbr" "$scheduler" 2>/dev/null || true' EXIT INT TERM

echo "Shopify sandbox: http://127.0.0.1:5001/sandbox/  (demo shop zari-demo.myshopify.com)"
echo "FBR sandbox:     http://127.0.0.1:5002/control/state  (POSIDs 810001-810004; invoices at /control/invoices)"
echo "Serving on http://127.0.0.1:5000  (emails: http://127.0.0.1:5000/dev/outbox)"
.venv/bin/flask run --host 127.0.0.1 --port 5000
