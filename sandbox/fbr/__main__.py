"""`python -m sandbox.fbr --port 5002 [--token POSID[,POSID...]:TOKEN[:production]]`: run the FBR sandbox."""

from __future__ import annotations

import argparse
import logging
from typing import Any

from werkzeug.serving import run_simple

from sandbox.fbr.app import create_fbr_sandbox_app


def token_specs(value: str) -> list[dict[str, Any]]:
    """`110014,110015:TOKEN[:production]` → one registration per POSID, all with the same token."""
    posids, _, rest = value.partition(":")
    token, _, environment = rest.partition(":")
    if not token or environment not in ("", "sandbox", "production"):
        raise argparse.ArgumentTypeError(f"expected POSID[,POSID...]:TOKEN[:production], got {value!r}")
    try:
        numbers = [int(p) for p in posids.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"POSIDs are numbers separated by commas, got {posids!r}") from None
    return [{"posid": n, "token": token, "environment": environment or "sandbox"} for n in numbers]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m sandbox.fbr", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5002)
    parser.add_argument(
        "--token",
        action="append",
        default=[],
        type=token_specs,
        help="POSID[,POSID...]:TOKEN, with :production for the production environment (repeatable)",
    )
    args = parser.parse_args(argv)
    app = create_fbr_sandbox_app({"tokens": [spec for specs in args.token for spec in specs]})
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
