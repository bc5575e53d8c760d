"""The sandbox's Flask app factory."""

from __future__ import annotations

import atexit
from typing import Any

from flask import Flask, Response, jsonify

from sandbox.shopify.config import load_config
from sandbox.shopify.core import Sandbox
from sandbox.shopify.schema import load_schema


def create_sandbox_app(config: dict[str, Any] | None = None) -> Flask:
    """A Flask app that behaves like Shopify's Admin API 2026-07 for the given config (see config.DEFAULTS).

    `app.extensions["shopify_sandbox"]` is the `Sandbox` (state, clock, webhooks...); call its `close()` when done.
    """
    from sandbox.shopify import control, control_shops, demo, graphql_view, oauth

    load_schema()
    app = Flask(__name__)
    app.config["JSON_SORT_KEYS"] = False
    app.json.sort_keys = False  # type: ignore[attr-defined]
    sb = Sandbox(load_config(config))
    app.extensions["shopify_sandbox"] = sb
    for blueprint in (graphql_view.bp, oauth.bp, control.bp, control_shops.bp, demo.bp):
        app.register_blueprint(blueprint)

    @app.get("/")
    def root() -> Response:
        return jsonify({"service": "shopify-sandbox", "demo": "/sandbox/", "shops": list(sb.shops)})

    atexit.register(sb.close)
    return app
