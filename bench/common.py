"""What the benchmarks share: the Shopify sandbox as its own process, on a free port."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from typing import Any

SHOP = "zari-demo.myshopify.com"
TOKEN = "shpat_bench_token"
CLIENT_ID = "ismartsync-demo"
CLIENT_SECRET = "ismartsync-demo-secret"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_sandbox(
    variants: int, *, config: dict[str, Any] | None = None, app_url: str = "http://127.0.0.1:5000"
) -> tuple[subprocess.Popen[bytes], str]:
    """A sandbox process with our bench token (and `config` merged over it); returns it and its URL."""
    port = free_port()
    path = os.path.join(tempfile.mkdtemp(), "sandbox.json")
    with open(path, "w") as file:
        tokens = [{"token": TOKEN, "shop": SHOP, "client_id": CLIENT_ID}]
        json.dump({"tokens": tokens, "bulk_delay_seconds": 0, **(config or {})}, file)
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "sandbox.shopify",
            "--port",
            str(port),
            "--variants",
            str(variants),
            "--app-url",
            app_url,
            "--config",
            path,
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(600):
        try:
            urllib.request.urlopen(f"{url}/sandbox/control/state", timeout=1).close()
            return process, url
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit("the sandbox did not start")


def control(url: str, method: str, path: str, data: Any = None) -> Any:
    """Call the sandbox's control API."""
    body = json.dumps(data).encode() if data is not None else None
    request = urllib.request.Request(
        f"{url}/sandbox/control{path}", data=body, method=method, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())
