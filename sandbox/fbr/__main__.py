"""`python -m sandbox.fbr --port 5002 [--token POSID:TOKEN[:production]]`: run the FBR sandbox."""

from __future__ import annotations

import argparse
import logging

from werkzeug.serving import run_simple

from sandbox.fbr.app import create_fbr_sandbox_app


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m sandbox.fbr", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5002)
    parser.add_argument(
        "--token", action="append", default=[], help="POSID:TOKEN or POSID:TOKEN:production (repeatable)"
    )
    args = parser.parse_args(argv)
    tokens = []
    for spec in args.token:
        posid, _, rest = spec.partition(":")
        token, _, environment = rest.partition(":")
        tokens.append({"posid": int(posid), "token": token, "environment": environment or "sandbox"})
    app = create_fbr_sandbox_app({"tokens": tokens})
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    logging.getLogger("sandbox.fbr").info(
        "FBR sandbox on http://%s:%d : cloud /FBR/v1/api/Live/PostData and /imsp/v1/api/Live/PostData, "
        "local /api/IMSFiscal/GetInvoiceNumberByModel, control /control/state",
        args.host,
        args.port,
    )
    run_simple(args.host, args.port, app, threaded=True, use_reloader=False)


if __name__ == "__main__":
    main()
