"""`python -m sandbox.shopify --port 5001 --app-url http://127.0.0.1:5000 [--variants N]`: run the sandbox."""

from __future__ import annotations

import argparse
import json
import logging
import time
from pathlib import Path

from werkzeug.serving import run_simple

from sandbox.shopify.app import create_sandbox_app

APP_TOML = Path(__file__).resolve().parents[2] / "shopify.app.toml"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m sandbox.shopify", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5001)
    parser.add_argument(
        "--app-url", default="http://127.0.0.1:5000", help="iSmartSync's base URL (redirects, webhooks)"
    )
    parser.add_argument("--variants", type=int, help="variants in the main demo shop (default 300)")
    parser.add_argument("--seed", type=int)
    parser.add_argument("--client-id", help="the app's client id (default ismartsync-demo)")
    parser.add_argument("--client-secret", help="the app's client secret (default ismartsync-demo-secret)")
    parser.add_argument(
        "--config", type=Path, help="JSON file merged over the defaults (see sandbox/shopify/config.py)"
    )
    parser.add_argument(
        "--app-toml",
        type=Path,
        default=APP_TOML if APP_TOML.is_file() else None,
        help="the app's shopify.app.toml: the webhooks it declares (default: the repository's)",
    )
    args = parser.parse_args(argv)
    config = json.loads(args.config.read_text()) if args.config else {}
    config["app_url"] = args.app_url
    config.setdefault("public_url", f"http://{args.host}:{args.port}")
    if args.variants is not None:
        config["variants"] = args.variants
    if args.seed is not None:
        config["seed"] = args.seed
    if args.client_id or args.client_secret:
        app_spec = (config.get("apps") or [{}])[0]
        app_spec.setdefault("client_id", args.client_id or "ismartsync-demo")
        app_spec.setdefault("client_secret", args.client_secret or "ismartsync-demo-secret")
        config["apps"] = [app_spec, *(config.get("apps") or [])[1:]]
    if args.app_toml is not None:
        app_spec = (config.get("apps") or [{}])[0]
        app_spec.setdefault("client_id", args.client_id or "ismartsync-demo")
        app_spec.setdefault("client_secret", args.client_secret or "ismartsync-demo-secret")
        app_spec.setdefault("app_toml", str(args.app_toml))
        config["apps"] = [app_spec, *(config.get("apps") or [])[1:]]
    started = time.monotonic()
    app = create_sandbox_app(config)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    shops = ", ".join(
        f"{s.domain} ({len(s.variants)} variants)" for s in app.extensions["shopify_sandbox"].shops.values()
    )
    logging.getLogger("sandbox.shopify").info(
        "Shopify sandbox ready in %.1f s on http://%s:%d/sandbox/ : %s",
        time.monotonic() - started,
        args.host,
        args.port,
        shops,
    )
    run_simple(args.host, args.port, app, threaded=True, use_reloader=False)


if __name__ == "__main__":
    main()
