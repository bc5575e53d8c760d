"""The FBR sandbox's Flask app factory."""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, jsonify

from sandbox.fbr.state import FbrSandbox


def create_fbr_sandbox_app(config: dict[str, Any] | None = None) -> Flask:
    """A Flask app that behaves like FBR's IMS POS API (cloud and local component).

    `config`: `tokens` [{posid, token, environment}] registered at start (and after each reset), `sample_token`
    (default True: the spec's sandbox token for POSID 110014). `app.extensions["fbr_sandbox"]` is the `FbrSandbox`.
    """
    from sandbox.fbr import api, control

    app = Flask(__name__)
    app.json.sort_keys = False  # type: ignore[attr-defined]
    sb = FbrSandbox(config)
    app.extensions["fbr_sandbox"] = sb
    app.register_blueprint(api.bp)
    app.register_blueprint(control.bp)

    @app.get("/")
    def root() -> Response:
        return jsonify({"service": "fbr-sandbox", "control": "/control/state"})

    return app
